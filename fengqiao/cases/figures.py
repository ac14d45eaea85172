"""The figures of the case flow, per unit / place / category and period. One query per table.

Definitions (docs/cases.md has the long form). For a period [start, end] (local dates, inclusive):
* 立案数 accepted    cases accepted (立案) in the period
* 结案数 closed      cases closed in the period
* 应结案数 due       cases whose handling deadline fell in the period (rejected/merged excluded)
* 结案率 close_rate  of the due cases, the share closed by the end of the period
* 按期结案率 on_time_rate  of the due cases closed, the share resolved by their deadline
* 返工率 rework_rate of the cases closed in the period, the share that needed rework
* 延期率 extension_rate  of the cases accepted in the period, the share with an approved extension
* mean_hours_to_close   mean time from report to closure of the cases closed in the period
* 10分钟到场率 arrival_rate  urgent cases dispatched in the period and arrived on site: share within
  10 minutes of dispatch (base: those with an arrival recorded or still unarrived after 10 minutes)
* 满意率 satisfaction_rate  of the cases closed in the period and rated: 非常满意/满意/基本满意
"""

from datetime import datetime, time, timedelta

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.utils import timezone

GROUPS = {
    "department": ("department_id", "department__name"),
    "category": ("category_id", "category__name"),
    "village": ("place__parent_id", "place__parent__name"),
    "town": ("place__parent__parent_id", "place__parent__parent__name"),
}


def bounds(start, end):
    zone = timezone.get_current_timezone()
    low = timezone.make_aware(datetime.combine(start, time.min), zone)
    high = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), zone)
    return low, high


def _rate(numerator, denominator):
    return round(numerator / denominator, 4) if denominator else None


def compute(rows, start, end, by="department"):
    """A list of dicts (one per group, or one total when ``by`` is None)."""
    low, high = bounds(start, end)
    accepted = Q(accepted_at__gte=low, accepted_at__lt=high)
    closed = Q(closed_at__gte=low, closed_at__lt=high)
    due = Q(handle_due_at__gte=low, handle_due_at__lt=high) & ~Q(state__in=("rejected", "merged"))
    due_closed = due & Q(state="closed", closed_at__lt=high)
    urgent = Q(urgency="urgent", dispatched_at__gte=low, dispatched_at__lt=high)
    arrived_in_time = urgent & Q(arrived_at__lte=F("dispatched_at") + timedelta(minutes=10))
    arrival_base = urgent & (
        Q(arrived_at__isnull=False) | Q(dispatched_at__lt=timezone.now() - timedelta(minutes=10))
    )
    to_close = ExpressionWrapper(F("closed_at") - F("reported_at"), output_field=DurationField())
    aggregates = {
        "accepted": Count("id", filter=accepted),
        "closed": Count("id", filter=closed),
        "due": Count("id", filter=due),
        "due_closed": Count("id", filter=due_closed),
        "due_on_time": Count("id", filter=due_closed & Q(on_time=True)),
        "reworked": Count("id", filter=closed & Q(rework_count__gt=0)),
        "extended": Count("id", filter=accepted & Q(extension_count__gt=0)),
        "urgent_base": Count("id", filter=arrival_base),
        "urgent_in_time": Count("id", filter=arrived_in_time),
        "rated": Count("id", filter=closed & Q(satisfaction__isnull=False)),
        "satisfied": Count("id", filter=closed & Q(satisfaction__gte=3)),
        "mean_to_close": Avg(to_close, filter=closed),
    }
    if by:
        key, label = GROUPS[by]
        result = list(rows.order_by().values(key, label).annotate(**aggregates).order_by(label))
        for row in result:
            row["key"], row["label"] = row.pop(key), row.pop(label) or "—"
    else:
        result = [rows.order_by().aggregate(**aggregates)]
        result[0].update(key=None, label="")
    out = []
    for row in result:
        if by and not any(row[k] for k in ("accepted", "closed", "due", "urgent_base")):
            continue
        mean = row.pop("mean_to_close")
        row.update(
            close_rate=_rate(row["due_closed"], row["due"]),
            on_time_rate=_rate(row["due_on_time"], row["due_closed"]),
            rework_rate=_rate(row["reworked"], row["closed"]),
            extension_rate=_rate(row["extended"], row["accepted"]),
            arrival_rate=_rate(row["urgent_in_time"], row["urgent_base"]),
            satisfaction_rate=_rate(row["satisfied"], row["rated"]),
            mean_hours_to_close=round(mean.total_seconds() / 3600, 2) if mean else None,
        )
        out.append(row)
    return out
