"""The only writers of fieldwork records: visits, field notes and their follow-ups, weekly targets,
patrol circles, rotas and logs, publicity activities. Each checks permission and jurisdiction."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import audit
from fengqiao.core.errors import Conflict, Forbidden, NotFound, ServiceError
from fengqiao.core.workflow import locked
from fengqiao.registry import services as registry
from fengqiao.registry.models import House, Household, Unit

from . import targets
from .models import (
    Activity,
    FieldNote,
    PatrolCircle,
    PatrolLog,
    PatrolShift,
    PatrolTeam,
    Visit,
    VisitTarget,
)


def _need(actor, perm):
    if not actor.has_perm(perm):
        raise Forbidden(_("您没有此项操作的权限"))


def _address(actor, address):
    try:
        return registry._scoped_address(actor, address)
    except NotFound:
        raise
    except Forbidden as exc:
        raise NotFound(exc.message) from None


def _optional(model, actor, value, address):
    """A household/house/unit at (or below) the visited address, in scope."""
    if value in (None, ""):
        return None
    pk = getattr(value, "pk", value)
    record = model.objects.restrict(actor).filter(pk=pk).select_related("address").first()
    if record is None:
        raise NotFound(_("%(what)s不存在或无权访问") % {"what": model._meta.verbose_name})
    if not record.address.tree_path.startswith(address.tree_path) and not (
        address.tree_path.startswith(record.address.tree_path)
    ):
        raise ServiceError(
            _("%(what)s不在走访地址上") % {"what": model._meta.verbose_name}, code="wrong_address"
        )
    return record


# -- visits and notes -----------------------------------------------------------------------------
@transaction.atomic
def record_visit(
    actor,
    *,
    address,
    purpose,
    findings,
    follow_up="",
    visited_on=None,
    household=None,
    house=None,
    unit=None,
    note="",
    starred=False,
):
    """Record a visit (走访); with ``note`` also a field note, ``starred`` for follow-up."""
    _need(actor, "fieldwork.add_visit")
    address = _address(actor, address)
    purpose = registry.clean_choice(purpose, Visit.Purpose, field=_("走访目的"), default="routine")
    visit = Visit(
        officer=actor,
        address=address,
        place=address.place,
        purpose=purpose,
        findings=registry.clean_text(findings, field=_("走访情况"), required=True, max_length=4000),
        follow_up=registry.clean_text(follow_up, field=_("后续跟进"), max_length=2000),
        visited_on=registry.clean_date(visited_on, field=_("走访日期")) or timezone.localdate(),
        household=_optional(Household, actor, household, address),
        house=_optional(House, actor, house, address),
        unit=_optional(Unit, actor, unit, address),
    )
    if visit.visited_on < timezone.localdate() - timedelta(days=60):
        raise ServiceError(
            _("只能补录60天内的走访"), code="too_old", details={"field": "visited_on"}
        )
    visit.save()
    if visit.house_id:
        House.objects.filter(pk=visit.house_id).update(last_visit_at=timezone.now())
    else:
        House.objects.filter(address=address).update(last_visit_at=timezone.now())
    if note or starred:
        add_note(
            actor,
            address=address,
            text=note or visit.follow_up or visit.findings,
            starred=starred,
            visit=visit,
        )
    return visit


@transaction.atomic
def add_note(actor, *, address, text, starred=False, visit=None, household=None):
    """民情笔记 on a household or place; ``starred`` puts it on the open-follow-ups list."""
    _need(actor, "fieldwork.add_fieldnote")
    address = _address(actor, address)
    return FieldNote.objects.create(
        author=actor,
        address=address,
        place=address.place,
        visit=visit,
        household=_optional(Household, actor, household, address),
        text=registry.clean_text(text, field=_("笔记内容"), required=True, max_length=4000),
        starred=bool(starred),
    )


def close_follow_up(actor, note, *, result):
    """Mark a starred note's follow-up done, with what was done."""
    _need(actor, "fieldwork.change_fieldnote")
    result = registry.clean_text(result, field=_("跟进结果"), required=True, max_length=2000)
    with locked(note, actor=actor) as row:
        if not row.starred:
            raise ServiceError(_("这条笔记不需要跟进"), code="not_starred")
        if row.followed_up_at is not None:
            raise Conflict(_("已经跟进完毕"), code="already_done")
        row.followed_up_at = timezone.now()
        row.follow_up_result = result
        row.save(update_fields=["followed_up_at", "follow_up_result"])
    audit.record("fieldwork.follow_up", user=actor, target=row)
    return row


def open_follow_ups(user, *, mine=True):
    rows = FieldNote.objects.restrict(user).filter(starred=True, followed_up_at__isnull=True)
    if mine:
        rows = rows.filter(author=user)
    return rows.select_related("address", "author").order_by("created_at", "id")


# -- weekly target --------------------------------------------------------------------------------
def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_target(user) -> int:
    return targets.weekly([user])[user.pk]


