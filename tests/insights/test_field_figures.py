"""Visits against target and foreigners' registrations checked on time: hand-computed fixtures."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fengqiao.core.models import Deadline
from fengqiao.fieldwork import services as fieldwork
from fengqiao.insights import services
from fengqiao.registry import services as registry
from tests.conftest import login
from tests.registry import helpers
from tests.registry.test_stays import _data

pytestmark = pytest.mark.django_db


def test_visits_against_target(client, county, users, users_b, make_user):
    today = timezone.localdate()
    span = services.period(today - timedelta(days=13), today)  # 14 days: 2 × the weekly target
    officer = users["community_officer"]
    gw = users["grid_worker"]
    r1, r2, r3 = (helpers.tree(county.grid_a, gw, road=f"路{i}") for i in range(3))
    for room, day in ((r1, today), (r1, today), (r2, today), (r1, today - timedelta(days=7))):
        fieldwork.record_visit(
            officer, address=room, purpose="routine", findings="正常", visited_on=day
        )
    # before the period: not counted
    fieldwork.record_visit(
        officer,
        address=r3,
        purpose="routine",
        findings="正常",
        visited_on=today - timedelta(days=20),
    )
    idle = make_user("community_officer", places=[county.grid_a])
    fieldwork.set_weekly_target(users["leader"], idle, 7)
    # grid B's officer is outside grid A's jurisdiction
    other = helpers.tree(county.grid_b, users_b["grid_worker"], road="南路")
    fieldwork.record_visit(
        users_b["community_officer"], address=other, purpose="routine", findings="x"
    )

    v = services.visit_board(users["dispatcher"], span)
    # this week {r1, r2} + last week {r1} = 3 households-visits; targets 20×2 + 7×2 = 54
    assert (v["visits"], v["done"], v["target"]) == (4, 3, 54)
    assert v["rate"] == round(3 / 54, 4)
    assert [(o["user_id"], o["done"], o["target"]) for o in v["officers"]] == [
        (officer.pk, 3, 40),
        (idle.pk, 0, 14),
    ]
    county_wide = services.visit_board(make_user("leader", places=[county.county]), span)
    assert (county_wide["done"], county_wide["target"]) == (4, 94)

    login(client, users["dispatcher"])
    html = client.get(f"/insights/?start={span.start}&end={span.end}").content.decode()
    assert 'id="visit-figures"' in html and "5.6%" in html
    api = client.get(f"/api/v1/insights/visits?start={span.start}&end={span.end}").json()
    assert (api["done"], api["target"]) == (3, 54)
    assert client.get(f"/api/v1/insights/visits?place={county.grid_b.code}").status_code == 404
    login(client, users["department_staff"])
    assert client.get("/api/v1/insights/visits").status_code == 403


def test_foreigner_registrations_checked_on_time(client, county, users, users_b):
    today = timezone.localdate()
    span = services.period(today - timedelta(days=9), today)
    now = timezone.now()
    room = helpers.tree(county.grid_a, users["grid_worker"])
    on_time = registry.report_stay(room, _data())
    registry.check_stay(users["community_officer"], on_time, note="人证相符")
    late = registry.report_stay(room, _data(passport_number="k7654321"))
    registry.check_stay(users["community_officer"], late, note="迟到核查")
    overdue = registry.report_stay(room, _data(passport_number="k5555555"))
    registry.report_stay(room, _data(passport_number="h1111111", reporter_kind="hotel"))
    registry.report_stay(room, _data(passport_number="p2222222"))  # pending, not yet due
    # the deadlines as they would stand: met in time, met after a breach, open and breached
    Deadline.objects.filter(object_id=on_time.pk, kind="onsite_check").update(
        due_at=now - timedelta(days=1)
    )
    Deadline.objects.filter(object_id=late.pk, kind="onsite_check").update(
        due_at=now - timedelta(days=2), breached=True
    )
    Deadline.objects.filter(object_id=overdue.pk, kind="onsite_check").update(
        due_at=now - timedelta(days=1), breached=True
    )
    type(overdue).objects.filter(pk=overdue.pk).update(next_due_at=now - timedelta(days=1))
    # grid B: outside the dispatcher's jurisdiction
    registry.report_stay(helpers.tree(county.grid_b, users_b["grid_worker"], road="南路"), _data())

    s = services.stay_board(users["dispatcher"], span)
    assert (s["reported"], s["checked"], s["pending"], s["overdue"]) == (5, 2, 3, 1)
    # due in the period and settled: on time (met), late (met, breached), overdue (open, breached)
    assert (s["checks_due"], s["checked_on_time"]) == (3, 1)
    assert s["checked_on_time_rate"] == round(1 / 3, 4)

    login(client, users["dispatcher"])
    assert client.get("/api/v1/insights/stays").json()["checks_due"] == 3
    assert 'data-kpi="stay_rate"' in client.get("/insights/").content.decode()
