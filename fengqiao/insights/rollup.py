"""Pre-aggregation of the case figures: daily roll-up rows (``CaseDay``), kept incrementally.

* ``rebuild()`` computes every day that has cases (the demo seeding and ``fengqiao manage
  insights_rollup --rebuild`` call it) and marks the roll-up ready;
* the case flow's transition listener (``mark_dirty``, registered with
  ``core.workflow.on_transition``) records the (day, place) slices a transition touches;
* the periodic job ``refresh_dirty`` recomputes those slices (and today's and yesterday's, to
  catch anything changed outside a transition) from the cases themselves.

A slice is always recomputed from the source with the same definitions as the live query, never
patched by increments, so the roll-up cannot drift. Read-only over cases; writes only insights'
own tables.
"""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from fengqiao.org.models import Place

from . import figures
from .models import CaseDay, DirtyDay, RollupState

DIMS = {"": None, "c": "category_id", "d": "department_id", "t": "team_id"}
FIELDS = ("accepted_at", "closed_at", "handle_due_at", "dispatched_at")


def ready() -> bool:
    return RollupState.objects.filter(built_at__isnull=False).exists()


def _families(now):
    """(date field, extra filter, {counter: aggregate}) — the counters of figures._case_aggregates
    attributed to the day of their own event."""
    to_close = ExpressionWrapper(F("closed_at") - F("reported_at"), output_field=DurationField())
    urgent_cut = now - timedelta(minutes=figures.ARRIVAL_MINUTES)
    in_time = Q(arrived_at__lte=F("dispatched_at") + timedelta(minutes=figures.ARRIVAL_MINUTES))
    return (
        (
            "accepted_at",
            Q(),
            {
                "accepted": Count("id"),
                "extended": Count("id", filter=Q(extension_count__gt=0)),
            },
        ),
        (
            "closed_at",
            Q(),
            {
                "closed": Count("id"),
                "reworked": Count("id", filter=Q(rework_count__gt=0)),
                "rated": Count("id", filter=Q(satisfaction__isnull=False)),
                "satisfied": Count("id", filter=Q(satisfaction__gte=3)),
                "close_span": Sum(to_close),
            },
        ),
        (
            "handle_due_at",
            ~Q(state__in=("rejected", "merged")),
            {
                "due": Count("id"),
                "due_closed": Count("id", filter=Q(state="closed")),
                "due_on_time": Count("id", filter=Q(state="closed", on_time=True)),
            },
        ),
        (
            "dispatched_at",
            Q(urgency="urgent"),
            {
                "urgent_base": Count(
                    "id", filter=Q(arrived_at__isnull=False) | Q(dispatched_at__lt=urgent_cut)
                ),
                "urgent_in_time": Count("id", filter=in_time),
            },
        ),
    )


def _bounds(days):
    low, _ = figures.bounds(min(days), min(days))
    _, high = figures.bounds(max(days), max(days))
    return low, high


def compute(days, place_ids=None, *, now=None):
    """The roll-up rows of ``days`` (a set of dates), optionally only for ``place_ids``."""
    from fengqiao.cases.models import Case

    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    days = set(days)
    if not days:
        return {}
    low, high = _bounds(days)
    out: dict[tuple, dict] = {}
    for field, extra, aggregates in _families(now):
        base = Case.objects.order_by().filter(extra, **{f"{field}__gte": low, f"{field}__lt": high})
        if place_ids is not None:
            base = base.filter(place_id__in=place_ids)
        base = base.annotate(rollup_day=TruncDate(field, tzinfo=zone))
        for prefix, dim_field in DIMS.items():
            keys = ["rollup_day", "place_id"] + ([dim_field] if dim_field else [])
            qs = base.filter(department_id__isnull=True) if prefix == "t" else base
            for row in qs.values(*keys).annotate(**aggregates):
                day = row["rollup_day"]
                if isinstance(day, datetime):
                    day = day.date()
                if day not in days:
                    continue
                if dim_field:
                    if row[dim_field] is None:
                        continue
                    dim = f"{prefix}{row[dim_field]}"
                else:
                    dim = ""
                counters = out.setdefault((day, row["place_id"], dim), figures.empty_counters())
                for name in aggregates:
                    if name == "close_span":
                        counters["close_seconds"] += figures._span_seconds(row[name])
                    else:
                        counters[name] += row[name] or 0
    return out


def write(days, place_ids=None, *, now=None):
    """Replace the roll-up rows of the slices ``days`` × ``place_ids`` (all places if None)."""
    rows = compute(days, place_ids, now=now)
    paths = dict(
        Place.objects.filter(pk__in={pid for _d, pid, _dim in rows}).values_list("pk", "path")
    )
    with transaction.atomic():
        stale = CaseDay.objects.filter(day__in=days)
        if place_ids is not None:
            stale = stale.filter(place_id__in=place_ids)
        stale.delete()
        CaseDay.objects.bulk_create(
            [
                CaseDay(day=day, place_id=pid, place_path=paths.get(pid, ""), dim=dim, **counters)
                for (day, pid, dim), counters in rows.items()
            ],
            batch_size=2000,
        )
    return len(rows)