def weekly_progress(user, today=None):
    """Households (distinct addresses) visited by ``user`` this week against the target
    (``targets.progress``: the definition the target page and the command centre use)."""
    return targets.progress(user, today)


@transaction.atomic
def set_weekly_target(actor, user, weekly):
    _need(actor, "fieldwork.change_visittarget")
    if not any(actor.covers(p) for p in _user_places(user)):
        raise NotFound(_("人员不存在或无权访问"))
    weekly = registry.clean_int(weekly, field=_("每周走访目标"), max_value=500)
    if weekly is None:
        raise ServiceError(_("请填写每周走访目标"), code="required")
    target, _created = VisitTarget.objects.update_or_create(user=user, defaults={"weekly": weekly})
    audit.record("fieldwork.target", user=actor, target=user, data={"weekly": weekly})
    return target


def _user_places(user):
    from fengqiao.org.models import Place

    return [Place(path=p) for p in user.scope_paths()]


# -- patrols --------------------------------------------------------------------------------------
@transaction.atomic
def create_circle(actor, *, name, villages):
    """A patrol circle of 2–3 neighbouring villages of one town."""
    _need(actor, "fieldwork.add_patrolcircle")
    from fengqiao.org.models import Place

    villages = list(villages)
    if not 2 <= len(villages) <= 3:
        raise ServiceError(_("巡防圈由2至3个相邻村（社区）组成"), code="invalid_villages")
    towns = {v.parent_id for v in villages}
    if any(v.level != Place.Level.VILLAGE for v in villages) or len(towns) != 1:
        raise ServiceError(_("巡防圈的村（社区）须属于同一乡镇（街道）"), code="invalid_villages")
    for village in villages:
        if not actor.covers(village):
            raise Forbidden(
                _("“%(place)s”不在您的辖区内") % {"place": village.name},
                code="out_of_jurisdiction",
            )
    town = villages[0].parent
    circle = PatrolCircle.objects.create(
        name=registry.clean_text(name, field=_("名称"), required=True, max_length=100),
        place=town,
        place_path=town.path,
    )
    circle.villages.set(villages)
    return circle


@transaction.atomic
def form_teams(actor, circle, members, *, size=10, prefix=""):
    """Split ``members`` into teams of ``size`` people (the last may be smaller)."""
    _need(actor, "fieldwork.change_patrolcircle")
    circle = PatrolCircle.objects.get_scoped(actor, "change", pk=circle.pk)
    members = list(members)
    if not members:
        raise ServiceError(_("请选择巡防队员"), code="required")
    size = registry.clean_int(size, field=_("每组人数"), default=10, max_value=100) or 10
    teams = []
    for i in range(0, len(members), size):
        team = PatrolTeam.objects.create(
            circle=circle, name=f"{prefix or circle.name}{_('第%(n)d组') % {'n': len(teams) + 1}}"
        )
        team.members.set(members[i : i + size])
        teams.append(team)
    return teams


@transaction.atomic
def generate_rota(actor, circle, *, start, days=30, every=3, shifts=3):
    """Rota: each team on duty every ``every`` days, rotating through ``shifts`` shifts.

    With teams T1..Tn, day d is covered by the teams whose index ≡ d (mod ``every``), and a
    team's shift rotates each time it is on duty (早 → 中 → 夜). Existing slots are replaced."""
    _need(actor, "fieldwork.add_patrolshift")
    circle = PatrolCircle.objects.get_scoped(actor, "change", pk=circle.pk)
    start = registry.clean_date(start, field=_("开始日期"), required=True, allow_future=True)
    days = registry.clean_int(days, field=_("天数"), default=30, max_value=366)
    every = registry.clean_int(every, field=_("间隔天数"), default=3, max_value=31) or 1
    shifts = min(3, registry.clean_int(shifts, field=_("班次"), default=3, max_value=3) or 1)
    teams = list(circle.teams.order_by("id"))
    if not teams:
        raise ServiceError(_("请先组建巡防队"), code="no_teams")
    end = start + timedelta(days=days)
    PatrolShift.objects.filter(circle=circle, day__gte=start, day__lt=end).delete()
    slots, duty_count = [], {t.pk: 0 for t in teams}
    for offset in range(days):
        day = start + timedelta(days=offset)
        on_duty = [t for i, t in enumerate(teams) if i % every == offset % every]
        used = set()
        for team in on_duty:
            shift = (duty_count[team.pk] % shifts) + 1
            while shift in used and len(used) < shifts:
                shift = shift % shifts + 1
            if shift in used:
                continue
            used.add(shift)
            duty_count[team.pk] += 1
            slots.append(PatrolShift(circle=circle, team=team, day=day, shift=shift))
    PatrolShift.objects.bulk_create(slots)
    return slots


