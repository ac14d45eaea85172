"""People involved in a risk: linked to the registry's actual residents by ID number within the
user's jurisdiction, an explicit link out of scope refused, the link shown both ways, masked
everywhere, revealed only through the audited generic reveal, and backfilled for older rows."""

import importlib

import pytest
from django.apps import apps as django_apps

from fengqiao.core import pii
from fengqiao.core.errors import Conflict, NotFound, ServiceError
from fengqiao.core.models import AuditEvent
from fengqiao.core.workflow import timeline
from fengqiao.org import services as org_services
from fengqiao.org.models import Place
from fengqiao.risks import services
from fengqiao.risks.models import Risk, RiskPerson
from tests.conftest import login
from tests.registry import helpers as registry_helpers
from tests.risks import helpers

pytestmark = pytest.mark.django_db


def resident(grid, users, name="王建国", **extra):
    user = users["community_officer"]
    address = registry_helpers.tree(grid, user, road=f"测试路{grid.pk}-{name}")
    return registry_helpers.person(user, address, name=name, **extra)


# -- services ---------------------------------------------------------------------------------------
def test_apply_links_by_id_number_only_within_the_users_jurisdiction(county, users, users_b):
    own = resident(county.grid_a, users)
    other = resident(county.grid_b, users_b, name="李秀英")
    risk = helpers.apply(
        county.grid_a,
        users,
        people=[
            {"name": "王建国", "id_number": str(own.id_number.clear), "role": "业主代表"},
            {"name": "李秀英", "id_number": str(other.id_number.clear), "role": "业主代表"},
            {"name": "无证件人员", "phone": "13900001111"},
        ],
    )
    rows = list(risk.people.order_by("id"))
    assert [r.person_id for r in rows] == [own.pk, None, None]
    # The match outside grid A is never disclosed: no link, no error.


def test_an_explicit_link_out_of_scope_is_refused_and_nothing_is_added(county, users, users_b):
    risk = helpers.filed(county.grid_a, users)
    other = resident(county.grid_b, users_b, name="李秀英")
    with pytest.raises(NotFound) as refused:
        services.add_person(risk, users["community_officer"], name="李秀英", person=other.pk)
    assert "不在您的辖区内" in refused.value.message
    assert refused.value.code == "person_out_of_scope"
    assert not risk.people.exists()
    with pytest.raises(NotFound):  # also when applying
        helpers.apply(county.grid_a, users, people=[{"name": "李秀英", "person_id": other.pk}])


def test_an_explicit_link_in_scope_must_agree_with_the_id_number(county, users):
    risk = helpers.filed(county.grid_a, users)
    own = resident(county.grid_a, users)
    with pytest.raises(ServiceError) as wrong:
        services.add_person(
            risk,
            users["community_officer"],
            name="王建国",
            id_number=registry_helpers.id_number(),
            person=own.pk,
        )
    assert wrong.value.status == 400 and "不一致" in wrong.value.message
    added = services.add_person(risk, users["community_officer"], name="王建国", person=own.pk)
    assert added.person_id == own.pk
    entry = [e for e in timeline(risk) if e.transition == "add_person"][0]
    assert "王**" in entry.note and "王建国" not in entry.note


def test_people_cannot_be_added_to_a_closed_risk(county, users):
    risk = helpers.filed(county.grid_a, users)
    risk.state = "closed"
    risk.save(update_fields=["state"])
    with pytest.raises(Conflict):
        services.add_person(risk, users["community_officer"], name="赵六")


def test_restrict_follows_the_risk_and_needs_risk_access(county, users, users_b):
    risk = helpers.filed(county.grid_a, users)
    row = services.add_person(risk, users["community_officer"], name="赵六")
    assert RiskPerson.objects.restrict(users["leader"]).filter(pk=row.pk).exists()
    assert not RiskPerson.objects.restrict(users_b["leader"]).filter(pk=row.pk).exists()
    # A grid worker covers the grid but holds no risk permission: the people stay invisible.
    assert not RiskPerson.objects.restrict(users["grid_worker"]).filter(pk=row.pk).exists()
    # Department staff read the people of a risk handed over to their department.
    staff = users["department_staff"]
    assert not RiskPerson.objects.restrict(staff).filter(pk=row.pk).exists()
    services.hand_over(risk, users["dispatcher"], department=county.urban, matter="拆违")
    assert RiskPerson.objects.restrict(staff).filter(pk=row.pk).exists()
    assert not RiskPerson.objects.restrict(staff, "change").filter(pk=row.pk).exists()


