"""The JSON API at /api/v1/risks/: list, detail, actions, decisions; clear 4xx errors."""

import pytest

from fengqiao.risks import reviews
from fengqiao.risks.models import Risk
from tests.conftest import login
from tests.risks import helpers

pytestmark = pytest.mark.django_db


def test_apply_list_detail(client, county, users):
    login(client, users["community_officer"])
    response = client.post(
        "/api/v1/risks/",
        {
            "place_id": county.grid_a.pk,
            "category": "telecom_fraud",
            "title": "老年人投资理财诈骗高发",
            "description": "近期多名老人被诱导购买理财产品",
            "people": [{"name": "钱七", "phone": "13900003333"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "applied" and body["people"][0]["phone"] == "139****3333"
    rows = client.get("/api/v1/risks/").json()
    assert rows["count"] == 1
    assert client.get(f"/api/v1/risks/{body['id']}").json()["number"] == body["number"]
    assert len(client.get(f"/api/v1/risks/{body['id']}/timeline").json()) == 1


def test_errors_are_clear(client, county, users, users_b):
    risk = helpers.filed(county.grid_a, users)
    login(client, users["community_officer"])
    url = f"/api/v1/risks/{risk.pk}/actions/propose_level"
    response = client.post(url, {"to_level": "red"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "reason_required"
    response = client.post(
        f"/api/v1/risks/{risk.pk}/actions/fly", {}, content_type="application/json"
    )
    assert response.status_code in (404, 405)
    response = client.post(
        f"/api/v1/risks/{risk.pk}/actions/request_close",
        {"note": "x"},
        content_type="application/json",
    )
    assert response.json()["error"]["code"] == "evidence_required"
    response = client.post(
        f"/api/v1/risks/{risk.pk}/close-request", {"note": "已化解", "evidence": helpers.pdf()}
    )
    assert response.status_code == 200 and response.json()["state"] == "closing"
    login(client, users_b["community_officer"])
    assert client.get(f"/api/v1/risks/{risk.pk}").status_code == 404


def test_decision_api_is_idempotent(client, county, users):
    risk = helpers.filed(county.grid_a, users, level="red")
    session = reviews.create_session(users["dispatcher"], place=county.grid_a, slot_at=None)
    item = session.items.get()
    login(client, users["leader"])
    url = f"/api/v1/risks/sessions/{session.pk}/items/{item.pk}/decision"
    data = {"decision": "lower", "new_level": "orange", "note": "已落实稳控"}
    first = client.post(url, data, content_type="application/json").json()
    second = client.post(url, data, content_type="application/json").json()
    assert first["recorded"] is True and second["recorded"] is False
    response = client.post(url, {"decision": "keep"}, content_type="application/json")
    assert response.status_code == 409
    assert Risk.objects.get(pk=risk.pk).level == "orange"
    detail = client.get(f"/api/v1/risks/sessions/{session.pk}").json()
    assert detail["items"][0]["decision"] == "lower"


def test_openapi_lists_the_risk_paths(client):
    from fengqiao.api import api

    paths = api.get_openapi_schema()["paths"]
    assert "/api/v1/risks/{risk_id}/actions/approve" in paths
    body = paths["/api/v1/risks/{risk_id}/actions/file_city"]["post"]["requestBody"]
    assert body  # each action has its own request body
    assert "/api/v1/risks/sessions/{session_id}/items/{item_id}/decision" in paths


def test_task_force_through_the_api(client, county, users):
    risk = helpers.filed(county.grid_a, users, level="red")
    login(client, users["leader"])
    assert client.get(f"/api/v1/risks/{risk.pk}/task-force").status_code == 404
    response = client.post(
        f"/api/v1/risks/{risk.pk}/actions/task_force",
        {"leader_id": users["community_officer"].pk, "plan": "驻点稳控"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    client.post(
        f"/api/v1/risks/{risk.pk}/actions/task_force_log",
        {"text": "走访业主代表"},
        content_type="application/json",
    )
    body = client.get(f"/api/v1/risks/{risk.pk}/task-force").json()
    assert body["plan"] == "驻点稳控" and body["logs"][0]["text"] == "走访业主代表"
