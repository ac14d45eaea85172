"""Reviews (会商): wartime periods, the scheduler, sessions, decisions and their actions.

Schedule (per county, local time, slots at ``RISKS_REVIEW_HOURS``, default 09:00 and 15:00):
* every open risk on the weekly slot (``RISKS_WEEKLY_WEEKDAY``, Monday, first hour);
* in wartime, orange and red risks every day at the first hour, red again at the second.
Each risk put on a session gets a kernel ``review`` deadline (slot + ``RISKS_REVIEW_GRACE_HOURS``);
a decision stops it, a missed one is supervised by the deadline sweep like a late case.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import audit
from fengqiao.core.errors import Conflict, Forbidden, NotFound, ServiceError
from fengqiao.core.models import Deadline
from fengqiao.core.workflow import apply, locked, open_deadlines, start_deadline
from fengqiao.org.models import Place, User

from .models import (
    RANK,
    Level,
    LevelChange,
    ReviewAction,
    ReviewItem,
    ReviewSession,
    Risk,
    WartimePeriod,
)
from .services import need
from .workflow import county_of, setting

DECISIONS = ReviewItem.Decision


def review_hours():
    return tuple(setting("REVIEW_HOURS", (9, 15)))


def grace():
    return timedelta(hours=int(setting("REVIEW_GRACE_HOURS", 4)))


# -- wartime ------------------------------------------------------------------------------------
def set_wartime(actor, *, place, starts_at, ends_at, reason, now=None):
    """Switch wartime on for a county over a period (重大安保节点)."""
    need(actor, "risks.set_wartime")
    now = now or timezone.now()
    place = place if isinstance(place, Place) else Place.objects.filter(pk=place or 0).first()
    if place is None or place.level != Place.Level.COUNTY:
        raise ServiceError(_("战时模式按县（区）启用，请选择县（区）"), code="invalid_place")
    if not actor.covers(place):
        raise NotFound(_("所选地点不在您的辖区内"))
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请填写安保节点（启用原因）"), code="required")
    if not starts_at or not ends_at or ends_at <= starts_at:
        raise ServiceError(_("结束时间须晚于开始时间"), code="invalid_period")
    if ends_at - starts_at > timedelta(days=int(setting("WARTIME_MAX_DAYS", 60))):
        raise ServiceError(_("战时模式一次最长60天"), code="invalid_period")
    period = WartimePeriod.objects.create(
        place=place, starts_at=starts_at, ends_at=ends_at, reason=reason[:200], created_by=actor
    )
    audit.record("risk.wartime_on", user=actor, target=period, data={"county": place.code})
    schedule_reviews(now=now, counties=[place])
    return period


def end_wartime(actor, period, *, now=None):
    need(actor, "risks.set_wartime")
    now = now or timezone.now()
    period = WartimePeriod.objects.get_scoped(actor, "change", pk=period.pk)
    if period.effective_end <= now:
        raise Conflict(_("该战时模式已结束"), code="ended")
    period.ended_early_at = now
    period.save(update_fields=["ended_early_at"])
    audit.record("risk.wartime_off", user=actor, target=period)
    return period


def wartime_at(county, at):
    return (
        WartimePeriod.objects.filter(place=county, starts_at__lte=at, ends_at__gt=at)
        .exclude(ended_early_at__lte=at)
        .first()
    )


def active_wartime(actor, now=None):
    now = now or timezone.now()
    return list(
        WartimePeriod.objects.restrict(actor)
        .filter(starts_at__lte=now, ends_at__gt=now, ended_early_at__isnull=True)
        .select_related("place")
    )


# -- the scheduler ------------------------------------------------------------------------------
def _slots(start, end):
    """Review slots (aware datetimes) in (start, end]."""
    tz = timezone.get_current_timezone()
    day = timezone.localtime(start).date()
    last = timezone.localtime(end).date()
    while day <= last:
        for hour in review_hours():
            slot = timezone.make_aware(datetime.combine(day, time(hour)), tz)
            if start < slot <= end:
                yield slot
        day += timedelta(days=1)


def slot_kind(county, slot):
    """Which risks a slot reviews: ("weekly" | "wartime" | None, levels or None for all)."""
    hours = review_hours()
    first = timezone.localtime(slot).hour == hours[0]
    weekly = first and timezone.localtime(slot).weekday() == int(setting("WEEKLY_WEEKDAY", 0))
    if weekly:
        return "weekly", None
    if wartime_at(county, slot) is not None:
        return "wartime", ("orange", "red") if first else ("red",)
    return None, None


def schedule_reviews(now=None, *, horizon=None, counties=None) -> int:
    """Create the sessions of the coming slots with their agendas; mark missed sessions.

    Idempotent (one session per county and slot, one agenda item per risk). Returns the number of
    agenda items added."""
    now = now or timezone.now()
    horizon = horizon or timedelta(hours=int(setting("SCHEDULE_HORIZON_HOURS", 24)))
    added = 0
    open_risks = Risk.objects.filter(state__in=Risk.ON_REGISTER)
    if counties is None:
        county_ids = set()
        for risk in open_risks.select_related("filing_place", "place__parent__parent__parent"):
            county_ids.add((risk.filing_place or county_of(risk.place)).pk)
        counties = list(Place.objects.filter(pk__in=county_ids))
    for county in counties:
        for slot in _slots(now, now + horizon):
            kind, levels = slot_kind(county, slot)
            if kind is None:
                continue
            agenda = open_risks.filter(place_path__startswith=county.path)
            if levels:
                agenda = agenda.filter(level__in=levels)
            agenda = list(agenda.order_by("-level", "applied_at"))
            agenda.sort(key=lambda r: (-RANK.get(r.level, 0), r.applied_at))
            if not agenda:
                continue
            added += _fill_session(county, slot, kind, agenda, now)
    _mark_missed(now)
    return added


def _fill_session(county, slot, kind, agenda, now):
    with transaction.atomic():
        session, _created = ReviewSession.objects.get_or_create(
            place=county,
            slot_at=slot,
            kind=kind,
            defaults={
                "title": _("%(county)s风险会商 %(at)s")
                % {
                    "county": county.name,
                    "at": timezone.localtime(slot).strftime("%Y-%m-%d %H:%M"),
                },
            },
        )
        if session.state in ("done", "missed"):
            return 0
        have = set(session.items.values_list("risk_id", flat=True))
        added = 0
        for order, risk in enumerate(agenda):
            if risk.pk in have:
                continue
            ReviewItem.objects.create(
                session=session, risk=risk, order=order, level_at_agenda=risk.level
            )
            added += 1
            _due(risk, slot + grace(), now)
    return added


def _due(risk, due_at, now):
    """Give the risk a ``review`` deadline for this slot unless an earlier one is still open."""
    current = open_deadlines(risk).filter(kind="review").first()
    if current is not None and current.due_at <= due_at:
        return
    start_deadline(risk, "review", due_at, policy="risk_review", now=now)
    Risk.objects.filter(pk=risk.pk).update(next_review_at=due_at - grace())


def _mark_missed(now):
    late = ReviewSession.objects.filter(
        state__in=("scheduled", "open"), slot_at__lt=now - grace() - timedelta(hours=12)
    ).exclude(kind="ad_hoc")
    for session in late.filter(state="scheduled"):
        if not session.items.exclude(decision="").exists():
            session.state = "missed"
            session.save(update_fields=["state"])


def reschedule(risk, now):
    """After a colour change: in wartime the next slot for the new colour comes sooner."""
    county = risk.filing_place or county_of(risk.place)
    if wartime_at(county, now) is not None and risk.level in ("orange", "red"):
        transaction.on_commit(lambda: schedule_reviews(now=now, counties=[county]))


# -- sessions -----------------------------------------------------------------------------------
def sessions(actor):
    need(actor, "risks.run_review")
    return ReviewSession.objects.restrict(actor).select_related("place", "chair")


def get_session(actor, pk, action="view"):
    need(actor, "risks.run_review")
    return ReviewSession.objects.select_related("place", "chair").get_scoped(actor, action, pk=pk)


def create_session(actor, *, place, slot_at, title="", risks=()):
    """An ad-hoc review (临时会商) of a unit, with the given risks (or all its open risks)."""
    need(actor, "risks.run_review")
    place = place if isinstance(place, Place) else Place.objects.filter(pk=place or 0).first()
    if place is None or not actor.covers(place):
        raise NotFound(_("所选地点不在您的辖区内"))
    rows = Risk.objects.restrict(actor).filter(
        state__in=Risk.ON_REGISTER, place_path__startswith=place.path
    )
    if risks:
        rows = rows.filter(pk__in=[int(r) for r in risks])
    agenda = sorted(rows, key=lambda r: (-RANK.get(r.level, 0), r.applied_at))
    if not agenda:
        raise ServiceError(_("该范围内没有在册风险，无需会商"), code="empty_agenda")
    with transaction.atomic():
        session = ReviewSession.objects.create(
            place=place,
            slot_at=slot_at or timezone.now(),
            kind="ad_hoc",
            title=(title or "").strip()[:120] or _("%(place)s临时风险会商") % {"place": place.name},
        )
        for order, risk in enumerate(agenda):
            ReviewItem.objects.create(
                session=session, risk=risk, order=order, level_at_agenda=risk.level
            )
    return session


def open_session(session, actor, *, attendees="", now=None):
    need(actor, "risks.run_review")
    with locked(session, actor) as row:
        if row.state in ("done",):
            raise Conflict(_("会商已结束"), code="session_done")
        if row.state != "open":
            row.state, row.opened_at, row.chair = "open", now or timezone.now(), actor
        if attendees:
            row.attendees = attendees.strip()
        row.save()
    return row


def close_session(session, actor, *, minutes, attendees="", now=None):
    need(actor, "risks.run_review")
    minutes = (minutes or "").strip()
    if not minutes:
        raise ServiceError(_("请填写会议纪要"), code="required")
    with locked(session, actor) as row:
        if row.state == "done":
            raise Conflict(_("会商已结束"), code="session_done")
        row.state, row.closed_at, row.minutes = "done", now or timezone.now(), minutes
        row.chair = row.chair or actor
        if attendees:
            row.attendees = attendees.strip()
        row.save()
    return row


def agenda(session, actor):
    """The session's items the actor may see (risks out of scope are left out)."""
    visible = Risk.objects.restrict(actor).values("pk")
    return list(
        session.items.filter(risk__in=visible)
        .select_related("risk", "risk__category", "risk__place", "decided_by")
        .order_by("order", "id")
    )