def rebuild(*, chunk_days=31, now=None):
    """Build the whole roll-up (every day with a case event) and mark it ready."""
    from django.db.models import Max, Min

    from fengqiao.cases.models import Case

    now = now or timezone.now()
    spans = Case.objects.aggregate(
        *[Min(f) for f in FIELDS],
        *[Max(f) for f in FIELDS],
    )
    lows = [v for k, v in spans.items() if k.endswith("__min") and v]
    highs = [v for k, v in spans.items() if k.endswith("__max") and v]
    CaseDay.objects.all().delete()
    written = 0
    if lows:
        first = timezone.localtime(min(lows)).date()
        last = timezone.localtime(max(highs)).date()
        day = first
        while day <= last:
            chunk = {day + timedelta(days=i) for i in range(chunk_days)}
            chunk = {d for d in chunk if d <= last}
            written += write(chunk, now=now)
            day += timedelta(days=chunk_days)
    DirtyDay.objects.all().delete()
    state, _ = RollupState.objects.get_or_create(pk=1)
    state.built_at = state.refreshed_at = now
    state.save()
    return written


def mark_dirty(record, transition, entry, actor, data, now):
    """Transition listener of the case flow: the slices this case contributes to."""
    days = set()
    for field in FIELDS:
        value = getattr(record, field, None)
        if value is not None:
            days.add(timezone.localtime(value).date())
    days.add(timezone.localdate(now) if now else timezone.localdate())
    # in key order: two transactions marking the same slices then wait for each other in turn,
    # never in a cycle (deadlock seen with concurrent dispatches, tests/ops/test_pgbouncer.py)
    DirtyDay.objects.bulk_create(
        [DirtyDay(day=d, place_id=record.place_id) for d in sorted(days)], ignore_conflicts=True
    )


def refresh_dirty(*, now=None):
    """Recompute the dirty slices, plus today and yesterday everywhere. Returns slices done."""
    if not ready():
        return 0
    now = now or timezone.now()
    today = timezone.localdate(now)
    write({today, today - timedelta(days=1)}, now=now)
    dirty = list(DirtyDay.objects.values_list("pk", "day", "place_id")[:5000])
    by_day: dict[date, set[int]] = {}
    for _pk, day, place_id in dirty:
        by_day.setdefault(day, set()).add(place_id)
    for day, places in by_day.items():
        write({day}, places, now=now)
    DirtyDay.objects.filter(pk__in=[pk for pk, _d, _p in dirty]).delete()
    RollupState.objects.filter(pk=1).update(refreshed_at=now)
    return len(dirty)


# -- reading ----------------------------------------------------------------------------------
def counters(paths, period, *, where=None, group=None, dim_prefix=""):
    """Summed counters from the roll-up for the jurisdiction ``paths`` (and place ``where``):
    one dict, or {group key: counters} with ``group`` = "place_id" or "dim"."""
    rows = CaseDay.objects.filter(day__gte=period.start, day__lte=period.end)
    rows = rows.filter(dim__startswith=dim_prefix) if dim_prefix else rows.filter(dim="")
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(place_path__startswith=path)
    rows = rows.filter(q)
    if where is not None:
        rows = rows.filter(place_path__startswith=where.path)
    sums = {k: Sum(k) for k in figures.CASE_COUNTERS}
    if group is None:
        total = rows.aggregate(**sums)
        return {k: total[k] or 0 for k in figures.CASE_COUNTERS}
    return {
        r[group]: {k: r[k] or 0 for k in figures.CASE_COUNTERS}
        for r in rows.order_by().values(group).annotate(**sums)
    }


def period_end_correction(case_rows, period, group=None):
    """Due cases closed after the period's end count as not closed for that period (the roll-up
    holds them as closed as of its refresh): the amounts to subtract, by ``group``."""
    low, high = period.bounds()
    if high > timezone.now():
        return {} if group else {"due_closed": 0, "due_on_time": 0}
    late = case_rows.order_by().filter(
        handle_due_at__gte=low, handle_due_at__lt=high, state="closed", closed_at__gte=high
    )
    aggregates = {
        "due_closed": Count("id"),
        "due_on_time": Count("id", filter=Q(on_time=True)),
    }
    if group is None:
        return late.aggregate(**aggregates)
    return {r[group]: r for r in late.values(group).annotate(**aggregates)}


GROUP_DIMS = {"category_id": "c", "department_id": "d", "team_id": "t"}


class RollupSource:
    """Counters from the roll-up for a jurisdiction (``paths``) and place ``where``, corrected
    for due cases closed after the period's end; ``case_rows`` (same scope) serve the
    correction only."""

    def __init__(self, paths, where, case_rows):
        self.paths, self.where, self.case_rows = paths, where, case_rows

    def __call__(self, period, group=None):
        if group is None:
            total = counters(self.paths, period, where=self.where)
            return _subtract(total, period_end_correction(self.case_rows, period))
        if group == "place_id":
            data = counters(self.paths, period, where=self.where, group="place_id")
        else:
            prefix = GROUP_DIMS[group]
            raw = counters(self.paths, period, where=self.where, group="dim", dim_prefix=prefix)
            data = {int(k[1:]): v for k, v in raw.items()}
        rows = (
            self.case_rows.filter(department__isnull=True) if group == "team_id" else self.case_rows
        )
        for key, fix in period_end_correction(rows, period, group=group).items():
            if key in data:
                _subtract(data[key], fix)
        return data

    def trend(self, period):
        rows = counters(self.paths, period, where=self.where, group="day")
        days = [period.start + timedelta(days=i) for i in range(period.days)]
        empty = figures.empty_counters()
        return [
            {
                "day": d.isoformat(),
                "accepted": rows.get(d, empty)["accepted"],
                "closed": rows.get(d, empty)["closed"],
            }
            for d in days
        ]


def _subtract(counters_, fix):
    for key in ("due_closed", "due_on_time"):
        counters_[key] -= fix.get(key) or 0
    return counters_
