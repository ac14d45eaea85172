"""The daily roll-up gives the same figures as the live query (same fixtures, same numbers), is
marked dirty by the case flow and refreshed by the periodic job."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.cases import services as case_services
from fengqiao.cases.models import Case
from fengqiao.insights import figures, rollup, services
from fengqiao.insights.figures import Period
from fengqiao.insights.models import CaseDay, DirtyDay
from tests.cases.helpers import claimed

from .test_board import JUNE, world  # noqa: F401 — the hand-computed fixture

KEYS = [k for k, _label, _kind in figures.CASE_KPIS]


def _board(actor, span, by):
    board = services.case_board(actor, span, by=by)
    return board["source"], board["kpis"], board["rows"], board["trend"]


@pytest.mark.parametrize("by", ["grid", "village", "department", "category"])
@pytest.mark.parametrize(
    "span",
    [
        JUNE,
        Period(JUNE.start, JUNE.start + timedelta(days=14)),
        Period(JUNE.start - timedelta(days=400), JUNE.end),
    ],
    ids=["june", "first-half", "long"],
)
def test_rollup_equals_live(world, users, by, span):  # noqa: F811
    leader = users["leader"]
    live = _board(leader, span, by)
    assert live[0] == "live"
    assert rollup.rebuild() > 0
    fast = _board(leader, span, by)
    assert fast[0] == "rollup"
    assert fast[1:] == live[1:]


def test_period_end_correction(world, users):  # noqa: F811
    """A case due in the period but closed after it is not closed for that period."""
    leader = users["leader"]
    late = Case.objects.filter(
        closed_at__isnull=False, accepted_at__date=JUNE.start.replace(day=15)
    ).first()
    Case.objects.filter(pk=late.pk).update(
        handle_due_at=late.accepted_at, closed_at=late.accepted_at + timedelta(days=20)
    )
    first_half = Period(JUNE.start, JUNE.start + timedelta(days=15))
    live = {k["key"]: k["value"] for k in services.case_board(leader, first_half)["kpis"]}
    rollup.rebuild()
    fast = {k["key"]: k["value"] for k in services.case_board(leader, first_half)["kpis"]}
    assert fast == live


def test_transitions_mark_slices_and_the_job_refreshes(county, users):
    rollup.rebuild()
    assert CaseDay.objects.count() == 0
    case = claimed(county.grid_a, users, county)
    assert DirtyDay.objects.filter(place=county.grid_a).exists()
    assert rollup.refresh_dirty() >= 1
    assert not DirtyDay.objects.exists()
    today = timezone.localdate()
    span = Period(today - timedelta(days=1), today)
    total = rollup.counters((county.county.path,), span)
    assert total["accepted"] == 1
    case_services.resolve(case, users["department_staff"], data={"result": "好了"})
    case = Case.objects.get(pk=case.pk)
    case_services.verify(case, users["grid_worker"], data={"passed": "1"})
    rollup.refresh_dirty()
    assert rollup.counters((county.county.path,), span)["closed"] == 1


def test_command(county, users):
    from django.core.management import call_command

    claimed(county.grid_a, users, county)
    call_command("insights_rollup", "--rebuild")
    assert rollup.ready() and CaseDay.objects.filter(dim="").exists()
    call_command("insights_rollup")
