"""The figures: 立案数, 结案数, 应结案数, 结案率, 按期结案率, 返工率, 延期率, mean time to close,
10-minute arrival for urgent cases, satisfaction — per unit, place and period."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.cases import services
from fengqiao.cases.models import Case
from fengqiao.insights import figures
from tests.cases.helpers import claimed, closed, make_case


@pytest.fixture
def world(county, users):
    staff, gw = users["department_staff"], users["grid_worker"]
    # 1: on time, very satisfied
    one = closed(county.grid_a, users, county)
    services.return_visit(one, gw, data={"satisfaction": 5})
    # 2: reworked once, closed late, dissatisfied
    two = claimed(county.grid_a, users, county)
    Case.objects.filter(pk=two.pk).update(handle_due_at=timezone.now() - timedelta(minutes=1))
    two.refresh_from_db()
    two = services.resolve(two, staff, data={"result": "a"})
    two = services.verify(two, gw, note="不彻底", data={"passed": "0"})
    two = services.resolve(two, staff, data={"result": "b"})
    two = services.verify(two, gw)
    services.return_visit(two, gw, data={"satisfaction": 2})
    # 3, 4: urgent; one on site within 10 minutes, one after 20
    three = claimed(county.grid_a, users, county, code="safety_fire")
    services.act(three, "arrive", staff)
    four = claimed(county.grid_a, users, county, code="safety_gas")
    services.act(four, "arrive", staff)
    Case.objects.filter(pk=four.pk).update(arrived_at=four.dispatched_at + timedelta(minutes=20))
    # 5: open, with an approved extension
    five = claimed(county.grid_a, users, county)
    services.request_extension(five, staff, note="协调中", data={"days": 1})
    services.act(five, "approve_extension", users["dispatcher"])
    # 6: reported only (not accepted) in the other grid — counted nowhere but its own place
    make_case(county.grid_c)
    # 7: rejected
    services.reject(make_case(county.grid_a), users["dispatcher"], data={"reason": "重复"})
    return {"one": one, "two": two, "three": three, "four": four, "five": five}


def test_totals(world):
    today = timezone.localdate()
    total = figures.compute(
        Case.objects.all(), today - timedelta(days=1), today + timedelta(days=30), by=None
    )[0]
    assert total["accepted"] == 5
    assert total["closed"] == 2
    # due in the window: the handling deadlines of all five accepted cases
    assert total["due"] == 5 and total["due_closed"] == 2
    assert total["close_rate"] == 0.4
    assert total["on_time_rate"] == 0.5  # case two was late
    assert total["rework_rate"] == 0.5
    assert total["extension_rate"] == 0.2
    assert total["arrival_rate"] == 0.5
    assert total["satisfaction_rate"] == 0.5
    assert total["mean_hours_to_close"] is not None and total["mean_hours_to_close"] >= 0


def test_per_unit_place_and_category(world, county):
    today = timezone.localdate()
    rows = figures.compute(Case.objects.all(), today, today + timedelta(days=30), by="department")
    assert [r["label"] for r in rows] == [county.urban.name]
    assert rows[0]["accepted"] == 5
    villages = figures.compute(Case.objects.all(), today, today + timedelta(days=30), by="village")
    assert [(r["label"], r["accepted"]) for r in villages] == [(county.village.name, 5)]
    cats = {r["label"]: r["accepted"] for r in figures.compute(Case.objects.all(), today, today + timedelta(days=30), by="category")}  # fmt: skip
    assert cats == {"市容环境": 3, "消防隐患": 1, "燃气隐患": 1}


def test_period_outside_is_empty(world):
    long_ago = timezone.localdate() - timedelta(days=400)
    total = figures.compute(Case.objects.all(), long_ago, long_ago + timedelta(days=10), by=None)[0]
    assert (
        total["accepted"] == 0
        and total["close_rate"] is None
        and total["satisfaction_rate"] is None
    )


def test_scope_limits_figures(world, users_b):
    today = timezone.localdate()
    rows = Case.objects.restrict(users_b["dispatcher"])
    assert figures.compute(rows, today, today, by=None)[0]["accepted"] == 0