# -- backfill ---------------------------------------------------------------------------------------
def _other_county(make_user):
    mk = org_services.create_place
    city = Place.objects.get(code="339900")
    other = mk(code="339902", name="云溪县", level=Place.Level.COUNTY, parent=city)
    town = mk(code="339902001", name="云溪镇", level=Place.Level.TOWN, parent=other)
    village = mk(code="339902001001", name="云溪村", level=Place.Level.VILLAGE, parent=town)
    grid = mk(code="339902001001001", name="云溪村第1网格", level=Place.Level.GRID, parent=village)
    return grid, {"community_officer": make_user("community_officer", places=[grid])}


@pytest.mark.parametrize("how", ["service", "migration"])
def test_backfill_links_older_rows_within_the_risks_county(county, users, make_user, how):
    number, elsewhere = registry_helpers.id_number(), registry_helpers.id_number()
    risk = helpers.filed(
        county.grid_a,
        users,
        people=[
            {"name": "周某", "id_number": number},
            {"name": "外县人员", "id_number": elsewhere},
        ],
    )
    assert not risk.people.filter(person__isnull=False).exists()
    later = resident(
        county.grid_b,
        {"community_officer": make_user("community_officer", places=[county.grid_b])},
        name="周某",
        id_number=number,
    )
    grid_x, users_x = _other_county(make_user)
    resident(grid_x, users_x, name="外县人员", id_number=elsewhere)
    if how == "service":
        assert services.link_registry_people(batch=1) == 1
        assert services.link_registry_people() == 0  # re-runnable
    else:
        migration = importlib.import_module("fengqiao.risks.migrations.0006_link_registry_people")
        migration.link(django_apps, None)
    rows = {r.name.clear: r.person_id for r in risk.people.all()}
    assert rows == {"周某": later.pk, "外县人员": None}


# -- pages ------------------------------------------------------------------------------------------
def test_detail_shows_people_masked_with_reveal_and_registry_link(client, county, users):
    own = resident(county.grid_a, users, phone="13900005678")
    number = str(own.id_number.clear)
    risk = helpers.filed(
        county.grid_a,
        users,
        people=[{"name": "王建国", "id_number": number, "phone": "13900005678", "role": "当事人"}],
    )
    row = risk.people.get()
    login(client, users["community_officer"])
    body = client.get(f"/risks/{risk.pk}/").content.decode()
    assert number not in body and "13900005678" not in body and "王建国" not in body
    assert pii.mask_id_number(number) in body and "139****5678" in body
    assert f'href="/registry/people/{own.pk}/"' in body
    for field in ("name", "id_number", "phone"):
        assert f"/reveal/risks.riskperson/{row.pk}/{field}/" in body
    login(client, users["department_staff"])  # no reveal permission: no reveal buttons
    services.hand_over(risk, users["dispatcher"], department=county.urban, matter="拆违")
    body = client.get(f"/risks/{risk.pk}/").content.decode()
    assert "/reveal/risks.riskperson/" not in body and "/registry/people/" not in body


def test_add_person_page_links_and_refuses_out_of_scope(client, county, users, users_b):
    risk = helpers.filed(county.grid_a, users)
    own = resident(county.grid_a, users)
    other = resident(county.grid_b, users_b, name="李秀英")
    login(client, users["community_officer"])
    url = f"/risks/{risk.pk}/people/"
    response = client.post(
        url, {"name": "王建国", "id_number": str(own.id_number.clear), "role": "业主代表"}
    )
    assert response.status_code == 302
    assert risk.people.get().person_id == own.pk
    refused = client.post(url, {"name": "李秀英", "role": "家属", "person": other.pk})
    body = refused.content.decode()
    assert refused.status_code == 404 and "不在您的辖区内" in body
    assert 'value="家属"' in body  # the input is kept
    assert risk.people.count() == 1
    bad = client.post(url, {"name": "赵六", "id_number": "123"})
    assert bad.status_code == 400 and "身份证号码不正确" in bad.content.decode()
    login(client, users["department_staff"])
    assert client.post(url, {"name": "赵六"}).status_code == 403
    login(client, users_b["community_officer"])
    assert client.post(url, {"name": "赵六"}).status_code == 404
    assert risk.people.count() == 1


