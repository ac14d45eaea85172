"""Staff pages: forms keep the input on errors and answer 4xx; one place's file; labels on pages."""

import pytest

from fengqiao.core.models import AuditEvent
from fengqiao.registry import services
from fengqiao.registry.models import Address, House, Person
from tests.conftest import login
from tests.registry import helpers

pytestmark = pytest.mark.django_db


def test_grid_worker_adds_an_address_house_and_tenant(client, county, users):
    gw = users["grid_worker"]
    login(client, gw)
    r = client.post(
        "/registry/addresses/new/",
        {"place": county.grid_a.pk, "level": "2", "name": "枫溪路8号"},
    )
    road = Address.objects.get(name="枫溪路8号")
    assert r.status_code == 302 and r["Location"] == f"/registry/addresses/{road.pk}/"
    r = client.post(
        "/registry/houses/new/",
        {"address": road.pk, "use": "rental", "is_rental": "1", "max_occupants": "3"},
    )
    house = House.objects.get()
    assert r["Location"] == f"/registry/houses/{house.pk}/"
    page = client.get(f"/registry/houses/{house.pk}/").content.decode()
    assert "登记租客" in page
    bad = {"address": road.pk, "house": house.pk, "name": "赵六", "id_number": "123"}
    r = client.post("/registry/people/new/", bad)
    assert r.status_code == 400
    body = r.content.decode()
    assert "公民身份号码应为18位" in body and 'value="赵六"' in body
    good = {**bad, "id_number": helpers.id_number(), "residence": "floating"}
    r = client.post("/registry/people/new/", good)
    assert r["Location"] == f"/registry/houses/{house.pk}/"
    page = client.get(f"/registry/houses/{house.pk}/").content.decode()
    assert "赵*" in page and "赵六" not in page


def test_out_of_jurisdiction_place_answers_4xx(client, county, users):
    login(client, users["grid_worker"])
    r = client.post(
        "/registry/addresses/new/", {"place": county.grid_b.pk, "level": "2", "name": "X"}
    )
    assert r.status_code == 404
    assert not Address.objects.exists()


def test_place_file_shows_everything_at_the_address(client, county, users):
    from fengqiao.cases import services as case_services

    gw = users["grid_worker"]
    room = helpers.tree(county.grid_a, gw)
    building = room.parent.parent
    p = helpers.person(gw, room, name="钱七")
    helpers.rental(gw, room)
    services.register_unit(gw, address=building, name="枫溪便利店", kind="shop")
    case, _created = case_services.report(
        source="grid_worker",
        category=case_services.leaf_categories()[0],
        description="楼道堆放杂物",
        place=county.grid_a,
        location_text="枫溪路12号3幢",
        actor=gw,
    )
    login(client, gw)
    page = client.get(f"/registry/addresses/{building.pk}/").content.decode()
    assert "钱*" in page and "枫溪便利店" in page and case.number in page
    assert f"/registry/people/{p.pk}/" in page


def test_labelled_tags_on_pages_only_for_holders_and_audited(client, county, users):
    gw, officer = users["grid_worker"], users["community_officer"]
    room = helpers.tree(county.grid_a, gw)
    p = helpers.person(gw, room)
    services.add_tag(officer, p, "community_correction")
    login(client, gw)
    assert "社区矫正对象" not in client.get(f"/registry/people/{p.pk}/").content.decode()
    r = client.post(f"/registry/people/{p.pk}/tags/", {"code": "released_prisoner"})
    assert r.status_code == 403
    login(client, officer)
    before = AuditEvent.objects.filter(action="registry.label.view").count()
    assert "社区矫正对象" in client.get(f"/registry/people/{p.pk}/").content.decode()
    assert AuditEvent.objects.filter(action="registry.label.view").count() == before + 1


def test_search_by_name_id_phone_and_address(client, county, users, users_b):
    gw = users["grid_worker"]
    room = helpers.tree(county.grid_a, gw)
    number = helpers.id_number()
    helpers.person(gw, room, name="孙八", id_number=number, phone="13700001234")
    other = helpers.tree(county.grid_b, users_b["grid_worker"], road="南路1号")
    helpers.person(users_b["grid_worker"], other, name="孙九")
    login(client, gw)
    for q in ("孙", "孙八", number, "１３７００００１２３４", "枫溪路12号 孙", "3幢1单元"):
        page = client.get("/registry/", {"q": q}).content.decode()
        assert "孙*" in page, q
        assert "孙九" not in page and "南路1号" not in page
    page = client.get("/registry/", {"q": "李"}).content.decode()
    assert "孙*" not in page
    assert Person.objects.count() == 2


def test_a_two_word_address_search_is_not_cut_short_by_either_word(county, users, monkeypatch):
    """Each word alone matches more addresses than the fan-out keeps; the person living at the
    address matching both words is still found (measured at county scale: 1 of 10 found before)."""
    from fengqiao.registry import search

    gw = users["grid_worker"]
    monkeypatch.setattr(search, "ADDRESS_FANOUT", 4)
    for n in range(1, 6):  # five other 3幢 rooms, made first: they fill the fan-out of "3幢"
        helpers.tree(county.grid_a, gw, road=f"东路{n}号")
    for n in range(1, 6):  # five other rooms of 枫溪路 (no 3幢): they fill the fan-out of the road
        road = services.create_address(
            gw, place=county.grid_a, level=Address.Level.ROAD, name=f"枫溪路{n}号"
        )
        services.create_address(gw, parent=road, level=Address.Level.BUILDING, name="5幢")
    room = helpers.tree(county.grid_a, gw, road="枫溪路12号")
    helpers.person(gw, room, name="孙八")
    found = search.search(gw, "枫溪路 3幢")
    assert [p.name for p in found["people"]] == ["孙八"]
    assert room.pk in {a.pk for a in found["addresses"]}
