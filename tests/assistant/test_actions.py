"""The assistant's staff actions on one registry (issue 8): ``assistant.actions.registry`` drives the
hand-off and alert pages' forms and buttons, the JSON API under /api/v1/assistant/ and the
OpenAPI; out of scope is 404; bad input a 4xx with a message; every check on the locked row."""

import json

import pytest

from fengqiao.api import api
from fengqiao.assistant import services
from fengqiao.assistant.actions import ALERT_PATH, HANDOFF_PATH, registry
from fengqiao.assistant.models import Alert, Handoff
from fengqiao.cases.models import Case
from fengqiao.core.errors import Conflict, ServiceError
from tests.conftest import login

pytestmark = pytest.mark.django_db

FRAUD = "刷单返利兼职，先垫付后返佣金，日赚三百"
REPLY = "楼道灯请拨打物业电话，我们已通知物业。"


def _alert(grid):
    _result, alert = services.screen_message(FRAUD, grid, group_name="枫溪业主群")
    assert alert is not None
    return alert


def _reader(users):
    """A grid-A user who may read alerts and hand-offs but change neither (a grid worker whose
    role, here, lost the two change permissions)."""
    from django.contrib.auth.models import Group, Permission

    Group.objects.get(name="grid_worker").permissions.remove(
        *Permission.objects.filter(codename__in=("change_alert", "change_handoff"))
    )
    user = type(users["grid_worker"]).objects.get(pk=users["grid_worker"].pk)
    assert user.has_perm("assistant.view_alert") and not user.has_perm("assistant.change_alert")
    return user


def _post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


# -- one vocabulary ------------------------------------------------------------------------------
def test_one_registry_for_both_kinds():
    assert registry.names() == ["answer", "to_case", "dismiss"]
    assert registry.names(Handoff) == ["answer"]
    assert registry.names(Alert) == ["to_case", "dismiss"]
    assert registry.get("answer").permission == "assistant.change_handoff"
    assert {registry.get(n).permission for n in ("to_case", "dismiss")} == {
        "assistant.change_alert"
    }


def test_openapi_one_operation_per_action_with_its_body_and_errors():
    paths = api.get_openapi_schema()["paths"]
    expected = registry.api_paths(
        "/api/v1/assistant", "handoff_id", Handoff, HANDOFF_PATH
    ) + registry.api_paths("/api/v1/assistant", "alert_id", Alert, ALERT_PATH)
    assert expected == [
        "/api/v1/assistant/handoffs/{handoff_id}/actions/answer",
        "/api/v1/assistant/alerts/{alert_id}/actions/to_case",
        "/api/v1/assistant/alerts/{alert_id}/actions/dismiss",
    ]
    for path in expected:
        operation = paths[path]["post"]
        assert "requestBody" in operation, path
        for status in ("400", "401", "403", "404", "409", "422"):
            assert status in operation["responses"], (path, status)
    assert "AnswerIn" in str(paths[expected[0]]["post"]["requestBody"])
    assert "/api/v1/assistant/alerts/{alert_id}/actions/{name}" not in paths
    for path in ("/api/v1/assistant/handoffs/{handoff_id}", "/api/v1/assistant/alerts/{alert_id}"):
        assert "404" in paths[path]["get"]["responses"]


def test_an_action_is_unknown_on_the_other_kind(county, users):
    alert = _alert(county.grid_a)
    with pytest.raises(ServiceError) as refused:
        registry.act(alert, "answer", users["community_officer"], {"reply": REPLY})
    assert refused.value.code == "unknown_transition"


# -- the registry drives the pages ---------------------------------------------------------------
def test_buttons_come_from_the_registry(client, county, users):
    alert = _alert(county.grid_a)
    handoff = services.request_handoff("楼道灯坏了找谁修", county.grid_a)
    login(client, users["community_officer"])
    html = client.get(f"/assistant/alerts/{alert.pk}/").content.decode()
    assert f'action="/assistant/alerts/{alert.pk}/act/to_case/"' in html
    assert f'action="/assistant/alerts/{alert.pk}/act/dismiss/"' in html
    html = client.get(f"/assistant/handoffs/{handoff.pk}/").content.decode()
    assert f'action="/assistant/handoffs/{handoff.pk}/act/answer/"' in html
    assert registry.available(alert, users["community_officer"]) == ["to_case", "dismiss"]
    # someone who may read but not change alerts sees no button (and the registry refuses it)
    reader = _reader(users)
    assert registry.available(alert, reader) == []
    login(client, reader)
    page = client.get(f"/assistant/alerts/{alert.pk}/")
    assert page.status_code == 200 and "act/to_case" not in page.content.decode()
    assert client.post(f"/assistant/alerts/{alert.pk}/act/dismiss/").status_code == 403
    assert Alert.objects.get(pk=alert.pk).status == "open"


