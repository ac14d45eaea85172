"""Two people recording a review decision on the same item at once (PostgreSQL row locks): the
double submission of a meeting screen or two clerks at two screens. The first to lock the
session holds it until it commits (the test keeps it there until the other backend is seen
waiting); the second then finds the decision recorded: the same decision answers "recorded
already", a different one a clear 409. Either way one timeline entry, one level change."""

import threading
import time

import pytest
from django.db import connection, connections

from fengqiao.core.errors import Conflict
from fengqiao.core.models import TimelineEntry
from fengqiao.org.roles import sync_roles
from fengqiao.risks import reviews
from fengqiao.risks.models import LevelChange, ReviewItem, Risk, RiskCategory
from tests.risks import helpers

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
    real = reviews.apply
    state = {"first": True, "seen": None}
    guard = threading.Lock()

    def held(*args, **kwargs):
        with guard:
            first, state["first"] = state["first"], False
        if first:
            state["seen"] = _other_backend_waits_for_a_lock()
        return real(*args, **kwargs)

    monkeypatch.setattr(reviews, "apply", held)
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
def item(db, county, users):
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes

    for config in apps.get_app_configs():
        create_contenttypes(config, verbosity=0)
        create_permissions(config, verbosity=0)
    sync_roles()
    RiskCategory.objects.get_or_create(
        code="group_instability", defaults={"name": "涉稳群体性苗头"}
    )
    helpers.filed(county.grid_a, users, level="orange")
    session = reviews.create_session(users["dispatcher"], place=county.grid_a, slot_at=None)
    return session.items.get()


def _decide(item, user, decision, level):
    return reviews.decide(
        item.session, item.pk, user, decision=decision, new_level=level, note="会商研判"
    )


def _counts(risk):
    return (
        TimelineEntry.objects.filter(transition="review", object_id=risk.pk).count(),
        LevelChange.objects.filter(risk=risk, review_item__isnull=False).count(),
    )


def test_same_decision_twice_at_once_is_recorded_once(item, users, hold_first_writer):
    leader = users["leader"]
    results = _race([lambda: _decide(item, leader, "lower", "blue")] * 2)
    assert hold_first_writer["seen"], "the second submission never waited for the lock"
    assert sorted(created for _item, created in results) == [False, True], results
    assert _counts(item.risk) == (1, 1)
    assert Risk.objects.get(pk=item.risk_id).level == "blue"


def test_different_decisions_at_once_one_wins(item, users, make_user, hold_first_writer):
    second = make_user("leader", places=[item.risk.place])
    results = _race(
        [
            lambda: _decide(item, users["leader"], "lower", "blue"),
            lambda: _decide(item, second, "raise", "red"),
        ]
    )
    wins = [r for r in results if isinstance(r, tuple)]
    losses = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert losses[0].code == "already_decided"
    assert _counts(item.risk) == (1, 1)
    recorded = ReviewItem.objects.get(pk=item.pk)
    assert Risk.objects.get(pk=item.risk_id).level == recorded.new_level
