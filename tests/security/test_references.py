"""References and role-checked fields in API posts (issue 14, finding 9).

Every id a client sends is resolved through the one jurisdiction filter: a record outside the
caller's jurisdiction is 404 and is not linked. Fields that state a fact about the caller (the
source channel of a case) are checked against the caller's roles."""

import json

import pytest

from fengqiao.cases.models import Case
from fengqiao.disputes.models import Dispute
from fengqiao.fieldwork.models import Visit
from fengqiao.registry.models import House, Person
from tests.cases.helpers import make_case
from tests.conftest import login
from tests.disputes import helpers as dispute_helpers
from tests.registry import helpers as registry_helpers


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def dispute_body(county, **extra):
    return {
        "place_id": county.grid_a.pk,
        "type": "neighbour",
        "title": "楼上楼下噪音纠纷",
        "facts": "楼上住户夜间频繁发出噪音",
        "parties": dispute_helpers.parties(),
        **extra,
    }


def test_dispute_source_case_outside_the_jurisdiction_is_404_and_not_linked(
    client, county, users, users_b
):
    foreign = make_case(county.grid_b)
    login(client, users["community_officer"])
    response = post(client, "/api/v1/disputes/", dispute_body(county, source_case_id=foreign.pk))
    assert response.status_code == 404, response.content
    assert response.json()["error"]["code"] == "not_found"
    assert not Dispute.objects.filter(source_case_id=foreign.pk).exists()
    assert Dispute.objects.count() == 0


@pytest.mark.parametrize("bad", [10**18, -1, 0])
def test_dispute_source_case_that_does_not_exist_is_refused(client, county, users, bad):
    login(client, users["community_officer"])
    response = post(client, "/api/v1/disputes/", dispute_body(county, source_case_id=bad))
    assert response.status_code in (400, 404, 422), response.content
    assert Dispute.objects.count() == 0


def test_dispute_source_case_in_the_jurisdiction_is_kept(client, county, users):
    own = make_case(county.grid_a)
    login(client, users["community_officer"])
    response = post(client, "/api/v1/disputes/", dispute_body(county, source_case_id=own.pk))
    assert response.status_code == 201, response.content
    assert response.json()["source_case_id"] == own.pk


def case_body(county, **extra):
    return {
        "client_id": "ref-0001",
        "category": "noise",
        "grid": county.grid_a.code,
        "description": "广场舞音响太吵",
        "reporter_phone": "13600001111",
        **extra,
    }


@pytest.mark.parametrize(
    "role, source, status",
    [
        ("grid_worker", "transfer_110", 403),
        ("grid_worker", "hotline", 201),
        ("grid_worker", "assistant", 403),
        ("grid_worker", "grid_worker", 201),
        ("community_officer", "transfer_110", 201),
        ("dispatcher", "transfer_110", 201),
        ("dispatcher", "hotline", 201),
        ("dispatcher", "patrol", 403),
    ],
)
def test_case_source_is_checked_against_the_role(client, county, users, role, source, status):
    login(client, users[role])
    response = post(client, "/api/v1/cases/", case_body(county, source=source))
    assert response.status_code == status, response.content
    if status == 403:
        assert response.json()["error"]["code"] == "source_not_allowed"
        assert Case.objects.count() == 0
    else:
        assert Case.objects.get().source == source


def test_the_staff_form_offers_only_the_roles_sources(client, county, users):
    login(client, users["grid_worker"])
    page = client.get("/cases/new/").content.decode()
    assert 'value="grid_worker"' in page
    assert 'value="transfer_110"' not in page
    response = client.post(
        "/cases/new/",
        {
            "client_id": "c0ffee00c0ffee00",
            "category": "noise",
            "grid": county.grid_a.pk,
            "description": "广场舞音响太吵",
            "source": "transfer_110",
        },
    )
    assert response.status_code in (200, 400)
    assert Case.objects.count() == 0


# -- the other references in API posts: each goes through the jurisdiction filter -----------------
def test_registry_and_fieldwork_references_outside_the_jurisdiction_are_404(
    client, county, users, users_b
):
    own_room = registry_helpers.tree(county.grid_a, users["grid_worker"])
    foreign_room = registry_helpers.tree(county.grid_b, users_b["grid_worker"], road="枫溪路99号")
    foreign_person = registry_helpers.person(users_b["grid_worker"], foreign_room, name="李四")
    foreign_house = registry_helpers.rental(users_b["grid_worker"], foreign_room)
    own_house = registry_helpers.rental(users["grid_worker"], own_room)
    login(client, users["grid_worker"])
    api = "/api/v1/registry"
    people, houses = Person.objects.count(), House.objects.count()

    checks = [
        (f"{api}/people", {"address_id": foreign_room.pk, "name": "王五"}),
        (
            f"{api}/houses",
            {"address_id": own_room.pk, "landlord_id": foreign_person.pk, "is_rental": True},
        ),
        (f"{api}/houses/{own_house.pk}/tenants", {"person_id": foreign_person.pk}),
        (f"{api}/houses/{foreign_house.pk}/tenants", {"person_id": foreign_person.pk}),
        (f"{api}/units", {"address_id": foreign_room.pk, "name": "某商店"}),
    ]
    for url, data in checks:
        response = post(client, url, data)
        assert response.status_code == 404, (url, response.content)
    assert (Person.objects.count(), House.objects.count()) == (people, houses)
    assert not own_house.tenancies.exists()

    login(client, users["community_officer"])
    response = post(
        client,
        "/api/v1/fieldwork/visits",
        {"address_id": own_room.pk, "findings": "走访", "house_id": foreign_house.pk},
    )
    assert response.status_code == 404, response.content
    response = post(
        client, "/api/v1/fieldwork/visits", {"address_id": foreign_room.pk, "findings": "走访"}
    )
    assert response.status_code == 404, response.content
    assert not Visit.objects.exists()
