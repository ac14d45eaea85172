"""The workflow kernel: transitions, guards, timeline, deadlines and the escalation sweep."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from fengqiao.core import workflow
from fengqiao.core.errors import Conflict, Forbidden, NotFound, ServiceError
from fengqiao.core.models import Deadline, Notification, TimelineEntry
from tests.kernelapp.models import Ticket


@pytest.fixture
def worker(make_user, county):
    user = make_user("grid_worker", places=[county.grid_a])
    user.user_permissions.add(Permission.objects.get(codename="work_ticket"))
    return type(user).objects.get(pk=user.pk)  # fresh permission cache


@pytest.fixture
def ticket(county):
    return Ticket.objects.create(title="路灯不亮", place=county.grid_a)


def test_transition_moves_state_writes_timeline_and_starts_deadline(ticket, worker):
    record, entry = workflow.apply(ticket, "claim", worker, note="已签收")
    assert record.state == "claimed" and record.assignee == worker
    assert (entry.from_state, entry.to_state, entry.note) == ("new", "claimed", "已签收")
    assert entry.actor == worker
    deadline = Deadline.objects.get(object_id=ticket.pk, kind="resolve")
    assert deadline.state == "open" and deadline.next_check_at == deadline.due_at
    assert deadline.place_path == ticket.place_path


def test_wrong_state_is_a_conflict_and_changes_nothing(ticket, worker):
    with pytest.raises(Conflict):
        workflow.apply(ticket, "resolve", worker, data={"result": "修好了"})
    ticket.refresh_from_db()
    assert ticket.state == "new"
    assert not TimelineEntry.objects.filter(object_id=ticket.pk).exists()


def test_permission_required(ticket, make_user, county):
    other = make_user("grid_worker", places=[county.grid_a])
    with pytest.raises(Forbidden):
        workflow.apply(ticket, "claim", other)


def test_out_of_scope_is_not_found(ticket, make_user, county):
    outsider = make_user("grid_worker", places=[county.grid_b])
    outsider.user_permissions.add(Permission.objects.get(codename="work_ticket"))
    with pytest.raises(NotFound):
        workflow.apply(ticket, "claim", outsider)


def test_required_fields_and_guard(ticket, worker):
    workflow.apply(ticket, "claim", worker)
    with pytest.raises(ServiceError) as missing:
        workflow.apply(ticket, "note", worker, note="  ")
    assert missing.value.details == {"missing": ["note"]}
    with pytest.raises(ServiceError):
        workflow.apply(ticket, "resolve", worker, data={})
    workflow.apply(ticket, "resolve", worker, data={"result": "更换灯泡"})
    with pytest.raises(ServiceError) as guard:
        workflow.apply(ticket, "review", worker)
    assert guard.value.code == "self_review"


def test_unknown_transition(ticket, worker):
    with pytest.raises(ServiceError) as exc:
        workflow.apply(ticket, "teleport", worker)
    assert exc.value.code == "unknown_transition"


def test_stop_marks_met_or_breached(ticket, worker):
    start = timezone.now()
    workflow.apply(ticket, "claim", worker, now=start)
    workflow.apply(ticket, "resolve", worker, data={"result": "ok"}, now=start + timedelta(hours=1))
    assert Deadline.objects.get(object_id=ticket.pk).state == "met"

    late = Ticket.objects.create(title="井盖缺失", place=ticket.place)
    workflow.apply(late, "claim", worker, now=start)
    workflow.apply(late, "resolve", worker, data={"result": "ok"}, now=start + timedelta(hours=3))
    deadline = Deadline.objects.get(object_id=late.pk)
    assert deadline.state == "breached" and deadline.breached


def test_sweep_applies_policy_steps_once_each(ticket, worker):
    start = timezone.now() - timedelta(hours=5)
    workflow.apply(ticket, "claim", worker, now=start)
    due = start + timedelta(hours=2)
    assert workflow.sweep_deadlines(now=due - timedelta(minutes=1)) == 0
    assert workflow.sweep_deadlines(now=due + timedelta(minutes=1)) == 1  # yellow
    assert workflow.sweep_deadlines(now=due + timedelta(minutes=2)) == 0  # nothing new due
    assert workflow.sweep_deadlines(now=due + timedelta(hours=2)) == 1  # red
    assert workflow.sweep_deadlines(now=due + timedelta(hours=9)) == 0  # no steps left
    steps = TimelineEntry.objects.filter(object_id=ticket.pk, transition="escalate")
    assert [e.data["action"] for e in steps] == ["yellow", "red"]
    deadline = Deadline.objects.get(object_id=ticket.pk)
    assert deadline.breached and deadline.level == 2 and deadline.next_check_at is None
    assert Notification.objects.filter(recipient=worker, kind="deadline.red").count() == 1


def test_sweep_reads_only_due_rows(ticket, worker, county, django_assert_max_num_queries):
    """Many open deadlines, few due: the sweep's queries do not grow with the open ones."""
    now = timezone.now()
    tickets = Ticket.objects.bulk_create(
        [
            Ticket(title=f"t{i}", place=county.grid_a, place_path=county.grid_a.path)
            for i in range(50)
        ]
    )
    for t in tickets:
        workflow.start_deadline(t, "resolve", now + timedelta(days=1), policy="ticket", now=now)
    workflow.start_deadline(ticket, "resolve", now - timedelta(minutes=5), policy="ticket", now=now)
    with django_assert_max_num_queries(12):
        assert workflow.sweep_deadlines(now=now) == 1


def test_timeline_is_append_only(ticket, worker):
    from fengqiao.core.models import AppendOnlyError

    _record, entry = workflow.apply(ticket, "claim", worker)
    entry.note = "改写"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        TimelineEntry.objects.filter(pk=entry.pk).update(note="x")
    with pytest.raises(AppendOnlyError):
        TimelineEntry.objects.filter(pk=entry.pk).delete()


def test_available_lists_permitted_transitions(ticket, worker, make_user, county):
    names = [t.name for t in workflow.workflow_for(ticket).available(ticket, worker)]
    assert names == ["claim"]
    plain = make_user("grid_worker", places=[county.grid_a])
    assert workflow.workflow_for(ticket).available(ticket, plain) == []


def test_listeners_follow_transitions_in_the_same_transaction(ticket, worker):
    seen = []

    def follow(record, transition, entry, actor, data, now):
        seen.append((record.pk, transition.name, entry.to_state))
        if transition.name == "resolve":
            raise ServiceError("the follower refuses")

    workflow.on_transition("kernelapp.ticket", follow)
    try:
        workflow.apply(ticket, "claim", worker)
        with pytest.raises(ServiceError):
            workflow.apply(ticket, "resolve", worker, data={"result": "ok"})
    finally:
        workflow.LISTENERS["kernelapp.ticket"].remove(follow)
    ticket.refresh_from_db()
    assert seen == [(ticket.pk, "claim", "claimed"), (ticket.pk, "resolve", "resolved")]
    assert ticket.state == "claimed"  # the refusal rolled the whole transition back