def decide(
    session,
    item_id,
    actor,
    *,
    decision,
    note="",
    new_level="",
    department=None,
    matter="",
    actions=(),
    now=None,
):
    """Record the decision on one agenda item, live, exactly once.

    A second submission of the same decision (double click, retry) returns the recorded item and
    changes nothing; a different decision on a decided item is refused (409)."""
    need(actor, "risks.run_review")
    now = now or timezone.now()
    if decision not in DECISIONS.values:
        raise ServiceError(_("请选择会商决定"), code="invalid_decision")
    note = (note or "").strip()
    changes_level = decision in ("raise", "lower", "release")
    if changes_level:
        if not actor.has_perm("risks.approve_level"):
            raise Forbidden(_("调整预警等级须由有审批权的领导在会商中决定"))
        if not note:
            raise ServiceError(_("调整预警等级须填写理由"), code="reason_required")
        new_level = "none" if decision == "release" else new_level
        if new_level not in RANK:
            raise ServiceError(_("请选择新的预警等级"), code="invalid_level")
    clean_actions = _clean_actions(actions, now)
    with locked(session, actor) as sess:
        if sess.state == "done":
            raise Conflict(_("会商已结束，不能再记录决定"), code="session_done")
        try:
            item = ReviewItem.objects.select_for_update().get(session=sess, pk=item_id)
        except (ReviewItem.DoesNotExist, ValueError, TypeError):
            raise NotFound(_("议题不存在")) from None
        if not Risk.objects.restrict(actor, "change").filter(pk=item.risk_id).exists():
            raise NotFound(_("议题不存在"))
        if item.decision:
            if item.decision == decision and (item.new_level or "") == (
                new_level if changes_level else ""
            ):
                return item, False
            raise Conflict(
                _("该议题已记录决定“%(d)s”（%(who)s），不能重复或更改")
                % {"d": item.get_decision_display(), "who": item.decided_by},
                code="already_decided",
            )
        with locked(item.risk, actor) as risk:
            if changes_level:
                up = RANK[new_level] - RANK[risk.level]
                if (decision == "raise" and up <= 0) or (decision == "lower" and up >= 0):
                    raise ServiceError(
                        _("“%(d)s”与所选等级不符（当前为%(level)s）")
                        % {"d": DECISIONS(decision).label, "level": risk.get_level_display()},
                        code="invalid_level",
                    )
                if LevelChange.objects.filter(risk=risk, state="proposed").exists():
                    raise Conflict(_("该风险有待审批的等级调整，请先处理"), code="proposal_pending")
            data = {
                "decision": decision,
                "session": sess.pk,
                "from_level": risk.level,
                "to_level": new_level if changes_level else "",
            }
        if sess.state == "scheduled":
            sess.state, sess.opened_at, sess.chair = "open", now, actor
            sess.save(update_fields=["state", "opened_at", "chair"])
        label = DECISIONS(decision).label
        risk, _entry = apply(
            risk,
            "review",
            actor,
            note=_("会商决定：%(d)s。%(note)s") % {"d": label, "note": note},
            data=data,
            now=now,
        )
        item.decision, item.note, item.decided_by, item.decided_at = decision, note, actor, now
        item.new_level = new_level if changes_level else ""
        item.save()
        if changes_level:
            LevelChange.objects.create(
                risk=risk,
                from_level=data["from_level"],
                to_level=new_level,
                reason=note,
                state="approved",
                proposed_by=actor,
                proposed_at=now,
                approver=actor,
                decided_at=now,
                review_item=item,
            )
        if decision == "hand_over":
            from .services import hand_over

            hand_over(risk, actor, department=department, matter=matter or note, now=now)
        for row in clean_actions:
            add_action(risk, actor, item=item, now=now, **row)
    return item, True


