"""Every public lookup goes through the one throttle (core.throttle): case tracking codes (none
before), the assistant chat (page and API), sign-in per address. Dispute status codes:
tests/disputes/test_track_throttle.py."""

import pytest

from fengqiao.assistant import services as assistant_services
from fengqiao.cases import resident_views
from fengqiao.web import views as web_views
from tests.cases import helpers

pytestmark = pytest.mark.django_db


def test_wrong_case_tracking_codes_lock_the_address(client, county, settings):
    case = helpers.make_case(county.grid_a)
    assert client.get(f"/r/t/{case.tracking_code}/").status_code == 200
    limit = resident_views.TRACK_FAILURES.limit
    for i in range(limit):
        assert client.get(f"/r/t/WRONG{i:04d}/").status_code == 404
    # locked: even the right code is refused from this address, with Retry-After
    response = client.get(f"/r/t/{case.tracking_code}/")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert client.get("/r/t/", {"code": case.tracking_code}).status_code == 429
    # another address is not affected
    other = client.get(f"/r/t/{case.tracking_code}/", REMOTE_ADDR="198.51.100.9")
    assert other.status_code == 200


def test_right_codes_do_not_count(client, county):
    case = helpers.make_case(county.grid_a)
    for _ in range(resident_views.TRACK_FAILURES.limit + 5):
        assert client.get(f"/r/t/{case.tracking_code}/").status_code == 200


def test_chat_page_and_api_share_one_throttle(client, county, monkeypatch, settings, tmp_path):
    settings.FENGQIAO_HOME = tmp_path
    monkeypatch.setattr(assistant_services, "_state", {})
    monkeypatch.setattr(assistant_services.CHAT, "_limit", 3)
    asked = []
    real_ask = assistant_services.ask
    monkeypatch.setattr(assistant_services, "ask", lambda q: asked.append(q) or real_ask(q))
    data = {"question": "路灯坏了找谁", "grid": county.grid_a.code}
    assert client.post("/assistant/chat/ask/", data).status_code == 200
    api = client.post("/api/v1/assistant/ask", {"question": "x"}, content_type="application/json")
    assert api.status_code == 200
    assert client.post("/assistant/chat/ask/", data).status_code == 200
    refused = client.post("/assistant/chat/ask/", data)
    assert refused.status_code == 429 and refused["Retry-After"]
    api = client.post("/api/v1/assistant/ask", {"question": "x"}, content_type="application/json")
    assert api.status_code == 429 and api.json()["error"]["code"] == "throttled"
    assert len(asked) == 3


def test_handoffs_are_throttled_per_address(client, county, monkeypatch):
    monkeypatch.setattr(assistant_services.HANDOFFS, "_limit", 2)
    data = {"question": "路灯坏了", "grid": county.grid_a.code}
    assert client.post("/assistant/chat/handoff/", data).status_code == 200
    assert client.post("/assistant/chat/handoff/", data).status_code == 200
    assert client.post("/assistant/chat/handoff/", data).status_code == 429
    assert assistant_services.Handoff.objects.count() == 2


def test_failed_sign_ins_from_one_address_are_throttled(client, users, monkeypatch):
    monkeypatch.setattr(web_views.LOGIN_FAILURES, "_limit", 3)
    for i in range(3):  # three different accounts: django-axes alone would not stop this
        response = client.post("/login/", {"username": f"nobody{i}", "password": "wrong-pass-1"})
        assert response.status_code == 200
    response = client.post(
        "/login/", {"username": users["grid_worker"].username, "password": "Test-Passw0rd!"}
    )
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
