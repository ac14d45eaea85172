"""Double submits of the assistant's staff actions (PostgreSQL row locks).

Two officers (or one double click) turning the same alert into a case at once must make one case;
two replies to the same hand-off at once must leave one reply, the one the resident reads. The
first transaction to lock the row holds it until the other backend is seen waiting for that lock
(pg_stat_activity), which makes the race deterministic."""

import threading

import pytest
from django.db import connection

from fengqiao.assistant import services
from fengqiao.assistant.models import Alert, Handoff
from fengqiao.cases import services as cases_services
from fengqiao.cases.models import Case
from fengqiao.core.errors import Conflict
from tests.disputes.test_race import _other_backend_waits_for_a_lock, _race

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks (select_for_update) need PostgreSQL; SQLite serialises all writers",
    ),
]


@pytest.fixture
def reference_data(db):
    """A transactional test may start after another one's flush: the migrated reference data
    (role groups and their permissions, case categories) must be there."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes

    from fengqiao.cases.defaults import install
    from fengqiao.cases.models import Category
    from fengqiao.org.roles import sync_roles

    for config in apps.get_app_configs():
        create_contenttypes(config, verbosity=0)
        create_permissions(config, verbosity=0)
    sync_roles()
    if not Category.objects.filter(code="consultation").exists():
        install(Category)


def _hold(monkeypatch, target, name):
    """The first call of ``target.name`` (inside the locked transaction) waits until the other
    thread is blocked on the row lock; ``state["seen"]`` records that it was."""
    real = getattr(target, name)
    state = {"first": True, "seen": None}
    guard = threading.Lock()

    def held(*args, **kwargs):
        with guard:
            first, state["first"] = state["first"], False
        if first:
            state["seen"] = _other_backend_waits_for_a_lock()
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, held)
    return state


def test_two_alert_to_case_calls_at_once_make_one_case(
    reference_data, county, users, make_user, monkeypatch
):
    _result, alert = services.screen_message(
        "刷单返利兼职，先垫付后返佣金，日赚三百", county.grid_a
    )
    first = users["community_officer"]
    second = make_user("community_officer", places=[county.grid_a])
    held = _hold(monkeypatch, cases_services, "create_case_from_alert")
    results = _race(
        [
            lambda: services.alert_to_case(Alert.objects.get(pk=alert.pk), actor=first),
            lambda: services.alert_to_case(Alert.objects.get(pk=alert.pk), actor=second),
        ]
    )
    assert held["seen"], "the second call never waited for the row lock"
    assert all(isinstance(r, Alert) for r in results), results
    case = Case.objects.get()  # one case, not two
    assert [r.case_ref for r in results] == [case.tracking_code] * 2
    alert.refresh_from_db()
    assert (alert.status, alert.case_ref) == ("case", case.tracking_code)


def test_dismiss_racing_alert_to_case(reference_data, county, users, make_user, monkeypatch):
    _result, alert = services.screen_message(
        "刷单返利兼职，先垫付后返佣金，日赚三百", county.grid_a
    )
    officer = users["community_officer"]
    held = _hold(monkeypatch, cases_services, "create_case_from_alert")
    made, dismissed = _race(
        [
            lambda: services.alert_to_case(Alert.objects.get(pk=alert.pk), actor=officer),
            lambda: services.dismiss_alert(Alert.objects.get(pk=alert.pk), actor=officer),
        ]
    )
    alert.refresh_from_db()
    if held["seen"]:  # the case went first: the dismissal comes too late
        assert isinstance(dismissed, Conflict) and dismissed.code == "alert_made_into_case"
        assert alert.status == "case" and Case.objects.count() == 1
    else:  # the dismissal went first: no case
        assert isinstance(made, Conflict) and made.code == "alert_dismissed"
        assert alert.status == "dismissed" and not Case.objects.exists()


def test_two_replies_at_once_leave_one(reference_data, county, users, make_user, monkeypatch):
    handoff = services.request_handoff("老年食堂几点开饭", county.grid_a)
    first = users["community_officer"]
    second = make_user("community_officer", places=[county.grid_a])
    held = _hold(monkeypatch, cases_services, "answer_consultation")
    results = _race(
        [
            lambda: services.answer_handoff(
                Handoff.objects.get(pk=handoff.pk), "甲：每天11点开饭", actor=first
            ),
            lambda: services.answer_handoff(
                Handoff.objects.get(pk=handoff.pk), "乙：中午11点", actor=second
            ),
        ]
    )
    assert held["seen"], "the second reply never waited for the row lock"
    wins = [r for r in results if isinstance(r, Handoff)]
    losses = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert losses[0].code == "already_answered" and losses[0].status == 409
    handoff.refresh_from_db()
    case = Case.objects.get(tracking_code=handoff.case_ref)
    assert handoff.reply == wins[0].reply == case.result  # what the resident reads