@transaction.atomic
def record_patrol(actor, circle, *, started_at, findings="", route="", team=None, ended_at=None):
    _need(actor, "fieldwork.add_patrollog")
    circle = PatrolCircle.objects.get_scoped(actor, pk=circle.pk)
    if team is not None and team.circle_id != circle.pk:
        raise ServiceError(_("巡防队不属于该巡防圈"), code="wrong_team")
    if not started_at:
        raise ServiceError(_("请填写开始时间"), code="required", details={"field": "started_at"})
    if started_at > timezone.now() + timedelta(minutes=5):
        raise ServiceError(_("开始时间不能晚于现在"), code="future_date")
    if ended_at is not None and ended_at < started_at:
        raise ServiceError(_("结束时间不能早于开始时间"), code="invalid_date")
    return PatrolLog.objects.create(
        circle=circle,
        place=circle.place,
        place_path=circle.place_path,
        team=team,
        recorded_by=actor,
        started_at=started_at,
        ended_at=ended_at,
        route=registry.clean_text(route, field=_("巡防路线"), max_length=200),
        findings=registry.clean_text(findings, field=_("发现情况"), max_length=4000),
    )


def patrol_to_case(actor, log, *, place, category, description=""):
    """Turn a patrol finding into a case (through ``cases.services.report``, source: patrol)."""
    from fengqiao.cases import services as cases

    with locked(log, actor=actor) as row:
        if row.case_id:
            raise Conflict(_("该巡防发现已转为案事件"), code="already_reported")
        if not actor.covers(place):
            raise Forbidden(_("该地点不在您的辖区内"), code="out_of_jurisdiction")
        case, _created = cases.report(
            source="patrol",
            place=place,
            category=category,
            description=description or row.findings,
            actor=actor,
            location_text=row.route,
        )
        row.case = case
        row.save(update_fields=["case"])
    return row


# -- publicity ------------------------------------------------------------------------------------
@transaction.atomic
def record_activity(actor, *, place, topic, title, held_on, attendance=0, location="", summary=""):
    _need(actor, "fieldwork.add_activity")
    if place is None or not actor.covers(place):
        raise Forbidden(_("该地点不在您的辖区内"), code="out_of_jurisdiction")
    return Activity.objects.create(
        place=place,
        place_path=place.path,
        topic=registry.clean_choice(topic, Activity.Topic, field=_("主题"), default="other"),
        title=registry.clean_text(title, field=_("活动名称"), required=True, max_length=150),
        held_on=registry.clean_date(held_on, field=_("活动日期"), required=True),
        attendance=registry.clean_int(attendance, field=_("参加人数"), default=0) or 0,
        location=registry.clean_text(location, field=_("地点"), max_length=200),
        summary=registry.clean_text(summary, field=_("活动情况"), max_length=4000),
        organiser=actor,
    )


# -- monthly bulletin -----------------------------------------------------------------------------
def bulletin_figures(actor, place, year, month):
    """The figures of a community's monthly security bulletin (all scoped to the actor)."""
    from fengqiao.cases.models import Case
    from fengqiao.disputes.models import Dispute

    if not actor.covers(place):
        raise NotFound(_("地点不存在或无权访问"))
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    in_place = Q(place_path__startswith=place.path)
    cases = (
        Case.objects.restrict(actor)
        .filter(in_place)
        .filter(reported_at__date__gte=start, reported_at__date__lt=end)
    )
    disputes = (
        Dispute.objects.restrict(actor)
        .filter(in_place)
        .filter(registered_at__date__gte=start, registered_at__date__lt=end)
    )
    visits = Visit.objects.restrict(actor).filter(
        in_place, visited_on__gte=start, visited_on__lt=end
    )
    activities = Activity.objects.restrict(actor).filter(
        in_place, held_on__gte=start, held_on__lt=end
    )
    patrols = (
        PatrolLog.objects.restrict(actor)
        .filter(
            Q(circle__villages__path__startswith=place.path) | in_place,
            started_at__date__gte=start,
            started_at__date__lt=end,
        )
        .distinct()
    )
    by_category = list(cases.values("category__name").annotate(n=Count("id")).order_by("-n")[:8])
    return {
        "place": place,
        "year": year,
        "month": month,
        "cases": cases.count(),
        "cases_closed": cases.filter(state="closed").count(),
        "by_category": [(r["category__name"], r["n"]) for r in by_category],
        "disputes": disputes.count(),
        "disputes_resolved": disputes.exclude(outcome="").count(),
        "visits": visits.count(),
        "households_visited": visits.values("address_id").distinct().count(),
        "follow_ups_open": FieldNote.objects.restrict(actor)
        .filter(in_place, starred=True, followed_up_at__isnull=True)
        .count(),
        "patrols": patrols.count(),
        "activities": activities.count(),
        "attendance": sum(a.attendance for a in activities),
        "activity_topics": [str(a.get_topic_display()) for a in activities[:10]],
    }
