"""Two staff claiming or completing the same joint-mediation task at once (PostgreSQL row locks).

The first transaction to lock the task row holds it until it commits; the test makes the race
deterministic by keeping the winner inside its transaction until the other backend is seen
waiting for that lock (pg_stat_activity). The loser then reads the new state: a clear conflict,
no second timeline entry, no second claim or result."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from fengqiao.core import workflow
from fengqiao.core.errors import Conflict
from fengqiao.core.models import Deadline, TimelineEntry
from fengqiao.disputes import services
from fengqiao.disputes.models import Attempt, DisputeType, JointTask
from fengqiao.org.roles import sync_roles
from tests.disputes import helpers

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks (select_for_update) need PostgreSQL; SQLite serialises all writers",
    ),
]


def _other_backend_waits_for_a_lock(timeout=10.0):
    end = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < end:
            # Inside a transaction PostgreSQL keeps the first snapshot of the statistics views:
            # drop it so each poll sees the other backends as they are now.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


@pytest.fixture
def hold_first_writer(monkeypatch):
    """The first caller of the task's timeline write (inside the locked transaction) waits until
    the other thread is blocked on the row lock; ``seen`` records that it was."""
    real = workflow.append_timeline
    state = {"first": True, "seen": None}
    guard = threading.Lock()

    def held(*args, **kwargs):
        with guard:
            first, state["first"] = state["first"], False
        if first:
            state["seen"] = _other_backend_waits_for_a_lock()
        return real(*args, **kwargs)

    monkeypatch.setattr(workflow, "append_timeline", held)
    return state


def _race(functions):
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def run(index, fn):
        try:
            barrier.wait()
            results[index] = fn()
        except Exception as exc:  # noqa: BLE001 — collected and asserted below
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def reference_data(db):
    """A transactional test may start after another one's flush: make sure the migrated
    reference data it relies on (dispute types, role groups and their permissions) is there."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes

    for config in apps.get_app_configs():
        create_contenttypes(config, verbosity=0)
        create_permissions(config, verbosity=0)
    sync_roles()
    DisputeType.objects.get_or_create(code="neighbour", defaults={"name": "邻里纠纷"})


@pytest.fixture
def task_and_staff(reference_data, county, users, make_user):
    dispute = helpers.at_level(county.grid_a, users, 5)
    [task] = services.dispatch_joint_tasks(
        dispute,
        users["dispatcher"],
        [
            {
                "department": county.urban,
                "task": "拆除违建围墙",
                "due_at": timezone.now() + timedelta(days=2),
            }
        ],
    )
    second = make_user("department_staff", places=[county.grid_a], department=county.urban)
    return task, users["department_staff"], second


def _entries(task, state):
    return TimelineEntry.objects.filter(
        transition="joint_task", data__task=task.pk, data__state=state
    ).count()


def test_two_staff_claiming_at_once_one_wins(task_and_staff, hold_first_writer):
    task, first, second = task_and_staff
    results = _race(
        [
            lambda: services.claim_joint_task(task.pk, first),
            lambda: services.claim_joint_task(task.pk, second),
        ]
    )
    assert hold_first_writer["seen"], "the second claim never waited for the row lock"
    wins = [r for r in results if isinstance(r, JointTask)]
    losses = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert losses[0].code == "already_claimed" and losses[0].status == 409
    assert losses[0].message == "任务已签收"
    task.refresh_from_db()
    assert task.state == JointTask.State.CLAIMED and task.claimed_by_id == wins[0].claimed_by_id
    assert _entries(task, "claimed") == 1


def test_two_staff_completing_at_once_one_result(task_and_staff, hold_first_writer):
    task, first, second = task_and_staff
    results = _race(
        [
            lambda: services.complete_joint_task(task.pk, first, result="甲：已拆除"),
            lambda: services.complete_joint_task(task.pk, second, result="乙：已拆除"),
        ]
    )
    assert hold_first_writer["seen"], "the second completion never waited for the row lock"
    wins = [r for r in results if isinstance(r, JointTask)]
    losses = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert losses[0].code == "already_done" and losses[0].message == "任务已反馈"
    task.refresh_from_db()
    assert task.state == JointTask.State.DONE and task.result == wins[0].result
    assert task.claimed_by_id == wins[0].claimed_by_id
    assert _entries(task, "done") == 1
    deadline = Deadline.objects.get(kind="feedback", object_id=task.pk)
    assert deadline.state != Deadline.State.OPEN and deadline.stopped_at is not None


def test_claim_racing_completion(task_and_staff, hold_first_writer):
    task, first, second = task_and_staff
    results = _race(
        [
            lambda: services.claim_joint_task(task.pk, first),
            lambda: services.complete_joint_task(task.pk, second, result="乙：已拆除"),
        ]
    )
    assert hold_first_writer["seen"]
    task.refresh_from_db()
    claimed, completed = results
    if isinstance(claimed, Conflict):  # the completion went first: the claim comes too late
        assert claimed.code == "already_done" and isinstance(completed, JointTask)
        assert _entries(task, "claimed") == 0
    else:  # the claim went first; the completion follows it (no conflict needed)
        assert isinstance(claimed, JointTask) and isinstance(completed, JointTask)
        assert task.claimed_by_id == first.pk and _entries(task, "claimed") == 1
    assert task.state == JointTask.State.DONE and _entries(task, "done") == 1


def test_two_next_level_calls_at_once_make_one_attempt(
    reference_data, county, users, hold_first_writer
):
    """Both read level 1 before the old code took the lock, both passed and two level-2 attempts
    were made. Now every check runs on the locked row: the second sees level 2 and is refused."""
    dispute = helpers.mediating(county.grid_a, users)
    officer = users["community_officer"]
    hold_first_writer["first"] = True  # the setup above wrote timeline entries of its own
    hold_first_writer["seen"] = None
    results = _race(
        [
            lambda: services.next_level(dispute, officer, note="甲：调解不成", to_level=2),
            lambda: services.next_level(dispute, officer, note="乙：调解不成", to_level=2),
        ]
    )
    assert hold_first_writer["seen"], "the second call never waited for the row lock"
    losses = [r for r in results if isinstance(r, Exception)]
    assert len(losses) == 1 and losses[0].code == "invalid_level", results
    dispute.refresh_from_db()
    assert dispute.level == 2
    assert Attempt.objects.filter(dispute=dispute, level=2).count() == 1
    assert Attempt.objects.filter(dispute=dispute, level=1, outcome="failed").count() == 1
    assert TimelineEntry.objects.filter(object_id=dispute.pk, transition="next_level").count() == 1
