"""Fieldwork on one action registry (issue 8): ``fieldwork.actions.registry`` — ``done`` on a
starred field note, ``to_case`` on a patrol log — drives the pages' forms and buttons, the JSON API
(``POST /api/v1/fieldwork/{follow-ups/{note_id},patrols/{log_id}}/actions/<name>``) and the
OpenAPI; out of scope is 404 and changes nothing; a second ``done`` / ``to_case`` is 409, checked
on the locked row."""

import json

import pytest
from django.utils import timezone

from fengqiao.api import api
from fengqiao.cases.models import Case
from fengqiao.cases.services import leaf_categories
from fengqiao.core.errors import Conflict, ServiceError
from fengqiao.fieldwork import services
from fengqiao.fieldwork.actions import NOTE_PATH, PATROL_PATH, registry
from fengqiao.fieldwork.models import FieldNote, PatrolLog
from tests.conftest import login
from tests.registry import helpers

pytestmark = pytest.mark.django_db
API = "/api/v1/fieldwork"


def _note(county, users):
    room = helpers.tree(county.grid_a, users["grid_worker"])
    return services.add_note(users["grid_worker"], address=room, text="门锁坏了", starred=True)


def _log(county, make_user):
    officer = make_user("community_officer", places=[county.town], username="town-officer")
    circle = services.create_circle(
        officer, name="巡防圈", villages=[county.village, county.other_village]
    )
    return officer, services.record_patrol(
        officer, circle, started_at=timezone.now(), findings="路灯损坏"
    )


def _post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def test_one_registry_for_both_kinds():
    assert registry.names() == ["done", "to_case"]
    assert registry.names(FieldNote) == ["done"]
    assert registry.names(PatrolLog) == ["to_case"]
    assert registry.get("done").permission == "fieldwork.change_fieldnote"
    assert registry.get("to_case").permission == "cases.add_case"


def test_openapi_one_operation_per_action():
    paths = api.get_openapi_schema()["paths"]
    expected = registry.api_paths(API, "note_id", FieldNote, NOTE_PATH) + registry.api_paths(
        API, "log_id", PatrolLog, PATROL_PATH
    )
    assert expected == [
        "/api/v1/fieldwork/follow-ups/{note_id}/actions/done",
        "/api/v1/fieldwork/patrols/{log_id}/actions/to_case",
    ]
    for path in expected:
        operation = paths[path]["post"]
        assert "requestBody" in operation, path
        for status in ("400", "403", "404", "409"):
            assert status in operation["responses"], (path, status)
    assert "/api/v1/fieldwork/follow-ups/{note_id}/done" not in paths
    assert "/api/v1/fieldwork/patrols/{log_id}/case" not in paths


def test_an_action_is_unknown_on_the_other_kind(county, users, make_user):
    note = _note(county, users)
    with pytest.raises(ServiceError) as refused:
        registry.act(note, "to_case", users["grid_worker"], {"place_id": 1, "category": "x"})
    assert refused.value.code == "unknown_transition"
    assert FieldNote.objects.get().followed_up_at is None


def test_note_done_page_api_conflict_and_scope(client, county, users, users_b):
    note = _note(county, users)
    assert registry.available(note, users["grid_worker"]) == ["done"]
    login(client, users_b["grid_worker"])
    assert (
        _post(client, f"{API}/follow-ups/{note.pk}/actions/done", {"result": "x"}).status_code
        == 404
    )
    assert client.post(f"/fieldwork/notes/{note.pk}/act/done/", {"result": "x"}).status_code == 404
    login(client, users["grid_worker"])
    r = _post(client, f"{API}/follow-ups/{note.pk}/actions/done", {"result": ""})
    assert r.status_code == 400
    r = _post(client, f"{API}/follow-ups/{note.pk}/actions/done", {"result": "已修好"})
    assert r.status_code == 200 and r.json()["follow_up_result"] == "已修好"
    again = _post(client, f"{API}/follow-ups/{note.pk}/actions/done", {"result": "再修"})
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_done"
    assert (
        client.post(f"/fieldwork/notes/{note.pk}/act/done/", {"result": "再修"}).status_code == 409
    )
    r = _post(client, f"{API}/follow-ups/{note.pk}/actions/nope")
    assert r.status_code == 400 and r.json()["error"]["details"]["allowed"] == ["done"]
    note.refresh_from_db()
    assert note.follow_up_result == "已修好"
    assert registry.available(note, users["grid_worker"]) == []


def test_patrol_to_case_page_api_conflict_and_scope(client, county, users, users_b, make_user):
    officer, log = _log(county, make_user)
    category = leaf_categories()[0]
    body = {"place_id": county.grid_a.pk, "category": category.code}
    login(client, users_b["community_officer"])
    assert _post(client, f"{API}/patrols/{log.pk}/actions/to_case", body).status_code == 404
    assert Case.objects.count() == 0
    login(client, officer)
    r = _post(client, f"{API}/patrols/{log.pk}/actions/to_case", {**body, "place_id": 10**9})
    assert r.status_code == 404
    r = _post(client, f"{API}/patrols/{log.pk}/actions/to_case", body)
    assert r.status_code == 200 and r.json()["case_number"]
    again = client.post(
        f"/fieldwork/patrols/{log.pk}/act/to_case/",
        {"place": county.grid_a.pk, "category": category.code},
    )
    assert again.status_code == 302
    assert "已转为案事件" in client.get(again.url).content.decode()
    assert Case.objects.count() == 1
    log.refresh_from_db()
    assert registry.available(log, officer) == []


def test_done_checks_on_the_locked_row(county, users):
    note = _note(county, users)
    stale = FieldNote.objects.get(pk=note.pk)
    registry.act(note, "done", users["grid_worker"], {"result": "已修好"})
    with pytest.raises(Conflict):
        registry.act(stale, "done", users["grid_worker"], {"result": "又修"})
    assert FieldNote.objects.get().follow_up_result == "已修好"
