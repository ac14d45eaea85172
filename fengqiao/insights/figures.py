"""The one figures module: case and dispute figures per place / unit / category and period.

Every figure is a ratio of additive counters, so a group's counters are the sum of its members'
(grid → village → town → county) and the same definitions serve the live query, the daily
roll-up and every page, export and API answer.

Case definitions, for a period [start, end] (local dates, inclusive):
* 立案数 accepted    cases accepted (立案) in the period
* 结案数 closed      cases closed in the period
* 应结案数 due       cases whose handling deadline fell in the period (rejected/merged excluded)
* 结案率 close_rate  of the due cases, the share closed by the end of the period
* 按期结案率 on_time_rate  of the due cases closed, the share resolved by their deadline
* 返工率 rework_rate of the cases closed in the period, the share that needed rework
* 延期率 extension_rate  of the cases accepted in the period, the share with an approved extension
* mean_hours_to_close   mean time from report to closure of the cases closed in the period
* 10分钟到场率 arrival_rate  urgent cases dispatched in the period: share on site within 10 minutes
  of dispatch (base: those with an arrival recorded or still unarrived after 10 minutes)
* 满意率 satisfaction_rate  of the cases closed in the period and rated: 非常满意/满意/基本满意

Dispute definitions: over the disputes registered in the period — by type and level, the share of
the resolved ones resolved at village level (levels 1–2), the success rate per level (attempts
ending in an agreement), recurrences (a dispute flagged as a recurrence of an earlier one).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.org.models import Place

CASE_COUNTERS = (
    "accepted",
    "closed",
    "due",
    "due_closed",
    "due_on_time",
    "reworked",
    "extended",
    "urgent_base",
    "urgent_in_time",
    "rated",
    "satisfied",
    "close_seconds",
)

# (key, label, kind) in display order; kind "count", "rate" (0..1) or "hours".
CASE_KPIS = (
    ("accepted", _("立案数"), "count"),
    ("closed", _("结案数"), "count"),
    ("due", _("应结案数"), "count"),
    ("close_rate", _("结案率"), "rate"),
    ("on_time_rate", _("按期结案率"), "rate"),
    ("rework_rate", _("返工率"), "rate"),
    ("extension_rate", _("延期率"), "rate"),
    ("mean_hours_to_close", _("平均办结时长（小时）"), "hours"),
    ("arrival_rate", _("紧急事件10分钟到场率"), "rate"),
    ("satisfaction_rate", _("满意率"), "rate"),
)

PLACE_LEVELS = {
    "county": Place.Level.COUNTY,
    "town": Place.Level.TOWN,
    "village": Place.Level.VILLAGE,
    "grid": Place.Level.GRID,
}
GROUPS = {
    "town": _("按乡镇（街道）"),
    "village": _("按村（社区）"),
    "grid": _("按网格"),
    "department": _("按部门"),
    "category": _("按类别"),
}
ARRIVAL_MINUTES = 10


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self):
        return (self.end - self.start).days + 1

    def bounds(self):
        return bounds(self.start, self.end)

    def previous(self):
        """环比: the period of the same length just before."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def year_before(self):
        """同比: the same dates one year earlier (29 Feb → 28 Feb)."""
        return Period(_year_back(self.start), _year_back(self.end))


def _year_back(day):
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def default_period(today=None):
    """The last 30 days, today included."""
    today = today or timezone.localdate()
    return Period(today - timedelta(days=29), today)


def bounds(start, end):
    zone = timezone.get_current_timezone()
    low = timezone.make_aware(datetime.combine(start, time.min), zone)
    high = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), zone)
    return low, high


def rate(numerator, denominator):
    return round(numerator / denominator, 4) if denominator else None


