"""The kernel contract of issue 8: effects on transitions, explicit changes, the locked row,
``next_due_at`` kept by the kernel, and one action registry driving forms and the API."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from ninja import NinjaAPI, Router, Schema
from ninja.testing import TestClient

from fengqiao.core import workflow
from fengqiao.core.actions import Action, ActionRegistry, NoteIn
from fengqiao.core.errors import Conflict, Forbidden, NotFound, ServiceError
from fengqiao.core.models import Deadline, TimelineEntry
from tests.kernelapp.models import Ticket, flow


@pytest.fixture
def worker(make_user, county):
    user = make_user("grid_worker", places=[county.grid_a])
    user.user_permissions.add(Permission.objects.get(codename="work_ticket"))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def ticket(county):
    return Ticket.objects.create(title="路灯不亮", place=county.grid_a)


# -- effects, changes, the move -------------------------------------------------------------
def test_effect_is_declared_on_the_transition():
    assert flow.transition("claim").effect is not None
    for registered in workflow.WORKFLOWS.values():  # no flow keeps a name-switch hook
        assert not hasattr(registered, "effects"), registered


def test_effect_and_guard_get_the_move(ticket, worker):
    seen = {}

    def guard(record, move):
        seen["guard"] = (record.state, move.actor, move.note, move.data, move.name)

    def effect(record, move):
        seen["effect"] = (move.now, move.changes)
        record.result = move.data["text"]

    transition = workflow.Transition("probe", ("new",), None, guard=guard, effect=effect)
    flow._by_name["probe"] = transition
    try:
        now = timezone.now()
        record, entry = workflow.apply(
            ticket, "probe", worker, note="n", data={"text": "t"}, changes={"title": "新"}, now=now
        )
    finally:
        del flow._by_name["probe"]
    assert seen["guard"] == ("new", worker, "n", {"text": "t"}, "probe")
    assert seen["effect"] == (now, {"title": "新"})
    ticket.refresh_from_db()
    assert (ticket.title, ticket.result) == ("新", "t")
    assert entry.data == {"text": "t"}


def test_changes_are_set_on_the_locked_row(ticket, worker):
    workflow.apply(ticket, "claim", worker)
    record, _entry = workflow.apply(ticket, "note", worker, note="补充", changes={"result": "x"})
    assert record.result == "x" and Ticket.objects.get(pk=ticket.pk).result == "x"


# -- the locked row --------------------------------------------------------------------------
def test_guard_sees_the_database_row_not_the_stale_instance(ticket, worker):
    workflow.apply(ticket, "claim", worker)
    stale = Ticket.objects.get(pk=ticket.pk)
    Ticket.objects.filter(pk=ticket.pk).update(attempts=3)
    assert stale.attempts == 0
    with pytest.raises(Conflict) as refused:
        workflow.apply(stale, "attempt", worker)
    assert refused.value.code == "too_many_attempts"


def test_locked_checks_scope_and_yields_a_fresh_row(ticket, worker, make_user, county):
    outsider = make_user("grid_worker", places=[county.grid_b])
    with pytest.raises(NotFound), workflow.locked(ticket, outsider):
        pass
    Ticket.objects.filter(pk=ticket.pk).update(title="改过")
    with workflow.locked(ticket, worker) as row:
        assert row is not ticket and row.title == "改过"
    missing = Ticket(pk=999999, title="x", place=county.grid_a)
    with pytest.raises(NotFound), workflow.locked(missing):
        pass


def test_apply_inside_locked_reuses_the_lock(ticket, worker):
    with workflow.locked(ticket, worker) as row:
        with CaptureQueriesContext(connection) as queries:
            record, _entry = workflow.apply(row, "claim", worker)
        assert record is row and row.state == "claimed"
    sql = " ".join(q["sql"] for q in queries.captured_queries).upper()
    assert "FOR UPDATE" not in sql  # the row is already locked
    assert Ticket.objects.get(pk=ticket.pk).state == "claimed"


def test_a_refusal_inside_locked_rolls_everything_back(ticket, worker):
    with pytest.raises(ServiceError), workflow.locked(ticket, worker) as row:
        workflow.apply(row, "claim", worker)
        raise ServiceError("later check fails")
    assert Ticket.objects.get(pk=ticket.pk).state == "new"
    assert not TimelineEntry.objects.filter(object_id=ticket.pk).exists()
    assert not Deadline.objects.filter(object_id=ticket.pk).exists()


def test_lock_is_not_reused_after_the_block(ticket, worker):
    with workflow.locked(ticket, worker) as row:
        pass
    with CaptureQueriesContext(connection) as queries:
        workflow.apply(row, "claim", worker)
    assert any("FOR UPDATE" in q["sql"].upper() for q in queries.captured_queries) or (
        connection.vendor == "sqlite"  # SQLite has no FOR UPDATE; the select runs all the same
    )
    assert not hasattr(row, "_kernel_lock")


# -- next_due_at ------------------------------------------------------------------------------
def test_next_due_at_follows_open_deadlines(ticket, worker):
    start = timezone.now()
    record, _e = workflow.apply(ticket, "claim", worker, now=start)
    assert record.next_due_at == start + timedelta(hours=2)
    assert Ticket.objects.get(pk=ticket.pk).next_due_at == start + timedelta(hours=2)
    later = start + timedelta(minutes=30)
    workflow.apply(ticket, "attempt", worker, now=later)
    assert Ticket.objects.get(pk=ticket.pk).next_due_at == later + timedelta(hours=2)
    assert list(
        Deadline.objects.filter(object_id=ticket.pk).order_by("id").values_list("state", flat=True)
    ) == ["met", "open"]
    workflow.apply(ticket, "resolve", worker, data={"result": "ok"}, now=later)
    assert Ticket.objects.get(pk=ticket.pk).next_due_at is None


def test_next_due_at_kept_outside_apply(ticket):
    due = timezone.now() + timedelta(days=1)
    workflow.start_deadline(ticket, "extra", due)
    assert Ticket.objects.get(pk=ticket.pk).next_due_at == due
    workflow.stop_deadlines(ticket, ("extra",))
    assert Ticket.objects.get(pk=ticket.pk).next_due_at is None


def test_breached_and_met_per_deadline(ticket, worker):
    start = timezone.now() - timedelta(hours=5)
    workflow.apply(ticket, "claim", worker, now=start)
    workflow.apply(ticket, "attempt", worker, now=start + timedelta(hours=3))  # late: breached
    workflow.apply(ticket, "resolve", worker, data={"result": "ok"}, now=start + timedelta(hours=4))
    states = Deadline.objects.filter(object_id=ticket.pk).order_by("id")
    assert [(d.state, d.breached) for d in states] == [("breached", True), ("met", False)]


# -- the action registry -------------------------------------------------------------------
class ResolveIn(Schema):
    note: str = ""
    result: str
    hours: int = 0


def _resolve(record, actor, payload, attachments=()):
    record, _entry = workflow.apply(
        record,
        "resolve",
        actor,
        note=payload["note"],
        data={"result": payload["result"], "files": len(attachments)},
    )
    return record


def _claim(record, actor, payload):
    return workflow.apply(record, "claim", actor, note=payload["note"])[0]


def _review(record, actor, payload):
    return workflow.apply(record, "review", actor)[0]


@pytest.fixture
def registry():
    return ActionRegistry(
        "tickets",
        flow=flow,
        actions=[
            Action("claim", _claim, NoteIn, "kernelapp.work_ticket"),
            Action("resolve", _resolve, ResolveIn, "kernelapp.work_ticket", "办结"),
            Action("review", _review),
        ],
    )


def test_registry_act_validates_and_calls_the_service(registry, ticket, worker):
    assert registry.act(ticket, "claim", worker, {"note": "收到"}).state == "claimed"
    with pytest.raises(ServiceError) as invalid:
        registry.act(ticket, "resolve", worker, {"hours": "x"})
    assert invalid.value.code == "validation_error"
    assert {e["field"] for e in invalid.value.details["errors"]} == {"result", "hours"}
    with pytest.raises(ServiceError) as unknown:
        registry.act(ticket, "teleport", worker, {})
    assert unknown.value.code == "unknown_transition"
    record = registry.act(ticket, "resolve", worker, {"result": "修好"}, attachments=[1, 2])
    assert record.state == "resolved"
    assert TimelineEntry.objects.get(object_id=ticket.pk, transition="resolve").data == {
        "result": "修好",
        "files": 2,
    }


def test_registry_checks_the_action_permission(registry, ticket, make_user, county):
    plain = make_user("grid_worker", places=[county.grid_a])
    with pytest.raises(Forbidden):
        registry.act(ticket, "claim", plain, {})


def test_available_follows_state_permission_and_guard(registry, ticket, worker, make_user, county):
    assert registry.available(ticket, worker) == ["claim"]
    plain = make_user("grid_worker", places=[county.grid_a])
    assert registry.available(ticket, plain) == []
    registry.act(ticket, "claim", worker, {})
    registry.act(ticket, "resolve", worker, {"result": "ok"})
    ticket.refresh_from_db()
    assert registry.available(ticket, worker) == []  # review: the guard refuses self review
    assert registry.available(ticket, plain) == ["review"]


def test_form_handling_reads_the_schema_fields(registry, ticket, worker):
    registry.act(ticket, "claim", worker, {})
    request = RequestFactory().post("/x", {"result": "换了灯泡", "hours": "", "note": "好"})
    request.user = worker
    assert registry.form_payload(request, "resolve") == {"result": "换了灯泡", "note": "好"}
    record = registry.handle_form(request, ticket, "resolve")
    assert record.state == "resolved" and record.result == "换了灯泡"


def test_api_operations_one_per_action_with_its_schema(registry, ticket, worker):
    router = Router()

    def load(request, ticket_id):
        return Ticket.objects.get_scoped(request.user, "view", pk=ticket_id)

    def respond(request, ticket_id, record):
        return {"id": record.pk, "state": record.state}

    registry.add_api_operations(router, id_param="ticket_id", load=load, respond=respond)
    api = NinjaAPI(urls_namespace="kernel_actions_test")
    api.add_router("/tickets", router)
    paths = api.get_openapi_schema(path_prefix="/api")["paths"]
    expected = registry.api_paths("/api/tickets", "ticket_id")
    assert set(expected) <= set(paths)
    resolve = paths["/api/tickets/{ticket_id}/actions/resolve"]["post"]
    body = json.dumps(resolve["requestBody"])
    assert "ResolveIn" in body and resolve["summary"] == "办结"
    client = TestClient(router)
    answer = client.post(f"/{ticket.pk}/actions/claim", json={}, user=worker)
    assert answer.status_code == 200 and answer.json() == {"id": ticket.pk, "state": "claimed"}
    answer = client.post(f"/{ticket.pk}/actions/resolve", json={"result": "ok"}, user=worker)
    assert answer.json()["state"] == "resolved"
