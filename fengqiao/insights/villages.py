"""无案村 (case-free village) status: configurable criteria, evaluated per village and period, with
the offending records behind every unmet criterion, a history, and nomination / confirmation by
leaders through the kernel.

* Criteria (``VillageCriterion``) are edited on /settings/ (versioned and audited by
  ``core.versioning``). Each says which records offend and how many are allowed (default 0):

  ==================  ==========================================================================
  kind                offending records of the village in the period
  ==================  ==========================================================================
  cases               cases accepted (立案) whose category (or its parent) has one of the codes
  alerts              110/12345 alerts (imported) whose 警情类别 is one of the values
  escalation          disputes registered whose 民转刑 risk level is one of the values
  disputes_above      disputes registered that went above level N (the value, default 2: 村级)
                      and were not resolved at level N or below
  risks               risks on the register at some time in the period (approved by its end, not
                      closed out before its start) whose current colour is one of the values
  risk_categories     the same, by risk category code (e.g. ``abnormal_petition`` 非正常上访)
  ==================  ==========================================================================

* ``evaluate(kind, day)`` writes one ``VillageStatus`` per village and period (month, quarter or
  year containing ``day``): 达标 when every active criterion is met. The reasons keep the
  offending records (id, number, place path; up to ``MAX_RECORDS`` per criterion, and the full
  count) and the criteria versions used. A confirmed status is frozen; a nominated one found no
  longer 达标 goes back to 已评估 (system transition ``return``).
* Reasons are shown scoped: a reader sees the records inside their jurisdiction (linked when they
  may open them) and only a count of the others.
* Flow (``core.workflow``): 已评估 —nominate→ 已提名 —confirm→ 已确认; ``return`` (提名退回) and
  ``revoke`` (撤销确认) need a note. Nominating and confirming re-evaluate the village on the locked
  row and are refused when it is no longer 达标 (a status stored 未达标 shows no nominate button); the
  confirmer must not be the nominator (no confirm button for them).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from fengqiao.core import audit
from fengqiao.core.actions import Action, ActionRegistry, NoteIn
from fengqiao.core.errors import Conflict, Forbidden, ServiceError
from fengqiao.core.workflow import Transition, Workflow, apply, register
from fengqiao.org.models import Place

from .figures import bounds
from .models import VillageCriterion, VillageStatus

MAX_RECORDS = 50
PERIODS = ("month", "quarter", "year")

# The defaults installed on first use (a county edits them on /settings/); the names are stored in
# Chinese and shown through the catalog (a name an administrator types is shown as typed).
DEFAULT_CRITERIA = (
    ("no_criminal", gettext_noop("无刑事警情"), "alerts", "刑事"),
    ("no_mass_incident", gettext_noop("无群体性事件"), "risk_categories", "group_instability"),
    ("no_public_order_case", gettext_noop("无治安案件"), "cases", "public_order"),
    ("no_escalation", gettext_noop("无民转刑风险纠纷"), "escalation", "high"),
    ("no_dispute_above_village", gettext_noop("矛盾不出村"), "disputes_above", "2"),
    ("no_red_risk", gettext_noop("无红色预警风险"), "risks", "red"),
    ("no_petition", gettext_noop("无越级（非正常）上访"), "risk_categories", "abnormal_petition"),
)


def install_defaults():
    """Create the default criteria where missing (idempotent; never overwrites edits)."""
    for sort, (code, name, kind, values) in enumerate(DEFAULT_CRITERIA):
        VillageCriterion.objects.get_or_create(
            code=code,
            defaults={"name": name, "kind": kind, "values": values, "sort": sort * 10},
        )


def criteria():
    if not VillageCriterion.objects.exists():
        install_defaults()
    return list(VillageCriterion.objects.filter(active=True).order_by("sort", "code"))


# -- periods ------------------------------------------------------------------------------------
def period_bounds(kind, day):
    """(start, end) dates of the month, quarter or year containing ``day``."""
    if kind == "month":
        start = day.replace(day=1)
    elif kind == "quarter":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    elif kind == "year":
        start = date(day.year, 1, 1)
    else:
        raise ServiceError(
            _("周期须为月度、季度或年度"), code="invalid", details={"field": "period"}
        )
    months = {"month": 1, "quarter": 3, "year": 12}[kind]
    month = start.month - 1 + months
    following = date(start.year + month // 12, month % 12 + 1, 1)
    return start, following - timedelta(days=1)


def previous_day(kind, day):
    """A day in the period before the one containing ``day``."""
    start, _end = period_bounds(kind, day)
    return start - timedelta(days=1)


# -- offending records per criterion kind --------------------------------------------------------
def _record(kind, row, label, at):
    return {
        "type": kind,
        "id": row.pk,
        "label": label,
        "place_path": row.place_path,
        "at": at.isoformat() if at else None,
    }


def offending(criterion, village, start, end):
    """(count, records) of the village's records that offend ``criterion`` in [start, end]."""
    low, high = bounds(start, end)
    values = criterion.value_list()
    inside = {"place_path__startswith": village.path}
    kind = criterion.kind
    if kind == "cases":
        from fengqiao.cases.models import Case

        rows = (
            Case.objects.filter(**inside, accepted_at__gte=low, accepted_at__lt=high)
            .filter(Q(category__code__in=values) | Q(category__parent__code__in=values))
            .exclude(state__in=("rejected", "merged"))
            .order_by("accepted_at", "pk")
        )
        make = lambda c: _record("case", c, c.tracking_code, c.accepted_at)  # noqa: E731
    elif kind == "alerts":
        from .models import Alert

        rows = Alert.objects.filter(
            **inside, occurred_at__gte=low, occurred_at__lt=high, category__in=values
        ).order_by("occurred_at", "pk")
        make = lambda a: _record(  # noqa: E731
            "alert", a, f"{a.source} {a.number or a.category}", a.occurred_at
        )
    elif kind in ("escalation", "disputes_above"):
        from fengqiao.disputes.models import Dispute

        rows = Dispute.objects.filter(**inside, registered_at__gte=low, registered_at__lt=high)
        if kind == "escalation":
            rows = rows.filter(risk_level__in=values)
        else:
            top = _int(values[0] if values else "2", 2)
            rows = rows.filter(level__gt=top).exclude(resolved_level__lte=top)
        rows = rows.order_by("registered_at", "pk")
        make = lambda d: _record("dispute", d, d.number, d.registered_at)  # noqa: E731
    elif kind in ("risks", "risk_categories"):
        from fengqiao.risks.models import Risk

        rows = Risk.objects.filter(
            **inside, approved_at__isnull=False, approved_at__lt=high
        ).filter(Q(state__in=Risk.ON_REGISTER) | Q(state="closed", closed_at__gte=low))
        if kind == "risks":
            rows = rows.filter(level__in=values)
        else:
            rows = rows.filter(category__code__in=values)
        rows = rows.order_by("approved_at", "pk")
        make = lambda r: _record("risk", r, r.number, r.approved_at)  # noqa: E731
    else:
        return 0, []
    count = rows.count()
    return count, [make(r) for r in rows[:MAX_RECORDS]] if count else []


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def assess(village, start, end, rules=None):
    """(met, reasons, versions) of a village for [start, end] under the active criteria."""
    rules = criteria() if rules is None else rules
    reasons = []
    for rule in rules:
        count, records = offending(rule, village, start, end)
        if count > rule.allowed:
            reasons.append(
                {
                    "criterion": rule.code,
                    "name": rule.name,
                    "kind": rule.kind,
                    "allowed": rule.allowed,
                    "count": count,
                    "records": records,
                }
            )
    return not reasons, reasons, {r.code: r.version for r in rules}