def test_the_page_dismisses_through_the_registry(client, county, users):
    alert = _alert(county.grid_a)
    login(client, users["community_officer"])
    r = client.post(f"/assistant/alerts/{alert.pk}/act/dismiss/", {"note": "广告，已提醒群主"})
    assert r.status_code == 302
    assert Alert.objects.get(pk=alert.pk).status == "dismissed"
    html = client.get(f"/assistant/alerts/{alert.pk}/").content.decode()
    assert "act/to_case" not in html and "act/dismiss" not in html  # nothing left to do
    # a made-into-case alert cannot be dismissed: 409 on the page, with the reason
    other = services.alert_to_case(_alert(county.grid_a), actor=users["community_officer"])
    r = client.post(f"/assistant/alerts/{other.pk}/act/dismiss/")
    assert r.status_code == 409 and "不能忽略" in r.content.decode()
    assert Alert.objects.get(pk=other.pk).status == "case"


def test_the_page_answers_through_the_registry(client, county, users):
    handoff = services.request_handoff("楼道灯坏了找谁修", county.grid_a)
    login(client, users["community_officer"])
    r = client.post(f"/assistant/handoffs/{handoff.pk}/act/answer/", {"reply": "  "})
    assert r.status_code == 400 and "答复不能为空" in r.content.decode()
    assert Handoff.objects.get(pk=handoff.pk).status == "open"
    r = client.post(f"/assistant/handoffs/{handoff.pk}/act/answer/", {"reply": REPLY})
    assert r.status_code == 302
    assert Case.objects.get(tracking_code=handoff.case_ref).result == REPLY
    html = client.get(f"/assistant/handoffs/{handoff.pk}/").content.decode()
    assert 'id="handoff-answered"' in html and "act/answer" not in html
    # a second reply would differ from the one the resident reads: refused
    r = client.post(f"/assistant/handoffs/{handoff.pk}/act/answer/", {"reply": "另一个答复"})
    assert r.status_code == 409 and "已答复" in r.content.decode()
    assert Handoff.objects.get(pk=handoff.pk).reply == REPLY


def test_an_unknown_action_on_the_page(client, county, users):
    alert = _alert(county.grid_a)
    login(client, users["community_officer"])
    r = client.post(f"/assistant/alerts/{alert.pk}/act/answer/", {"reply": "x"})
    assert r.status_code == 400 and "未知操作" in r.content.decode()
    r = client.get(f"/assistant/alerts/{alert.pk}/act/dismiss/")
    assert r.status_code == 302 and Alert.objects.get(pk=alert.pk).status == "open"