# -- cases -----------------------------------------------------------------------------------
def _case_aggregates(low, high, now):
    accepted = Q(accepted_at__gte=low, accepted_at__lt=high)
    closed = Q(closed_at__gte=low, closed_at__lt=high)
    due = Q(handle_due_at__gte=low, handle_due_at__lt=high) & ~Q(state__in=("rejected", "merged"))
    due_closed = due & Q(state="closed", closed_at__lt=high)
    urgent = Q(urgency="urgent", dispatched_at__gte=low, dispatched_at__lt=high)
    in_time = urgent & Q(arrived_at__lte=F("dispatched_at") + timedelta(minutes=ARRIVAL_MINUTES))
    arrival_base = urgent & (
        Q(arrived_at__isnull=False) | Q(dispatched_at__lt=now - timedelta(minutes=ARRIVAL_MINUTES))
    )
    to_close = ExpressionWrapper(F("closed_at") - F("reported_at"), output_field=DurationField())
    return {
        "accepted": Count("id", filter=accepted),
        "closed": Count("id", filter=closed),
        "due": Count("id", filter=due),
        "due_closed": Count("id", filter=due_closed),
        "due_on_time": Count("id", filter=due_closed & Q(on_time=True)),
        "reworked": Count("id", filter=closed & Q(rework_count__gt=0)),
        "extended": Count("id", filter=accepted & Q(extension_count__gt=0)),
        "urgent_base": Count("id", filter=arrival_base),
        "urgent_in_time": Count("id", filter=in_time),
        "rated": Count("id", filter=closed & Q(satisfaction__isnull=False)),
        "satisfied": Count("id", filter=closed & Q(satisfaction__gte=3)),
        "close_span": Sum(to_close, filter=closed),
    }


def _span_seconds(value):
    if value is None:
        return 0
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value / 1_000_000  # microseconds (SQLite)


def _counters(row):
    out = {k: row.get(k) or 0 for k in CASE_COUNTERS if k != "close_seconds"}
    out["close_seconds"] = _span_seconds(row.get("close_span"))
    return out


def empty_counters():
    return dict.fromkeys(CASE_COUNTERS, 0)


def add(into, counters):
    for key in CASE_COUNTERS:
        into[key] = into.get(key, 0) + counters.get(key, 0)
    return into


def case_rates(counters):
    """The figures (rates, mean hours) of one set of counters, counters kept."""
    row = dict(counters)
    closed = counters["closed"]
    row.update(
        close_rate=rate(counters["due_closed"], counters["due"]),
        on_time_rate=rate(counters["due_on_time"], counters["due_closed"]),
        rework_rate=rate(counters["reworked"], closed),
        extension_rate=rate(counters["extended"], counters["accepted"]),
        arrival_rate=rate(counters["urgent_in_time"], counters["urgent_base"]),
        satisfaction_rate=rate(counters["satisfied"], counters["rated"]),
        mean_hours_to_close=(
            round(counters["close_seconds"] / closed / 3600, 2) if closed else None
        ),
    )
    return row


def case_counters(rows, period, *, group=None, now=None):
    """Counters of ``rows`` (a Case queryset) in ``period``: one dict, or {key: counters} by a
    model field path ``group`` (e.g. ``"place_id"``)."""
    low, high = period.bounds()
    aggregates = _case_aggregates(low, high, now or timezone.now())
    rows = rows.order_by()
    if group is None:
        return _counters(rows.aggregate(**aggregates))
    return {r[group]: _counters(r) for r in rows.values(group).annotate(**aggregates)}


def has_activity(counters):
    return any(counters[k] for k in ("accepted", "closed", "due", "urgent_base"))


def fold_to_level(by_place, level):
    """{place_id: counters} → {ancestor at ``level``: counters}; places above the level are
    dropped (a case filed at a village does not belong to one of its grids)."""
    paths = dict(Place.objects.filter(pk__in=by_place).values_list("pk", "path"))
    wanted = set()
    for path in paths.values():
        wanted.update(_prefixes(path))
    ancestors = {
        p.path: p
        for p in Place.objects.filter(path__in=wanted, level=level).only("pk", "path", "name")
    }
    out = {}
    for pk, counters in by_place.items():
        target = next((ancestors[p] for p in _prefixes(paths.get(pk, "")) if p in ancestors), None)
        if target is None:
            continue
        add(out.setdefault(target, empty_counters()), counters)
    return out


def _prefixes(path):
    parts = path.strip("/").split("/") if path else []
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


class LiveSource:
    """Counters straight from the cases (``rows``, already scoped)."""

    def __init__(self, rows, now=None):
        self.rows, self.now = rows, now

    def __call__(self, period, group=None):
        rows = self.rows.filter(department__isnull=True) if group == "team_id" else self.rows
        return case_counters(rows, period, group=group, now=self.now)


def _source(rows_or_source, now=None):
    return rows_or_source if callable(rows_or_source) else LiveSource(rows_or_source, now)


