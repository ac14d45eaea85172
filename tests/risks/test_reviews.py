"""Reviews: the weekly and wartime schedule, decisions recorded once, missed reviews supervised."""

from datetime import datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from fengqiao.core.errors import Conflict, Forbidden, ServiceError
from fengqiao.core.models import Deadline
from fengqiao.core.workflow import sweep_deadlines, timeline
from fengqiao.risks import reviews, services
from fengqiao.risks.models import ReviewAction, ReviewSession, Risk
from tests.risks import helpers

pytestmark = pytest.mark.django_db

# 2026-11-29 is a Sunday, 2026-11-30 a Monday.
SUNDAY_EVENING = timezone.make_aware(datetime(2026, 11, 29, 20, 0))
TUESDAY_EARLY = timezone.make_aware(datetime(2026, 12, 1, 6, 0))


def _at(day, hour):
    return timezone.make_aware(datetime(2026, 12, day, hour, 0))


@pytest.fixture
def register(county, users):
    blue = helpers.filed(county.grid_a, users, level="blue")
    orange = helpers.filed(county.grid_a, users, level="orange")
    red = helpers.filed(county.grid_a, users, level="red")
    return blue, orange, red


def _agenda(slot):
    session = ReviewSession.objects.filter(slot_at=slot).first()
    return None if session is None else {i.risk.level for i in session.items.all()}


def test_weekly_review_takes_every_open_risk(county, register):
    reviews.schedule_reviews(now=SUNDAY_EVENING)
    monday = timezone.make_aware(datetime(2026, 11, 30, 9, 0))
    assert _agenda(monday) == {"blue", "orange", "red"}
    assert ReviewSession.objects.count() == 1  # no wartime: nothing at 15:00
    assert reviews.schedule_reviews(now=SUNDAY_EVENING) == 0  # idempotent
    blue = register[0]
    blue.refresh_from_db()
    assert blue.next_review_at == monday


def test_wartime_orange_daily_red_twice_a_day(county, register, county_leader):
    reviews.schedule_reviews(now=TUESDAY_EARLY)
    assert ReviewSession.objects.count() == 0  # an ordinary Tuesday has no review
    with pytest.raises(ServiceError, match="县"):
        reviews.set_wartime(
            county_leader,
            place=county.town,
            starts_at=TUESDAY_EARLY,
            ends_at=TUESDAY_EARLY + timedelta(days=3),
            reason="国庆安保",
        )
    with pytest.raises(ServiceError):
        reviews.set_wartime(
            county_leader,
            place=county.county,
            starts_at=TUESDAY_EARLY,
            ends_at=TUESDAY_EARLY,
            reason="x",
        )
    reviews.set_wartime(
        county_leader,
        place=county.county,
        starts_at=TUESDAY_EARLY,
        ends_at=TUESDAY_EARLY + timedelta(days=3),
        reason="重大活动安保",
        now=TUESDAY_EARLY,
    )
    assert _agenda(_at(1, 9)) == {"orange", "red"}
    assert _agenda(_at(1, 15)) == {"red"}
    reviews.schedule_reviews(now=_at(1, 20))
    assert _agenda(_at(2, 9)) == {"orange", "red"}
    assert _agenda(_at(2, 15)) == {"red"}
    assert _agenda(_at(3, 9)) is None  # beyond the 24 h horizon yet
    reviews.schedule_reviews(now=_at(4, 20))  # wartime over on the 4th at 06:00
    assert _agenda(_at(5, 9)) is None


def test_set_wartime_needs_the_permission(county, users):
    with pytest.raises(Forbidden):
        reviews.set_wartime(
            users["dispatcher"],
            place=county.county,
            starts_at=TUESDAY_EARLY,
            ends_at=TUESDAY_EARLY + timedelta(days=1),
            reason="x",
        )


