"""Two people acting on the same case at once (claim, merge, extension approval, verification),
and a replayed submission racing itself.

The hold fixture makes each race deterministic: the first caller to write a timeline entry (inside
its locked transaction) waits until the other backend is seen waiting for a row lock. With checks
made before the lock (the old shape of ``merge``), the other call never waits, both pass their
checks, and the assertions on a single winner fail."""

import threading
import time

import pytest
from django.db import connection, connections

from fengqiao.cases import services
from fengqiao.cases.models import Case
from fengqiao.core import workflow
from fengqiao.core.errors import Conflict, ServiceError
from fengqiao.core.workflow import open_deadlines, timeline

from .helpers import claimed, dispatched, make_case, resolved

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite serialises)"
    ),
]


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
        thread.join()
    return results


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
    real = workflow.append_timeline
    state = {"first": False, "seen": None}  # armed by the test once its records exist
    guard = threading.Lock()

    def held(*args, **kwargs):
        with guard:
            first, state["first"] = state["first"], False
        if first:
            state["seen"] = _other_backend_waits_for_a_lock()
        return real(*args, **kwargs)

    monkeypatch.setattr(workflow, "append_timeline", held)
    return state


def _fresh(case):
    return Case.objects.get(pk=case.pk)


def test_two_claims_one_wins_while_the_first_holds_the_row(
    county, users, make_user, hold_first_writer
):
    case = dispatched(county.grid_a, users, county)
    first = users["department_staff"]
    second = make_user("department_staff", department=county.urban)
    hold_first_writer["first"] = True
    results = _race(
        [lambda: services.claim(_fresh(case), first), lambda: services.claim(_fresh(case), second)]
    )
    assert hold_first_writer["seen"], "the second claim never waited for the row lock"
    assert sorted(type(r).__name__ for r in results) == ["Case", "Conflict"], results
    case.refresh_from_db()
    assert [e.transition for e in timeline(case)].count("claim") == 1


def test_crossed_merges_one_wins(county, users, hold_first_writer):
    """A into B and B into A at once: checked before the lock, both passed and each case ended
    up merged into the other. Now both rows are locked and the target checked under the lock."""
    a, b = make_case(county.grid_a), make_case(county.grid_a)
    dispatcher = users["dispatcher"]
    hold_first_writer["first"] = True
    results = _race(
        [
            lambda: services.merge(_fresh(a), dispatcher, data={"duplicate_of": b.pk}),
            lambda: services.merge(_fresh(b), dispatcher, data={"duplicate_of": a.pk}),
        ]
    )
    assert hold_first_writer["seen"], "the second merge never waited for the row lock"
    losses = [r for r in results if isinstance(r, ServiceError)]
    assert len(losses) == 1 and losses[0].status == 409, results
    states = sorted(Case.objects.filter(pk__in=(a.pk, b.pk)).values_list("state", flat=True))
    assert states == ["merged", "reported"]
    assert Case.objects.filter(pk__in=(a.pk, b.pk), duplicate_of__isnull=False).count() == 1


def test_two_extension_approvals_extend_once(county, users, make_user, hold_first_writer):
    case = claimed(county.grid_a, users, county)
    case = services.request_extension(
        case, users["department_staff"], note="协调", data={"days": 2}
    )
    first = users["dispatcher"]
    second = make_user("dispatcher", places=[county.grid_a])
    hold_first_writer["first"] = True
    results = _race(
        [
            lambda: services.act(_fresh(case), "approve_extension", first),
            lambda: services.act(_fresh(case), "approve_extension", second),
        ]
    )
    assert hold_first_writer["seen"], "the second approval never waited for the row lock"
    losses = [r for r in results if isinstance(r, ServiceError)]
    assert len(losses) == 1 and losses[0].code == "no_extension", results
    case.refresh_from_db()
    assert case.extension_count == 1 and case.extension_pending is None
    handle = [d for d in open_deadlines(case) if d.kind == "handle"]
    assert len(handle) == 1 and handle[0].due_at == case.handle_due_at


def test_two_verifications_close_once(county, users, make_user, hold_first_writer):
    case = resolved(county.grid_a, users, county)
    first = users["grid_worker"]
    second = make_user("grid_worker", places=[county.grid_a])
    hold_first_writer["first"] = True
    results = _race(
        [
            lambda: services.verify(_fresh(case), first, data={"passed": "1"}),
            lambda: services.verify(_fresh(case), second, data={"passed": "0"}, note="没修好"),
        ]
    )
    assert hold_first_writer["seen"], "the second verification never waited for the row lock"
    losses = [r for r in results if isinstance(r, Conflict)]
    assert len(losses) == 1, results
    case.refresh_from_db()
    names = [e.transition for e in timeline(case)]
    assert names.count("verify") + names.count("rework") == 1
    assert case.state in ("closed", "in_progress")
    assert case.rework_count == (1 if case.state == "in_progress" else 0)


def test_two_claims_one_wins(county, users, make_user):
    case = dispatched(county.grid_a, users, county)
    first, second = (
        users["department_staff"],
        make_user("department_staff", department=county.urban),
    )
    results = _race(
        [
            lambda: services.claim(Case.objects.get(pk=case.pk), first),
            lambda: services.claim(Case.objects.get(pk=case.pk), second),
        ]
    )
    wins = [r for r in results if isinstance(r, Case)]
    losses = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(losses) == 1, results
    case.refresh_from_db()
    assert case.state == "claimed" and case.assignee_id == wins[0].assignee_id
    assert [e.transition for e in timeline(case)].count("claim") == 1


def test_replayed_submission_racing_makes_one_case(county):
    results = _race(
        [lambda: make_case(county.grid_a, client_id="race-0000001", location_text="同一处")] * 3
    )
    assert all(isinstance(r, Case) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert Case.objects.count() == 1