def case_table(rows, period, by, *, now=None):
    """Rows of figures grouped ``by`` (town, village, grid, department, category), label-sorted.
    ``rows`` is a Case queryset or a counter source (``LiveSource``, ``rollup.RollupSource``)."""
    source = _source(rows, now)
    if by in PLACE_LEVELS:
        folded = fold_to_level(source(period, "place_id"), PLACE_LEVELS[by])
        groups = [(("place", p.pk), p.name, c) for p, c in folded.items()]
    elif by == "department":
        from fengqiao.org.models import Department, Team

        by_dept = source(period, "department_id")
        by_team = source(period, "team_id")
        names = dict(Department.objects.filter(pk__in=by_dept).values_list("pk", "name"))
        teams = dict(Team.objects.filter(pk__in=by_team).values_list("pk", "name"))
        groups = [(("department", k), names[k], c) for k, c in by_dept.items() if k]
        groups += [(("team", k), teams[k], c) for k, c in by_team.items() if k]
    elif by == "category":
        from fengqiao.cases.models import Category

        by_cat = source(period, "category_id")
        names = {c.pk: c.name for c in Category.objects.filter(pk__in=by_cat)}
        groups = [(("category", k), names.get(k, "—"), c) for k, c in by_cat.items()]
    else:
        raise ValueError(by)
    out = []
    for (kind, key), label, counters in sorted(groups, key=lambda g: (str(g[1]), g[0][1])):
        if not has_activity(counters):
            continue
        out.append({"kind": kind, "key": key, "label": label, **case_rates(counters)})
    return out


def compute(rows, start, end, by="department"):
    """The former ``cases.figures.compute``: a list of figure rows (one total when ``by`` is None)."""
    period = Period(start, end)
    if by is None:
        return [{"key": None, "label": "", **case_rates(case_counters(rows, period))}]
    return case_table(rows, period, by)


def change(current, earlier, kind):
    """The change from ``earlier`` to ``current``: relative for counts and hours (0.25 = +25 %),
    percentage points for rates (0.05 = +5 pp); None when either side has no value."""
    if current is None or earlier is None:
        return None
    if kind == "rate":
        return round(current - earlier, 4)
    return round((current - earlier) / earlier, 4) if earlier else None


def case_kpis(rows, period, *, now=None):
    """The KPI tiles: each figure for the period, 环比 (previous period) and 同比 (a year before)."""
    source = _source(rows, now)
    now_figures = case_rates(source(period))
    before = case_rates(source(period.previous()))
    year = case_rates(source(period.year_before()))
    return [
        {
            "key": key,
            "label": str(label),
            "kind": kind,
            "value": now_figures[key],
            "previous": before[key],
            "year_before": year[key],
            "mom": change(now_figures[key], before[key], kind),
            "yoy": change(now_figures[key], year[key], kind),
        }
        for key, label, kind in CASE_KPIS
    ]


