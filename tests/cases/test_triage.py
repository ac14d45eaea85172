"""Reports that cannot be placed in a grid go to the county's triage queue (待定位); a dispatcher
places them and the normal flow starts. Only a point outside the whole jurisdiction is refused."""
# ruff: noqa: S314 — parsing our own server's XML answers in tests

import json
import xml.etree.ElementTree as ET

import pytest

from fengqiao.cases import triage
from fengqiao.cases.models import Case, PendingReport
from fengqiao.core.errors import NotFound
from fengqiao.core.services import create_api_key
from fengqiao.org.models import User
from tests.conftest import login


@pytest.fixture
def api_key(county):
    account = User.objects.create(username="integration-triage", display_name="triage")
    return create_api_key("triage", account)[1]


@pytest.fixture
def county_dispatcher(make_user, county):
    return make_user("dispatcher", places=[county.county], username="dispatcher-county")


def post(client, key, fmt="json", **fields):
    data = {"api_key": key, "service_code": "cityscape", "description": "路灯不亮",
            "phone": "13512345678"}  # fmt: skip
    data.update(fields)
    return client.post(f"/open311/v2/requests.{fmt}", {k: v for k, v in data.items() if v})


@pytest.mark.parametrize(
    "location",
    [
        {"address_string": "枫溪街道菜市场东门"},  # an address only
        {"lat": "29.745", "long": "120.545"},  # between the grids, inside the jurisdiction
        {"address_id": "浙江省枫溪县枫溪街道 12 号"},  # an address id that is not a grid code
    ],
)
def test_unplaceable_reports_are_accepted_into_the_triage_queue(
    client, county, api_key, county_dispatcher, location
):
    response = post(client, api_key, **location)
    assert response.status_code == 201, response.content
    answer = response.json()[0]
    assert "service_request_id" not in answer and answer["token"]  # token, not both
    assert Case.objects.count() == 0
    pending = PendingReport.objects.get(uid=answer["token"])
    assert pending.place == county.county and pending.state == "pending"
    assert pending.reporter_phone.clear == "13512345678"
    token = client.get(f"/open311/v2/tokens/{answer['token']}.xml")
    assert token.status_code == 200
    assert ET.fromstring(token.content).find("request/service_request_id") is None
    assert list(triage.queue(county_dispatcher)) == [pending]


def test_a_point_outside_the_jurisdiction_is_a_400(client, county, api_key):
    for fmt in ("json", "xml"):
        response = post(client, api_key, fmt, lat="10.0", long="10.0")
        assert response.status_code == 400
    assert PendingReport.objects.count() == 0 and Case.objects.count() == 0


def test_the_dispatcher_places_it_and_the_normal_flow_starts(
    client, county, api_key, county_dispatcher, users
):
    answer = post(client, api_key, address_string="菜市场东门", client_id="fms-000000001")
    token = answer.json()[0]["token"]
    replay = post(client, api_key, address_string="菜市场东门", client_id="fms-000000001")
    assert replay.status_code == 200 and replay.json()[0]["token"] == token
    pending = PendingReport.objects.get(uid=token)
    # a grid-level dispatcher does not see the county's queue
    with pytest.raises(NotFound):
        triage.place(pending, users["dispatcher"], grid=county.grid_a)
    login(client, county_dispatcher)
    page = client.get("/cases/triage/")
    assert page.status_code == 200 and "菜市场东门" in page.content.decode()
    html = page.content.decode()  # the map picker: static JS only, the row's inputs as targets
    assert 'id="triage-map"' in html and f'data-pick-row="{pending.pk}"' in html
    assert f'id="lat-{pending.pk}"' in html and "cases/triage.js" in html and "<script>" not in html
    placed = client.post(f"/cases/triage/{pending.pk}/place/", {"grid": county.grid_c.code})
    assert placed.status_code == 302
    case = Case.objects.get()
    assert case.place == county.grid_c and case.state == "reported" and case.source == "open311"
    assert case.reported_at == pending.reported_at and case.next_due_at is not None
    assert PendingReport.objects.get().state == "placed"
    again = client.post(f"/cases/triage/{pending.pk}/place/", {"grid": county.grid_a.code})
    assert again.status_code == 302 and Case.objects.count() == 1  # already placed: refused
    found = client.get(f"/open311/v2/tokens/{token}.json").json()
    assert found == [{"service_request_id": str(case.pk), "token": token}]


