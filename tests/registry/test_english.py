"""Chinese first, English complete: registry and fieldwork pages and errors in English."""

import pytest

from fengqiao.fieldwork import services as fieldwork
from tests.conftest import login
from tests.registry import helpers

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_pages_and_errors_in_english(client, county, users):
    gw, officer = users["grid_worker"], users["community_officer"]
    room = helpers.tree(county.grid_a, gw)
    login(client, gw)
    page = client.get(f"/registry/addresses/{room.pk}/", **EN).content.decode()
    assert "Register a house" in page and "登记房屋" not in page
    r = client.post(
        "/registry/people/new/", {"address": room.pk, "name": "X", "id_number": "1"}, **EN
    )
    assert r.status_code == 400 and "must have 18 characters" in r.content.decode()
    r = client.post(
        "/api/v1/registry/people",
        {
            "address_id": room.pk,
            "name": "X",
            "id_number": helpers.id_number(),
            "tags": ["key_person"],
        },
        content_type="application/json",
        **EN,
    )
    assert r.status_code == 403 and "Key person" in r.json()["error"]["message"]
    fieldwork.record_visit(
        officer, address=room, purpose="routine", findings="ok", note="n", starred=True
    )
    login(client, officer)
    home = client.get("/", **EN).content.decode()
    assert "Visited 1 households / target 20" in home and "1 follow-up" in home
    assert (
        "Field notes awaiting follow-up"
        in client.get("/fieldwork/followups/", **EN).content.decode()
    )
    assert "登记房屋" in client.get(f"/registry/addresses/{room.pk}/").content.decode()