def case_trend(rows, period):
    """Per day: reports accepted and cases closed (for the trend chart)."""
    from django.db.models.functions import TruncDate

    low, high = period.bounds()
    zone = timezone.get_current_timezone()
    accepted = dict(
        rows.order_by()
        .filter(accepted_at__gte=low, accepted_at__lt=high)
        .annotate(day=TruncDate("accepted_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    closed = dict(
        rows.order_by()
        .filter(closed_at__gte=low, closed_at__lt=high)
        .annotate(day=TruncDate("closed_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    days = [period.start + timedelta(days=i) for i in range(period.days)]
    return [
        {"day": d.isoformat(), "accepted": accepted.get(d, 0), "closed": closed.get(d, 0)}
        for d in days
    ]


# -- disputes --------------------------------------------------------------------------------
def dispute_figures(rows):
    """Dispute figures over ``rows`` (a Dispute queryset already scoped and filtered)."""
    from fengqiao.disputes.models import (
        LEVELS,
        Agreement,
        Attempt,
        Dispute,
        JudicialConfirmation,
        Performance,
    )

    total = rows.count()
    by_type = list(rows.values("type__name").annotate(n=Count("id")).order_by("-n", "type__name"))
    village_counts: dict[str, int] = {}
    for path in rows.values_list("place_path", flat=True):
        parts = path.strip("/").split("/")
        key = "/" + "/".join(parts[:4]) + "/" if len(parts) >= 4 else path
        village_counts[key] = village_counts.get(key, 0) + 1
    names = dict(Place.objects.filter(path__in=village_counts).values_list("path", "name"))
    by_place = sorted(
        ({"place": names.get(p, p), "n": n} for p, n in village_counts.items()),
        key=lambda r: (-r["n"], r["place"]),
    )
    attempts = Attempt.objects.filter(dispute__in=rows).exclude(outcome=Attempt.Outcome.PENDING)
    per_level = {
        row["level"]: row
        for row in attempts.values("level").annotate(
            n=Count("id"), ok=Count("id", filter=Q(outcome=Attempt.Outcome.AGREEMENT))
        )
    }
    registered_by_level = dict(rows.values_list("level").annotate(n=Count("id")))
    resolved = rows.filter(outcome=Dispute.Outcome.AGREEMENT)
    n_resolved = resolved.count()
    resolved_at = dict(resolved.values_list("resolved_level").annotate(n=Count("id")))
    levels = []
    for level, label in LEVELS.items():
        row = per_level.get(level, {"n": 0, "ok": 0})
        levels.append(
            {
                "level": level,
                "label": str(label),
                "current": registered_by_level.get(level, 0),
                "attempts": row["n"],
                "agreements": row["ok"],
                "success_rate": rate(row["ok"], row["n"]),
                "resolved": resolved_at.get(level, 0),
                "resolved_share": rate(resolved_at.get(level, 0), n_resolved),
            }
        )
    durations = [
        (r - g).total_seconds() / 3600
        for g, r in resolved.filter(resolved_at__isnull=False).values_list(
            "registered_at", "resolved_at"
        )
    ]
    agreements = Agreement.objects.filter(dispute__in=rows).exclude(state=Agreement.State.DRAFT)
    n_signed = agreements.filter(state=Agreement.State.SIGNED).count()
    confirmations = JudicialConfirmation.objects.filter(agreement__dispute__in=rows)
    today = timezone.localdate()
    perf = Performance.objects.filter(
        agreement__dispute__in=rows, agreement__state=Agreement.State.SIGNED
    )
    due_perf = perf.filter(Q(due_on__lt=today) | Q(state=Performance.State.PERFORMED))
    on_time = due_perf.filter(state="performed", performed_on__lte=F("due_on")).count()
    n_due = due_perf.count()
    recurrences = rows.filter(is_recurrence=True).count()
    village = resolved_at.get(1, 0) + resolved_at.get(2, 0)
    town = village + resolved_at.get(3, 0) + resolved_at.get(4, 0)
    all_attempts = sum(r["n"] for r in per_level.values())
    all_ok = sum(r["ok"] for r in per_level.values())
    return {
        "total": total,
        "open": rows.filter(state__in=Dispute.OPEN_STATES).count(),
        "resolved": n_resolved,
        "resolution_rate": rate(n_resolved, total),
        "success_rate": rate(all_ok, all_attempts),
        "by_type": [{"type": r["type__name"], "n": r["n"]} for r in by_type],
        "by_place": by_place,
        "levels": levels,
        "resolved_in_village": village,
        "resolved_in_village_share": rate(village, n_resolved),
        "resolved_in_town_share": rate(town, n_resolved),
        "mean_hours_to_resolve": round(sum(durations) / len(durations), 1) if durations else None,
        "recurrences": recurrences,
        "recurrence_rate": rate(recurrences, total),
        "high_risk": rows.filter(risk_level="high").count(),
        "agreements_signed": n_signed,
        "judicial_applied": confirmations.count(),
        "judicial_confirmed": confirmations.filter(outcome="confirmed").count(),
        "judicial_rate": rate(confirmations.count(), agreements.count()),
        "performance_due": n_due,
        "performed_on_time": on_time,
        "performed_on_time_rate": rate(on_time, n_due),
    }


def disputes_in_period(rows, period):
    low, high = period.bounds()
    return rows.filter(registered_at__gte=low, registered_at__lt=high)


# -- risks -----------------------------------------------------------------------------------
RISK_COLOURS = ("red", "orange", "blue", "green")


def risk_figures(rows, period):
    """Risks (``rows`` scoped): on the register by colour (now), found and closed out in the
    period, reviews due in the period held on time (the kernel's met/breached per deadline)."""
    from django.contrib.contenttypes.models import ContentType

    from fengqiao.core.models import Deadline
    from fengqiao.risks.models import Risk

    low, high = period.bounds()
    on_register = dict(
        rows.filter(state__in=Risk.ON_REGISTER)
        .order_by()
        .values_list("level")
        .annotate(n=Count("id"))
    )
    found = rows.filter(applied_at__gte=low, applied_at__lt=high).count()
    closed = rows.filter(closed_at__gte=low, closed_at__lt=high).count()
    reviews = Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(Risk),
        object_id__in=rows.values("pk"),
        kind="review",
        due_at__gte=low,
        due_at__lt=high,
    ).exclude(state="open", breached=False)
    due = reviews.count()
    on_time = reviews.filter(state="met", breached=False).count()
    return {
        "by_colour": [{"level": c, "n": on_register.get(c, 0)} for c in RISK_COLOURS],
        "on_register": sum(on_register.get(c, 0) for c in RISK_COLOURS),
        "found": found,
        "closed_out": closed,
        "reviews_due": due,
        "reviews_on_time": on_time,
        "reviews_on_time_rate": rate(on_time, due),
    }


# -- fieldwork and the registry ------------------------------------------------------------------
def visit_figures(visits, officers, period):
    """Visits against target — ``fieldwork.targets.against_target``, the one definition shared
    with the weekly target page and the officer's home (households per officer and week against
    the weekly target × days / 7)."""
    from fengqiao.fieldwork import targets

    return targets.against_target(visits, officers, period)


def stay_figures(stays, period):
    """Foreigners' accommodation registrations (``stays`` scoped): reported in the period; the
    on-site checks (kernel deadline ``onsite_check``, 3 working days) due in the period that are
    settled — checked on time (met, not breached) over those met or breached; pending now and
    overdue now."""
    from django.contrib.contenttypes.models import ContentType

    from fengqiao.core.models import Deadline
    from fengqiao.registry.models import ForeignerStay

    low, high = period.bounds()
    checks = Deadline.objects.filter(
        content_type=ContentType.objects.get_for_model(ForeignerStay),
        object_id__in=stays.values("pk"),
        kind="onsite_check",
        due_at__gte=low,
        due_at__lt=high,
    ).exclude(state="open", breached=False)
    due = checks.count()
    on_time = checks.filter(state="met", breached=False).count()
    pending = stays.filter(state=ForeignerStay.State.REPORTED)
    return {
        "reported": stays.filter(reported_at__gte=low, reported_at__lt=high).count(),
        "checked": stays.filter(checked_at__gte=low, checked_at__lt=high).count(),
        "checks_due": due,
        "checked_on_time": on_time,
        "checked_on_time_rate": rate(on_time, due),
        "pending": pending.count(),
        "overdue": pending.filter(next_due_at__lt=timezone.now()).count(),
    }


# -- 110 / 12345 alerts (imported, insights.alerts) ------------------------------------------------
def alert_figures(rows, period):
    """警情 (``rows`` scoped) by category: the period, 环比 (the period just before) and 同比 (the
    same dates a year earlier), each with its relative change; totals per source."""
    spans = {"n": period, "previous": period.previous(), "year_before": period.year_before()}
    counts = {}
    for name, span in spans.items():
        low, high = span.bounds()
        for category, source, n in (
            rows.filter(occurred_at__gte=low, occurred_at__lt=high)
            .order_by()
            .values_list("category", "source")
            .annotate(n=Count("id"))
        ):
            counts.setdefault(category, {"n": 0, "previous": 0, "year_before": 0, "sources": {}})
            counts[category][name] += n
            if name == "n":
                sources = counts[category]["sources"]
                sources[source] = sources.get(source, 0) + n
    table = [
        {
            "category": category,
            **c,
            "mom": change(c["n"], c["previous"], "count"),
            "yoy": change(c["n"], c["year_before"], "count"),
        }
        for category, c in counts.items()
    ]
    table.sort(key=lambda r: (-r["n"], -r["year_before"], r["category"]))
    total = {k: sum(r[k] for r in table) for k in ("n", "previous", "year_before")}
    by_source = {}
    for r in table:
        for source, n in r["sources"].items():
            by_source[source] = by_source.get(source, 0) + n
    return {
        "total": {
            **total,
            "mom": change(total["n"], total["previous"], "count"),
            "yoy": change(total["n"], total["year_before"], "count"),
        },
        "by_source": [{"source": s, "n": by_source.get(s, 0)} for s in ("110", "12345")],
        "categories": table,
    }
