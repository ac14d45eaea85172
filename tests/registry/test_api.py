"""The registry JSON API: lists, details, writes, search; masked data, labels, clear 4xx."""

import pytest

from fengqiao.core.models import AuditEvent
from fengqiao.registry import services
from fengqiao.registry.models import Person
from tests.conftest import login
from tests.registry import helpers

pytestmark = pytest.mark.django_db
API = "/api/v1/registry"


def test_register_and_read_a_person_masked(client, county, users):
    gw = users["grid_worker"]
    room = helpers.tree(county.grid_a, gw)
    login(client, gw)
    number = helpers.id_number(birth="19700505")
    r = client.post(
        f"{API}/people",
        {
            "address_id": room.pk,
            "name": "周一",
            "id_number": number,
            "phone": "13912345678",
            "tags": ["elderly_alone"],
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["name"] == "周*" and body["id_number"] != number and body["phone"] == "139****5678"
    assert body["birth_date"] == "1970-05-05"
    assert [t["code"] for t in body["tags"]] == ["elderly_alone"]
    r = client.get(f"{API}/people/{body['id']}")
    assert r.status_code == 200 and number not in r.content.decode()
    r = client.get(f"{API}/people", {"q": "周"})
    assert r.json()["count"] == 1


def test_bad_input_answers_clear_4xx(client, county, users):
    gw = users["grid_worker"]
    room = helpers.tree(county.grid_a, gw)
    login(client, gw)
    r = client.post(
        f"{API}/people",
        {"address_id": room.pk, "name": "吴二", "id_number": "339901198501010010"},
        content_type="application/json",
    )
    assert r.status_code == 400 and "校验位" in r.json()["error"]["message"]
    number = helpers.id_number()
    helpers.person(gw, room, id_number=number)
    r = client.post(
        f"{API}/people",
        {"address_id": room.pk, "name": "吴二", "id_number": number},
        content_type="application/json",
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "duplicate_person"
    r = client.post(
        f"{API}/people",
        {
            "address_id": room.pk,
            "name": "吴二",
            "id_number": helpers.id_number(),
            "tags": ["key_person"],
        },
        content_type="application/json",
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "label_required"
    r = client.post(
        f"{API}/addresses",
        {"place_id": county.grid_b.pk, "level": 2, "name": "X"},
        content_type="application/json",
    )
    assert r.status_code == 403 and "辖区" in r.json()["error"]["message"]
    assert Person.objects.count() == 1


def test_labelled_tags_in_api_lists_only_for_holders(client, county, users):
    gw, officer = users["grid_worker"], users["community_officer"]
    room = helpers.tree(county.grid_a, gw)
    p = helpers.person(gw, room)
    services.add_tag(officer, p, "severe_mental")
    login(client, gw)
    assert client.get(f"{API}/people/{p.pk}").json()["tags"] == []
    login(client, officer)
    before = AuditEvent.objects.filter(action="registry.label.view").count()
    rows = client.get(f"{API}/people").json()["items"]
    assert rows[0]["tags"][0]["code"] == "severe_mental"
    assert AuditEvent.objects.filter(action="registry.label.view").count() == before + 1


def test_house_tenants_and_place_file(client, county, users):
    gw = users["grid_worker"]
    room = helpers.tree(county.grid_a, gw)
    login(client, gw)
    r = client.post(
        f"{API}/houses",
        {
            "address_id": room.pk,
            "is_rental": True,
            "max_occupants": 1,
            "lease_filing_number": "BA-1",
        },
        content_type="application/json",
    )
    assert r.status_code == 201
    house = r.json()
    p = helpers.person(gw, room, residence="floating")
    r = client.post(
        f"{API}/houses/{house['id']}/tenants",
        {"person_id": p.pk, "moved_in": "2026-11-01"},
        content_type="application/json",
    )
    assert r.status_code == 201
    tenancy = r.json()["id"]
    r = client.post(
        f"{API}/houses/{house['id']}/tenants/{tenancy}/end",
        {"moved_out": "2026-10-01"},
        content_type="application/json",
    )
    assert r.status_code == 400
    detail = client.get(f"{API}/houses/{house['id']}").json()
    assert len(detail["tenants"]) == 1 and detail["overcrowded"] is False
    building = room.parent.parent
    file = client.get(f"{API}/addresses/{building.pk}/file").json()
    assert [h["id"] for h in file["houses"]] == [house["id"]]
    assert [x["id"] for x in file["people"]] == [p.pk]


def test_openapi_lists_the_registry(client, county, users):
    login(client, users["grid_worker"])
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/registry/people/{person_id}" in schema["paths"]
    assert "/api/v1/registry/search" in schema["paths"]