# -- evaluation ---------------------------------------------------------------------------------
def villages_for(actor, where=None):
    rows = Place.objects.filter(level=Place.Level.VILLAGE)
    if actor is not None:
        rows = Place.objects.restrict(actor).filter(level=Place.Level.VILLAGE)
    if where is not None:
        rows = rows.filter(path__startswith=where.path)
    return rows.order_by("path")


def evaluate(kind, day, *, actor=None, where=None, now=None):
    """Evaluate every village (the actor's, or all for the system) for the period of ``kind``
    containing ``day``; returns the statuses. Confirmed statuses are left as they are."""
    if actor is not None and not actor.has_perm("insights.evaluate_villagestatus"):
        raise Forbidden(_("您没有执行此操作的权限"))
    start, end = period_bounds(kind, day)
    now = now or timezone.now()
    rules = criteria()
    out = []
    for village in villages_for(actor, where):
        out.append(_evaluate_one(village, kind, start, end, rules, now))
    if actor is not None:
        audit.record(
            "insights.village_evaluate",
            user=actor,
            data={
                "period": kind,
                "start": start.isoformat(),
                "place": where.code if where is not None else None,
                "villages": len(out),
                "met": sum(1 for s in out if s.met),
            },
        )
    return out


def _evaluate_one(village, kind, start, end, rules, now):
    met, reasons, versions = assess(village, start, end, rules)
    with transaction.atomic():
        status, created = VillageStatus.objects.select_for_update().get_or_create(
            place=village,
            period=kind,
            start=start,
            defaults={
                "end": end,
                "met": met,
                "reasons": reasons,
                "criteria": versions,
                "evaluated_at": now,
            },
        )
        if created or status.state == VillageStatus.State.CONFIRMED:
            return status
        status.met, status.reasons, status.criteria, status.evaluated_at = (
            met,
            reasons,
            versions,
            now,
        )
        status.save(update_fields=["met", "reasons", "criteria", "evaluated_at"])
        if not met and status.state == VillageStatus.State.NOMINATED:
            status, _entry = apply(
                status,
                "return",
                None,
                system=True,
                note=_("重新评估未达标，提名退回"),
                data={"reasons": [r["criterion"] for r in reasons]},
            )
    return status