# -- the same registry drives the API ------------------------------------------------------------
def test_api_alert_to_case_and_dismiss(client, county, users):
    alert, spare = _alert(county.grid_a), _alert(county.grid_a)
    login(client, users["community_officer"])
    body = client.get(f"/api/v1/assistant/alerts/{alert.pk}").json()
    assert body["actions"] == ["to_case", "dismiss"] and body["place_code"] == county.grid_a.code
    r = _post(client, f"/api/v1/assistant/alerts/{alert.pk}/actions/to_case")
    assert r.status_code == 200, r.content
    body = r.json()
    case = Case.objects.get(tracking_code=body["case_ref"])
    assert body["status"] == "case" and body["actions"] == []
    assert case.source == "assistant" and case.place_id == county.grid_a.pk
    # a double submit answers the same case, and makes no second one
    again = _post(client, f"/api/v1/assistant/alerts/{alert.pk}/actions/to_case").json()
    assert again["case_ref"] == case.tracking_code and Case.objects.count() == 1
    r = _post(client, f"/api/v1/assistant/alerts/{alert.pk}/actions/dismiss", {"note": "x"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "alert_made_into_case"
    r = _post(client, f"/api/v1/assistant/alerts/{spare.pk}/actions/dismiss", {"note": "广告"})
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    r = _post(client, f"/api/v1/assistant/alerts/{spare.pk}/actions/to_case")
    assert r.status_code == 409 and r.json()["error"]["code"] == "alert_dismissed"
    listed = client.get("/api/v1/assistant/alerts?status=dismissed").json()
    assert [a["id"] for a in listed["items"]] == [spare.pk]


def test_api_answer_a_handoff(client, county, users):
    handoff = services.request_handoff("楼道灯坏了找谁修", county.grid_a, contact="13912345678")
    login(client, users["community_officer"])
    body = client.get(f"/api/v1/assistant/handoffs/{handoff.pk}").json()
    assert body["actions"] == ["answer"] and "13912345678" not in json.dumps(body)
    url = f"/api/v1/assistant/handoffs/{handoff.pk}/actions/answer"
    r = _post(client, url, {"reply": ""})
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "required" and error["message"] == "答复不能为空"
    assert error["details"]["field"] == "reply"
    r = _post(client, url, {"reply": 42})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"].endswith("reply")
    r = _post(client, url, {"reply": "x" * 2001})
    assert r.status_code == 422
    r = _post(client, url, {"reply": REPLY})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "answered" and r.json()["actions"] == []
    assert Case.objects.get(tracking_code=handoff.case_ref).state == "resolved"
    r = _post(client, url, {"reply": "另一个答复"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_answered"
    r = _post(client, f"/api/v1/assistant/handoffs/{handoff.pk}/actions/dismiss")
    assert r.status_code == 400 and r.json()["error"]["details"]["allowed"] == ["answer"]


def test_api_out_of_scope_is_404_and_changes_nothing(client, county, users, users_b):
    alert = _alert(county.grid_b)
    handoff = services.request_handoff("楼道灯坏了找谁修", county.grid_b)
    login(client, users["community_officer"])
    for name in ("to_case", "dismiss", "fly"):
        r = _post(client, f"/api/v1/assistant/alerts/{alert.pk}/actions/{name}")
        assert r.status_code == 404, name
    for name in ("answer", "fly"):
        r = _post(client, f"/api/v1/assistant/handoffs/{handoff.pk}/actions/{name}", {"reply": "x"})
        assert r.status_code == 404, name
    assert client.get(f"/api/v1/assistant/alerts/{alert.pk}").status_code == 404
    assert client.get(f"/api/v1/assistant/handoffs/{handoff.pk}").status_code == 404
    for url in (
        f"/assistant/alerts/{alert.pk}/act/to_case/",
        f"/assistant/alerts/{alert.pk}/act/dismiss/",
    ):
        assert client.post(url).status_code == 404
    r = client.post(f"/assistant/handoffs/{handoff.pk}/act/answer/", {"reply": "x"})
    assert r.status_code == 404
    assert Alert.objects.get(pk=alert.pk).status == "open"
    assert Handoff.objects.get(pk=handoff.pk).status == "open"
    assert client.get("/api/v1/assistant/alerts").json()["items"] == []


def test_api_without_the_permission_is_403(client, county, users):
    alert = _alert(county.grid_a)
    login(client, _reader(users))  # may read alerts, not change them
    assert client.get(f"/api/v1/assistant/alerts/{alert.pk}").json()["actions"] == []
    r = _post(client, f"/api/v1/assistant/alerts/{alert.pk}/actions/to_case")
    assert r.status_code == 403
    login(client, users["system_admin"])  # no assistant permission at all (三员分立)
    r = _post(client, f"/api/v1/assistant/alerts/{alert.pk}/actions/dismiss")
    assert r.status_code == 403
    assert Alert.objects.get(pk=alert.pk).status == "open"


def test_services_refuse_on_the_row_as_it_is_now(county, users):
    """A stale object (the page was opened before someone else acted) is checked as it is now."""
    officer = users["community_officer"]
    alert = _alert(county.grid_a)
    stale = Alert.objects.get(pk=alert.pk)
    services.dismiss_alert(alert, actor=officer)
    with pytest.raises(Conflict):
        services.alert_to_case(stale, actor=officer)
    assert not Case.objects.exists()
    handoff = services.request_handoff("楼道灯坏了找谁修", county.grid_a)
    stale = Handoff.objects.get(pk=handoff.pk)
    services.answer_handoff(handoff, REPLY, actor=officer)
    with pytest.raises(Conflict):
        services.answer_handoff(stale, "另一个答复", actor=officer)
    assert Handoff.objects.get(pk=handoff.pk).reply == REPLY
