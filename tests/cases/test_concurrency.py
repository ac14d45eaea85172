"""Two people claiming the same case at once, and a replayed submission racing itself."""

import threading

import pytest
from django.db import connection, connections

from fengqiao.cases import services
from fengqiao.cases.models import Case
from fengqiao.core.errors import Conflict
from fengqiao.core.workflow import timeline

from .helpers import dispatched, make_case

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