def test_registry_page_lists_the_persons_risks_scoped(client, county, users, make_user):
    own = resident(county.grid_a, users)
    risk = helpers.filed(
        county.grid_a, users, people=[{"name": "王建国", "id_number": str(own.id_number.clear)}]
    )
    login(client, users["community_officer"])
    body = client.get(f"/registry/people/{own.pk}/").content.decode()
    assert 'id="risks"' in body and f'href="/risks/{risk.pk}/"' in body and risk.number in body
    login(client, users["grid_worker"])  # sees the resident, not the risks
    body = client.get(f"/registry/people/{own.pk}/").content.decode()
    assert client.get(f"/registry/people/{own.pk}/").status_code == 200
    assert 'id="risks"' not in body and risk.number not in body


def test_reveal_of_a_risk_person_is_scoped_and_audited(client, county, users, users_b):
    risk = helpers.filed(
        county.grid_a,
        users,
        people=[
            {"name": "王建国", "id_number": registry_helpers.id_number(), "phone": "13900005678"}
        ],
    )
    row = risk.people.get()
    url = f"/reveal/risks.riskperson/{row.pk}/phone/"
    login(client, users["community_officer"])
    assert client.post(url, {"reason": "核"}).status_code == 400
    response = client.post(url, {"reason": "联系当事人核实情况"})
    assert response.status_code == 200 and response.content.decode() == "13900005678"
    event = AuditEvent.objects.get(action="pii.reveal", target_id=str(row.pk))
    assert event.result == "success" and event.data == {
        "field": "phone",
        "reason": "联系当事人核实情况",
    }
    assert event.target_type.endswith("riskperson")
    name = client.post(f"/reveal/risks.riskperson/{row.pk}/name/", {"reason": "核实姓名信息"})
    assert name.content.decode() == "王建国"
    before = AuditEvent.objects.filter(action="pii.reveal").count()
    for user in (users_b["community_officer"], users["grid_worker"], users["auxiliary_officer"]):
        login(client, user)  # other grid; no risk access (grid worker has reveal): 404
        assert client.post(url, {"reason": "越权查看测试"}).status_code == 404
    services.hand_over(risk, users["dispatcher"], department=county.urban, matter="拆违")
    login(client, users["department_staff"])  # sees the risk, may not reveal: 403, audited
    assert client.post(url, {"reason": "部门核实情况"}).status_code == 403
    assert AuditEvent.objects.filter(action="pii.reveal").count() == before + 1
    assert AuditEvent.objects.filter(action="pii.reveal", result="denied").count() == 1


# -- API --------------------------------------------------------------------------------------------
def test_api_detail_masks_people_with_their_link_and_adds_people(client, county, users, users_b):
    own = resident(county.grid_a, users)
    other = resident(county.grid_b, users_b, name="李秀英")
    number = str(own.id_number.clear)
    risk = helpers.filed(county.grid_a, users, people=[{"name": "王建国", "id_number": number}])
    login(client, users["community_officer"])
    people = client.get(f"/api/v1/risks/{risk.pk}").json()["people"]
    assert people == [
        {
            "id": risk.people.get().pk,
            "name": "王**",
            "id_number": pii.mask_id_number(number),
            "phone": "",
            "role": "",
            "person_id": own.pk,
        }
    ]
    url = f"/api/v1/risks/{risk.pk}/people"
    refused = client.post(
        url, {"name": "李秀英", "person_id": other.pk}, content_type="application/json"
    )
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "person_out_of_scope"
    assert "不在您的辖区内" in refused.json()["error"]["message"]
    added = client.post(
        url,
        {"name": "赵六", "phone": "13900002222", "role": "邻居"},
        content_type="application/json",
    )
    assert added.status_code == 201
    assert added.json()["people"][-1] == {
        "id": risk.people.last().pk,
        "name": "赵*",
        "id_number": "",
        "phone": "139****2222",
        "role": "邻居",
        "person_id": None,
    }
    login(client, users_b["community_officer"])
    assert client.post(url, {"name": "赵六"}, content_type="application/json").status_code == 404