# -- the flow: nominate → confirm ---------------------------------------------------------------
def _still_met(status, move):
    met, reasons, versions = assess(status.place, status.start, status.end)
    if not met:
        raise Conflict(
            _("该村（社区）当前已不达标，请重新评估后再提名或确认"),
            code="not_met",
            details={"reasons": [r["criterion"] for r in reasons]},
        )
    status.met, status.reasons, status.criteria = met, reasons, versions
    status.evaluated_at = move.now


def _met(status, move):
    """Guard (buttons and the locked row): the status as stored is 达标."""
    if not status.met:
        raise Conflict(_("该村（社区）本期未达标，不能提名"), code="not_met")


def _not_own(status, move):
    """Guard: the confirmer is not the nominator."""
    if status.nominated_by_id == getattr(move.actor, "pk", None):
        raise Forbidden(_("提名人不能确认自己的提名"), code="same_person")


def _nominate(status, move):
    _still_met(status, move)
    status.nominated_by, status.nominated_at = move.actor, move.now


def _confirm(status, move):
    _still_met(status, move)
    status.confirmed_by, status.confirmed_at = move.actor, move.now


def _clear(status, move):
    status.confirmed_by = status.confirmed_at = None
    if move.name == "return":
        status.nominated_by = status.nominated_at = None


class VillageFlow(Workflow):
    model = VillageStatus
    transitions = (
        Transition(
            "nominate",
            source=("assessed",),
            target="nominated",
            label=gettext_lazy("提名无案村"),
            permission="insights.nominate_villagestatus",
            guard=_met,
            effect=_nominate,
        ),
        Transition(
            "confirm",
            source=("nominated",),
            target="confirmed",
            label=gettext_lazy("确认无案村"),
            permission="insights.confirm_villagestatus",
            guard=_not_own,
            effect=_confirm,
        ),
        Transition(
            "return",
            source=("nominated",),
            target="assessed",
            label=gettext_lazy("退回提名"),
            permission="insights.confirm_villagestatus",
            required=("note",),
            effect=_clear,
        ),
        Transition(
            "revoke",
            source=("confirmed",),
            target="assessed",
            label=gettext_lazy("撤销确认"),
            permission="insights.confirm_villagestatus",
            required=("note",),
            effect=_clear,
        ),
    )


flow = register(VillageFlow())