def test_placing_by_a_point_on_the_map(client, county, api_key, county_dispatcher):
    token = post(client, api_key, address_string="南门口").json()[0]["token"]
    pending = PendingReport.objects.get(uid=token)
    case = triage.place(pending, county_dispatcher, lat=29.72, lng=120.52)
    assert case.place.level == 5 and (case.lat, case.lng) == (29.72, 120.52)
    other = PendingReport.objects.get(
        uid=post(client, api_key, address_string="x").json()[0]["token"]
    )
    login(client, county_dispatcher)
    missed = client.post(f"/cases/triage/{other.pk}/place/", {"lat": "10", "lng": "10"})
    assert missed.status_code == 302 and PendingReport.objects.get(pk=other.pk).state == "pending"


def test_out_of_scope_place_is_404(client, county, api_key, users):
    token = post(client, api_key, address_string="菜市场").json()[0]["token"]
    pending = PendingReport.objects.get(uid=token)
    login(client, users["dispatcher"])  # grid A only
    assert client.post(f"/cases/triage/{pending.pk}/place/", {"grid": "x"}).status_code == 404


def test_triage_still_checks_the_declared_rules(client, county, api_key):
    refused = post(client, api_key, service_code="dispute", phone=None, address_string="菜市场")
    assert refused.status_code == 400  # the definition declares contact_phone as required
    assert PendingReport.objects.count() == 0


# -- the same rule for the JSON API ----------------------------------------------------------------
def api_body(**extra):
    data = {"client_id": "api-triage-01", "category": "noise", "description": "广场舞音响太吵",
            "reporter_phone": "13600001111", "source": "hotline"}  # fmt: skip
    data.update(extra)
    return json.dumps(data)


@pytest.fixture
def hotline_key(users):
    return {"HTTP_AUTHORIZATION": f"Bearer {create_api_key('hotline', users['dispatcher'])[1]}"}


def api_post(client, url, data, headers):
    return client.post(url, data, content_type="application/json", **headers)


@pytest.mark.parametrize(
    "location",
    [
        {"location_text": "枫溪街道菜市场东门"},  # an address only
        {"lat": 29.745, "lng": 120.545},  # a point between the grids
        {"address_id": "浙江省枫溪县枫溪街道 12 号"},  # an address id, not a grid code
    ],
)
def test_json_api_accepts_unplaceable_reports_into_the_triage_queue(
    client, county, hotline_key, county_dispatcher, location
):
    response = api_post(client, "/api/v1/cases/", api_body(**location), hotline_key)
    assert response.status_code == 202, response.content
    answer = response.json()
    assert answer["state"] == "pending" and answer["created"] is True and answer["token"]
    assert Case.objects.count() == 0
    pending = PendingReport.objects.get(pk=answer["pending_id"])
    assert pending.place == county.county and pending.created_by.username == "dispatcher-a"
    replay = api_post(client, "/api/v1/cases/", api_body(**location), hotline_key)
    assert replay.status_code == 202 and replay.json()["created"] is False
    assert PendingReport.objects.count() == 1
    assert list(triage.queue(county_dispatcher)) == [pending]


def test_json_api_point_in_a_grid_is_placed_at_once_and_outside_is_400(client, county, hotline_key):
    placed = api_post(client, "/api/v1/cases/", api_body(lat=29.72, lng=120.52), hotline_key)
    assert placed.status_code == 201 and Case.objects.get().place == county.grid_a
    outside = api_post(
        client, "/api/v1/cases/", api_body(client_id="x2", lat=10.0, lng=10.0), hotline_key
    )
    assert outside.status_code == 400
    assert outside.json()["error"]["code"] == "outside_jurisdiction"
    nowhere = api_post(client, "/api/v1/cases/", api_body(client_id="x3"), hotline_key)
    assert nowhere.status_code == 400 and nowhere.json()["error"]["code"] == "invalid_location"
    assert PendingReport.objects.count() == 0 and Case.objects.count() == 1


