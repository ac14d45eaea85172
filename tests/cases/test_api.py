"""The JSON API at /api/v1/cases/: token and session auth, errors in the shared shape."""

import json

import pytest

from fengqiao.cases.models import Case
from fengqiao.core.services import create_api_key
from tests.conftest import login

from .helpers import dispatched, make_case


@pytest.fixture
def key(users):
    _api_key, clear = create_api_key("hotline", users["dispatcher"])
    return {"HTTP_AUTHORIZATION": f"Bearer {clear}"}


def body(**extra):
    data = {
        "client_id": "api-00000001",
        "category": "noise",
        "grid": "339901001001001",
        "description": "广场舞音响太吵",
        "reporter_phone": "13600001111",
        "source": "hotline",
    }
    data.update(extra)
    return json.dumps(data)


def post(client, url, data, headers):
    return client.post(url, data, content_type="application/json", **headers)


def test_create_with_key_and_replay(client, county, key):
    first = post(client, "/api/v1/cases/", body(), key)
    assert first.status_code == 201, first.content
    again = post(client, "/api/v1/cases/", body(description="again"), key)
    assert again.status_code == 200
    assert first.json()["id"] == again.json()["id"] and again.json()["created"] is False
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    "extra, status, code",
    [
        ({"category": "nope"}, 400, "unknown_category"),
        ({"grid": "x"}, 400, "invalid_place"),
        ({"grid": "339901001002001"}, 404, "not_found"),  # another grid: out of jurisdiction
        ({"description": ""}, 400, "required"),
        ({"lat": 100, "lng": 1}, 400, "invalid_location"),
        ({"source": "martian"}, 400, "invalid_source"),
        ({"urgency": "now"}, 400, "invalid_urgency"),
    ],
)
def test_create_bad_input(client, county, key, extra, status, code):
    response = post(client, "/api/v1/cases/", body(**extra), key)
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert Case.objects.count() == 0


def test_missing_fields_and_bad_json(client, county, key):
    response = post(client, "/api/v1/cases/", json.dumps({"category": "noise"}), key)
    assert response.status_code == 422 and response.json()["error"]["code"] == "validation_error"
    response = post(client, "/api/v1/cases/", "{not json", key)
    assert 400 <= response.status_code < 500


def test_no_auth_is_401(client, county):
    assert client.get("/api/v1/cases/").status_code == 401
    assert client.get("/api/v1/cases/categories").status_code == 200


def test_list_detail_timeline_and_actions(client, county, users):
    case = dispatched(county.grid_a, users, county)
    login(client, users["department_staff"])
    rows = client.get("/api/v1/cases/").json()["items"]
    assert [r["id"] for r in rows] == [case.pk]
    assert "reporter_phone" not in rows[0]  # lists carry no personal data
    assert client.get(f"/api/v1/cases/{case.pk}").json()["reporter_phone"] == "139****1111"
    detail = client.get(f"/api/v1/cases/{case.pk}").json()
    assert detail["actions"] == ["claim", "return", "escalate"]
    steps = client.get(f"/api/v1/cases/{case.pk}/timeline").json()
    assert [s["transition"] for s in steps] == ["report", "accept", "dispatch"]
    url = f"/api/v1/cases/{case.pk}/actions/"
    assert post(client, url + "claim", "{}", {}).json()["state"] == "claimed"
    again = post(client, url + "claim", "{}", {})
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"
    bad = post(client, url + "resolve", json.dumps({"data": {"result": ""}}), {})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "required"
    done = post(client, url + "resolve", json.dumps({"data": {"result": "已劝离"}}), {})
    assert done.json()["state"] == "resolved"
    assert post(client, url + "fly", "{}", {}).json()["error"]["code"] == "unknown_transition"


def test_other_grids_case_is_404(client, county, users, users_b):
    theirs = make_case(county.grid_b)
    login(client, users["dispatcher"])
    assert client.get(f"/api/v1/cases/{theirs.pk}").status_code == 404
    response = post(client, f"/api/v1/cases/{theirs.pk}/actions/accept", "{}", {})
    assert response.status_code == 404


def test_bulk_dispatch_and_figures(client, county, users):
    cases = [make_case(county.grid_a) for _ in range(2)]
    login(client, users["dispatcher"])
    response = post(
        client,
        "/api/v1/cases/bulk-dispatch",
        json.dumps({"ids": [c.pk for c in cases] + [99999], "department": county.urban.pk}),
        {},
    )
    assert [r["ok"] for r in response.json()["results"]] == [True, True, False]
    figures = client.get("/api/v1/cases/figures", {"start": "2020-01-01", "end": "2099-01-01"})
    assert figures.status_code == 200 and figures.json()["total"]["accepted"] == 2
    login(client, users["department_staff"])
    assert client.get("/api/v1/cases/figures?start=2020-01-01&end=2020-02-01").status_code == 403