def test_openapi_describes_people_and_their_link(client):
    from fengqiao.api import api

    schema = api.get_openapi_schema()
    assert "/api/v1/risks/{risk_id}/people" in schema["paths"]
    components = schema["components"]["schemas"]
    assert "person_id" in components["RiskPersonOut"]["properties"]
    assert "person_id" in components["RiskPersonIn"]["properties"]
    # The risk schemas no longer share a name with the registry's (one overwrote the other).
    assert "residence" in components["PersonOut"]["properties"]


def test_people_section_and_refusal_in_english(client, county, users, users_b):
    risk = helpers.filed(county.grid_a, users, people=[{"name": "赵六"}])
    other = resident(county.grid_b, users_b, name="李秀英")
    login(client, users["community_officer"])
    en = {"HTTP_ACCEPT_LANGUAGE": "en"}
    page = client.get(f"/risks/{risk.pk}/", **en).content.decode()
    assert "Add a person involved" in page and "Show in full" in page and "Not linked" in page
    refused = client.post(
        f"/api/v1/risks/{risk.pk}/people",
        {"name": "李秀英", "person_id": other.pk},
        content_type="application/json",
        **en,
    )
    assert "outside your jurisdiction" in refused.json()["error"]["message"]


# -- units involved -------------------------------------------------------------------------------
def registry_unit(grid, users, name="枫溪便民超市"):
    from fengqiao.registry import services as registry

    user = users["community_officer"]
    address = registry_helpers.tree(grid, user, road=f"单位路{grid.pk}-{name}")
    return registry.register_unit(user, address=address, name=name, kind="shop")


def test_units_involved_link_the_registry_within_scope(client, county, users, users_b):
    own = registry_unit(county.grid_a, users)
    other = registry_unit(county.grid_b, users_b, name="南门五金店")
    with pytest.raises(NotFound) as refused:
        helpers.apply(county.grid_a, users, units=[own.pk, other.pk])
    assert refused.value.code == "unit_out_of_scope" and "不在您的辖区内" in refused.value.message
    risk = helpers.filed(county.grid_a, users, units=[own.pk], units_involved="物业公司")
    assert list(risk.units.all()) == [own]
    login(client, users["community_officer"])
    body = client.get(f"/risks/{risk.pk}/").content.decode()
    assert f'href="/registry/units/{own.pk}/"' in body and "物业公司" in body
    assert client.get(f"/api/v1/risks/{risk.pk}").json()["units"] == [own.pk]
    unit_page = client.get(f"/registry/units/{own.pk}/").content.decode()
    assert 'id="risks"' in unit_page and risk.number in unit_page
    login(client, users["grid_worker"])  # sees the unit, not the risks
    assert risk.number not in client.get(f"/registry/units/{own.pk}/").content.decode()
    login(client, users["community_officer"])
    payload = {
        "place_id": county.grid_a.pk,
        "category": "fire",
        "title": "仓库消防隐患",
        "description": "堆放易燃物",
        "units": [other.pk],
    }
    api = client.post("/api/v1/risks/", payload, content_type="application/json")
    assert api.status_code == 404 and api.json()["error"]["code"] == "unit_out_of_scope"
    page = client.post(
        "/risks/new/",
        {
            "place": county.grid_a.pk,
            "category": "fire",
            "title": "仓库消防隐患",
            "description": "堆放易燃物",
            "units": [own.pk],
        },
    )
    assert page.status_code == 302
    made = Risk.objects.get(title="仓库消防隐患")
    assert list(made.units.all()) == [own]