def test_triage_api_lists_and_places(client, county, hotline_key, county_dispatcher, users):
    held = api_post(client, "/api/v1/cases/", api_body(location_text="菜市场东门"), hotline_key)
    pending_id = held.json()["pending_id"]
    login(client, users["dispatcher"])  # grid A only: not the county's queue
    assert client.get("/api/v1/cases/triage").json()["items"] == []
    assert client.get(f"/api/v1/cases/triage/{pending_id}").status_code == 404
    refused = api_post(
        client, f"/api/v1/cases/triage/{pending_id}/place", json.dumps({"grid": "x"}), {}
    )
    assert refused.status_code == 404
    login(client, county_dispatcher)
    rows = client.get("/api/v1/cases/triage").json()["items"]
    assert [r["id"] for r in rows] == [pending_id]
    assert rows[0]["location_text"] == "菜市场东门" and "reporter_phone" not in rows[0]
    url = f"/api/v1/cases/triage/{pending_id}/place"
    bad = api_post(client, url, json.dumps({"lat": 10.0, "lng": 10.0}), {})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "no_grid"
    empty = api_post(client, url, json.dumps({}), {})
    assert empty.status_code == 400
    done = api_post(client, url, json.dumps({"lat": 29.72, "lng": 120.52}), {})
    assert done.status_code == 200, done.content
    case = Case.objects.get()
    assert done.json()["id"] == case.pk and case.place.level == 5 and case.lat == 29.72
    assert case.created_by.username == "dispatcher-a" and case.state == "reported"
    again = api_post(client, url, json.dumps({"grid": county.grid_c.code}), {})
    assert again.status_code == 409 and Case.objects.count() == 1
    assert (
        "/api/v1/cases/triage/{pending_id}/place"
        in client.get("/api/v1/openapi.json").json()["paths"]
    )


# -- the same rule for the resident form -----------------------------------------------------------
def resident_form(**extra):
    data = {"client_id": "c0ffee00c0ffee00", "category": "noise", "description": "夜里施工很吵",
            "reporter_phone": "13600001111", "consent": "on",
            "sensitive_consent": "on"}  # fmt: skip
    data.update(extra)
    return data


def test_resident_county_form_address_only_goes_to_triage(client, county, county_dispatcher):
    page = client.get("/r/report/")
    assert page.status_code == 200 and "枫溪县" in page.content.decode()
    nowhere = client.post("/r/report/", resident_form())
    assert nowhere.status_code == 400 and "请填写地点" in nowhere.content.decode()
    response = client.post("/r/report/", resident_form(location_text="菜市场东门"))
    pending = PendingReport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/r/p/{pending.uid}/"
    assert pending.place == county.county and pending.source == "resident"
    waiting = client.get(response["Location"])
    assert waiting.status_code == 200 and "待定位" in waiting.content.decode()
    assert "13600001111" not in waiting.content.decode()
    case = triage.place(pending, county_dispatcher, grid=county.grid_b)
    assert client.get(response["Location"])["Location"] == f"/r/t/{case.tracking_code}/"
    assert client.get("/r/p/00000000-0000-4000-8000-000000000000/").status_code == 404


def test_resident_grid_form_point_rule(client, county):
    inside = client.post(f"/r/g/{county.grid_a.code}/", resident_form(lat="29.72", lng="120.52"))
    assert inside.status_code == 302 and Case.objects.get().place == county.grid_a
    gap = client.post(
        f"/r/g/{county.grid_a.code}/",
        resident_form(client_id="c0ffee01", lat="29.745", lng="120.545"),
    )
    assert gap.status_code == 302 and gap["Location"].startswith("/r/p/")
    assert PendingReport.objects.get().place == county.county
    outside = client.post(
        f"/r/g/{county.grid_a.code}/", resident_form(client_id="c0ffee02", lat="10", lng="10")
    )
    assert outside.status_code == 400 and "辖区" in outside.content.decode()
    assert Case.objects.count() == 1 and PendingReport.objects.count() == 1