def test_decision_is_recorded_once(county, users, register, county_leader):
    reviews.schedule_reviews(now=SUNDAY_EVENING)
    session = ReviewSession.objects.get()
    item = session.items.get(risk=register[1])
    leader = county_leader  # the county holds the weekly review
    with pytest.raises(ServiceError, match="理由"):
        reviews.decide(session, item.pk, leader, decision="lower", new_level="blue")
    with pytest.raises(Forbidden):
        reviews.decide(
            session, item.pk, users["dispatcher"], decision="lower", new_level="blue", note="x"
        )
    with pytest.raises(ServiceError, match="不符"):
        reviews.decide(session, item.pk, leader, decision="lower", new_level="red", note="x")
    now = timezone.make_aware(datetime(2026, 11, 30, 9, 30))
    item, created = reviews.decide(
        session,
        item.pk,
        leader,
        decision="lower",
        new_level="blue",
        note="已签订协议",
        now=now,
        actions=[
            {
                "title": "每日回访",
                "owner": users["community_officer"].pk,
                "due_at": now + timedelta(days=2),
            }
        ],
    )
    assert created and item.decision == "lower"
    risk = Risk.objects.get(pk=register[1].pk)
    assert risk.level == "blue" and risk.last_reviewed_at == now
    # The same submission again (double click): nothing new.
    again, created = reviews.decide(
        session, item.pk, leader, decision="lower", new_level="blue", note="已签订协议", now=now
    )
    assert not created and again.pk == item.pk
    assert [e.transition for e in timeline(risk)].count("review") == 1
    assert ReviewAction.objects.filter(risk=risk).count() == 1
    with pytest.raises(Conflict, match="不能重复"):
        reviews.decide(session, item.pk, leader, decision="keep", now=now)
    history = services.level_history(risk)
    assert [h.to_level for h in history] == ["orange", "blue"] and history[-1].review_item == item
    deadline = Deadline.objects.get(
        content_type=ContentType.objects.get_for_model(Risk), object_id=risk.pk, kind="review"
    )
    assert deadline.state == "met"
    reviews.close_session(session, leader, minutes="三项风险逐一研判", now=now)
    with pytest.raises(Conflict):
        reviews.decide(session, session.items.get(risk=register[0]).pk, leader, decision="keep")


def test_missed_review_is_supervised(county, users, register):
    reviews.schedule_reviews(now=SUNDAY_EVENING)
    sweep_deadlines(now=timezone.make_aware(datetime(2026, 11, 30, 14, 0)))
    risk = Risk.objects.get(pk=register[0].pk)
    assert risk.supervision_count == 1
    assert any(e.transition == "supervise" and "未按时会商" in e.note for e in timeline(risk))
    assert reviews.missed_reviews(users["leader"]).count() == 3


def test_late_action_is_supervised(county, users, register):
    now = timezone.now()
    action = reviews.add_action(
        register[0],
        users["dispatcher"],
        title="上门走访",
        owner=users["community_officer"],
        due_at=now + timedelta(hours=1),
        now=now,
    )
    sweep_deadlines(now=now + timedelta(hours=2))
    assert any(e.transition == "supervise" for e in timeline(action))
    with pytest.raises(Forbidden):
        services.complete_action(action, users["police_assistant"], result="x")
    action = services.complete_action(action, users["community_officer"], result="已走访")
    assert action.state == "done"


def test_ad_hoc_session(county, users, register):
    session = reviews.create_session(users["dispatcher"], place=county.grid_a, slot_at=None)
    assert session.items.count() == 3
    with pytest.raises(ServiceError):
        reviews.create_session(users["dispatcher"], place=county.grid_c, slot_at=None)


def test_a_session_nobody_held_is_marked_missed(county, register):
    reviews.schedule_reviews(now=SUNDAY_EVENING)
    session = ReviewSession.objects.get()
    reviews.schedule_reviews(now=SUNDAY_EVENING + timedelta(days=2))
    session.refresh_from_db()
    assert session.state == "missed"