def _clean_actions(actions, now):
    clean = []
    for raw in actions or []:
        title = (raw.get("title") or "").strip()
        if not title:
            continue
        owner = raw.get("owner")
        if not isinstance(owner, User):
            owner = User.objects.filter(
                pk=owner if str(owner).isdigit() else -1, is_active=True
            ).first()
        if owner is None:
            raise ServiceError(_("措施“%(t)s”须指定责任人") % {"t": title}, code="owner_required")
        due_at = raw.get("due_at")
        if isinstance(due_at, str) and due_at:
            due_at = _parse_dt(due_at)
        if not due_at or due_at <= now:
            raise ServiceError(
                _("措施“%(t)s”须有晚于现在的完成时限") % {"t": title}, code="due_required"
            )
        clean.append({"title": title[:200], "owner": owner, "due_at": due_at})
    return clean


def _parse_dt(value):
    from django.utils.dateparse import parse_date, parse_datetime

    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is None:
            raise ServiceError(_("完成时限格式不正确"), code="invalid_date")
        parsed = datetime.combine(day, time(18))
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def add_action(risk, actor, *, title, owner, due_at, item=None, now=None):
    """A measure with an owner and a deadline (kernel ``action`` deadline, supervised when late)."""
    need(actor, "risks.run_review")
    now = now or timezone.now()
    action = ReviewAction.objects.create(
        risk=risk,
        item=item,
        title=title,
        owner=owner,
        due_at=due_at,
        place=risk.place,
        created_at=now,
    )
    start_deadline(action, "action", due_at, policy="risk_step", now=now)
    from fengqiao.core import notifications

    notifications.notify(
        [owner],
        kind="risk.action",
        message="risk.action",
        params={
            "title": title,
            "number": risk.number,
            "due": timezone.localtime(due_at).strftime("%m-%d %H:%M"),
        },
        url=f"/risks/{risk.pk}/",
        target=action,
    )
    return action


def missed_reviews(actor):
    """Review deadlines breached in the actor's area (the supervision list)."""
    from django.contrib.contenttypes.models import ContentType

    ids = Risk.objects.restrict(actor).values("pk")
    return Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(Risk),
        object_id__in=ids,
        kind="review",
        breached=True,
    )


__all__ = [
    "IntegrityError",
    "Level",
    "agenda",
    "close_session",
    "create_session",
    "decide",
    "schedule_reviews",
    "set_wartime",
]