def act(status, name, actor, payload):
    """Take flow action ``name`` on ``status`` (jurisdiction, permission, guard on the locked row,
    timeline) and write the audit row."""
    row, entry = apply(status, name, actor, note=payload.get("note", ""))
    audit.record(
        "insights.village",
        user=actor,
        target=row,
        data={"action": name, "state": row.state, "period": row.period, "start": str(row.start)},
    )
    return row


def _service(name):
    def service(status, actor, payload):
        return act(status, name, actor, payload)

    service.__name__ = f"village_{name}"
    return service


registry = ActionRegistry(
    "villages",
    flow=flow,
    api_path="/villages/{id}/actions/{name}",
    actions=[
        Action(name, _service(name), NoteIn, t.permission, t.label)
        for name, t in ((t.name, t) for t in VillageFlow.transitions)
    ],
)


# -- reading -------------------------------------------------------------------------------------
DETAIL_URLS = {
    "case": ("cases:detail", "cases.view_case"),
    "dispute": ("disputes:detail", "disputes.view_dispute"),
    "risk": ("risks:detail", "risks.view_risk"),
}


def statuses(actor, *, kind="quarter", day=None, where=None, met=None, state=None):
    """The statuses of the actor's villages for a period (``insights.view_villagestatus``)."""
    _need_view(actor)
    start, _end = period_bounds(kind, day or timezone.localdate())
    rows = VillageStatus.objects.restrict(actor).filter(period=kind, start=start)
    if where is not None:
        rows = rows.filter(place_path__startswith=where.path)
    if met is not None:
        rows = rows.filter(met=met)
    if state:
        rows = rows.filter(state=state)
    return rows.select_related("place", "place__parent").order_by("place_path")


def _need_view(actor):
    if actor is None or not actor.has_perm("insights.view_villagestatus"):
        raise Forbidden(_("您没有执行此操作的权限"))


def get(actor, pk):
    _need_view(actor)
    return VillageStatus.objects.select_related(
        "place", "place__parent", "nominated_by", "confirmed_by"
    ).get_scoped(actor, pk=pk)


def history(actor, status, limit=24):
    """The same village's statuses for other periods of the same kind, newest first."""
    return list(
        VillageStatus.objects.restrict(actor)
        .filter(place_id=status.place_id, period=status.period)
        .order_by("-start")[:limit]
    )


def visible_reasons(actor, status):
    """The reasons as the actor may see them: records inside the actor's jurisdiction (with a link
    when the actor may open them) and a count of the others."""
    from django.urls import reverse

    paths = actor.scope_paths() if actor.has_place_scope() else ()
    out = []
    for reason in status.reasons or []:
        shown = []
        for record in reason.get("records", []):
            if not any(record.get("place_path", "").startswith(p) for p in paths):
                continue
            link = None
            target = DETAIL_URLS.get(record["type"])
            if target is not None and actor.has_perm(target[1]):
                link = reverse(target[0], args=[record["id"]])
            shown.append({**record, "url": link})
        out.append(
            {
                "criterion": reason["criterion"],
                "name": _(reason["name"]),  # a default criterion's name in the reader's language
                "kind": reason.get("kind", ""),
                "allowed": reason.get("allowed", 0),
                "count": reason["count"],
                "records": shown,
                "hidden": reason["count"] - len(shown),
            }
        )
    return out


def town_figures(actor, rows):
    """Share of villages 达标 per town (parent place) among ``rows`` (statuses)."""
    towns = {}
    for status in rows:
        parent = status.place.parent
        key = parent.pk if parent is not None else 0
        entry = towns.setdefault(
            key,
            {
                "code": parent.code if parent else "",
                "name": parent.name if parent else "—",
                "villages": 0,
                "met": 0,
                "confirmed": 0,
            },
        )
        entry["villages"] += 1
        entry["met"] += 1 if status.met else 0
        entry["confirmed"] += 1 if status.state == VillageStatus.State.CONFIRMED else 0
    out = sorted(towns.values(), key=lambda t: t["code"])
    for t in out:
        t["share"] = round(t["met"] / t["villages"], 4) if t["villages"] else None
    return out


def periodic_evaluate():
    """The periodic job: this month, quarter and year for every village (system)."""
    today = timezone.localdate()
    return {kind: len(evaluate(kind, today)) for kind in PERIODS}
