"""The foreigners' stays on one action registry (issue 8): ``registry.actions.registry`` (check,
cancel) drives the stay page's buttons and forms, the JSON API (``POST /api/v1/registry/stays/
{stay_id}/actions/<name>``) and the OpenAPI; out of scope is 404 and changes nothing; a state that
no longer allows the action is 409, checked on the locked row (the kernel's ``apply``)."""

import json

import pytest

from fengqiao.api import api
from fengqiao.core.errors import Conflict
from fengqiao.registry import services
from fengqiao.registry.actions import registry
from fengqiao.registry.models import ForeignerStay
from tests.conftest import login
from tests.registry import helpers
from tests.registry.test_stays import _data

pytestmark = pytest.mark.django_db
API = "/api/v1/registry"


def _stay(county, users):
    room = helpers.tree(county.grid_a, users["grid_worker"])
    return services.report_stay(room, _data())


def _post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def test_one_vocabulary_from_the_flow():
    assert registry.names() == ["check", "cancel"]
    assert registry.get("check").permission == "registry.check_foreignerstay"
    assert registry.get("cancel").permission == "registry.change_foreignerstay"
    assert registry.flow.model is ForeignerStay  # action name = transition name


def test_openapi_one_operation_per_action_with_its_body_and_errors():
    paths = api.get_openapi_schema()["paths"]
    expected = registry.api_paths(API, "stay_id")
    assert expected == [
        "/api/v1/registry/stays/{stay_id}/actions/check",
        "/api/v1/registry/stays/{stay_id}/actions/cancel",
    ]
    for path in expected:
        operation = paths[path]["post"]
        assert "requestBody" in operation, path
        for status in ("400", "401", "403", "404", "409"):
            assert status in operation["responses"], (path, status)
    assert "StayCancelIn" in str(paths[expected[1]]["post"]["requestBody"])
    assert "/api/v1/registry/stays/{stay_id}/actions/{name}" not in paths
    assert "/api/v1/registry/stays/{stay_id}/check" not in paths  # one way: the action path


def test_buttons_follow_state_and_permission(client, county, users):
    stay = _stay(county, users)
    assert registry.available(stay, users["community_officer"]) == ["check", "cancel"]
    assert registry.available(stay, users["grid_worker"]) == ["cancel"]  # no check permission
    assert registry.available(stay, users["dispatcher"]) == []
    login(client, users["community_officer"])
    page = client.get(f"/registry/stays/{stay.pk}/").content.decode()
    assert 'id="check-stay"' in page and "/act/cancel/" in page
    assert (
        client.post(f"/registry/stays/{stay.pk}/act/check/", {"note": "人证相符"}).status_code
        == 302
    )
    stay.refresh_from_db()
    assert registry.available(stay, users["community_officer"]) == ["cancel"]
    page = client.get(f"/registry/stays/{stay.pk}/").content.decode()
    assert 'id="check-stay"' not in page and "/act/cancel/" in page


def test_page_refusals_show_with_their_status(client, county, users):
    stay = _stay(county, users)
    login(client, users["community_officer"])
    r = client.post(f"/registry/stays/{stay.pk}/act/check/", {"note": ""})
    assert r.status_code == 400 and "核查情况" in r.content.decode()
    client.post(f"/registry/stays/{stay.pk}/act/cancel/", {})
    r = client.post(f"/registry/stays/{stay.pk}/act/check/", {"note": "晚了"})
    assert r.status_code == 409
    r = client.post(f"/registry/stays/{stay.pk}/act/remind/", {})
    assert r.status_code == 400
    assert client.get(f"/registry/stays/{stay.pk}/act/check/").status_code == 405
    assert ForeignerStay.objects.get().state == "cancelled"


def test_api_actions_conflict_unknown_and_scope(client, county, users, users_b):
    stay = _stay(county, users)
    login(client, users["community_officer"])
    r = _post(client, f"{API}/stays/{stay.pk}/actions/check", {"note": "人证相符"})
    assert r.status_code == 200 and r.json()["state"] == "checked"
    again = _post(client, f"{API}/stays/{stay.pk}/actions/check", {"note": "再核查"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"
    r = _post(client, f"{API}/stays/{stay.pk}/actions/remind")
    assert r.status_code == 400 and r.json()["error"]["code"] == "unknown_action"
    assert r.json()["error"]["details"]["allowed"] == ["check", "cancel"]
    login(client, users_b["community_officer"])
    for name in ("check", "cancel", "remind"):
        assert (
            _post(client, f"{API}/stays/{stay.pk}/actions/{name}", {"note": "x"}).status_code == 404
        )
    assert ForeignerStay.objects.get().state == "checked"


def test_act_checks_on_the_locked_row(county, users):
    """A stale copy read before someone else cancelled cannot be checked: the kernel re-reads the
    row under the lock (409), it does not trust the caller's copy."""
    stay = _stay(county, users)
    stale = ForeignerStay.objects.get(pk=stay.pk)
    registry.act(stay, "cancel", users["community_officer"], {})
    with pytest.raises(Conflict):
        registry.act(stale, "check", users["community_officer"], {"note": "人证相符"})
    assert ForeignerStay.objects.get().state == "cancelled"
