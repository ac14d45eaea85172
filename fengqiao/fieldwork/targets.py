"""Visits against target (走访完成率) — the one definition, used by the weekly target page and API
(``/fieldwork/targets/``, ``/api/v1/fieldwork/targets``), the officer's home panel
(``services.weekly_progress``) and the command centre (``insights.figures.visit_figures``,
``insights.services.visit_board``).

* **Who carries a target**: active members of the ``community_officer`` role (社区民警) whose
  jurisdiction (a place, or a police unit's places) lies inside the scope looked at.
* **Done**: households visited — distinct addresses per officer and week (Monday–Sunday), summed
  over the weeks of the period. Two visits to one household in a week count once.
* **Target**: the officer's weekly target (``VisitTarget``, default 20 households) × days / 7,
  rounded — for one whole week, the weekly target itself.
* An officer with no visit still counts, with 0 against the target.
* Rate = done / target (``None`` when the target is 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q
from django.utils import timezone

from .models import DEFAULT_WEEKLY_TARGET, Visit, VisitTarget

# The role whose members carry a weekly visit target (社区民警走访).
ROLE = "community_officer"


@dataclass(frozen=True)
class Week:
    """Monday–Sunday (a ``Period`` for :func:`against_target`)."""

    start: date

    @classmethod
    def of(cls, day: date | None = None) -> Week:
        day = day or timezone.localdate()
        return cls(day - timedelta(days=day.weekday()))

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)

    @property
    def days(self) -> int:
        return 7

    def previous(self) -> Week:
        return Week(self.start - timedelta(days=7))

    def next(self) -> Week:
        return Week(self.start + timedelta(days=7))


def _name(user):
    return user.display_name or user.get_full_name() or user.username


def rate(done, target):
    return round(done / target, 4) if target else None


def weekly(officers) -> dict[int, int]:
    """user id → weekly target, for the given officers (the default where none is set)."""
    ids = [getattr(o, "pk", o) for o in officers]
    set_ = dict(VisitTarget.objects.filter(user_id__in=ids).values_list("user_id", "weekly"))
    return {pk: set_.get(pk, DEFAULT_WEEKLY_TARGET) for pk in ids}


def done_by_officer(visits, start: date, end: date) -> dict[int, int]:
    """Households visited per officer: distinct (week, address), summed over the weeks."""
    from django.db.models.functions import TruncWeek

    done: dict[int, int] = {}
    for officer_id, _week, _address in (
        visits.filter(visited_on__gte=start, visited_on__lte=end)
        .order_by()
        .annotate(week=TruncWeek("visited_on"))
        .values_list("officer_id", "week", "address_id")
        .distinct()
    ):
        done[officer_id] = done.get(officer_id, 0) + 1
    return done


def against_target(visits, officers, period):
    """Visits against target over ``period`` (``start``, ``end``, ``days``): ``visits`` (already
    scoped to the place looked at), ``officers`` (the users carrying a target there)."""
    in_period = visits.filter(visited_on__gte=period.start, visited_on__lte=period.end)
    done = done_by_officer(visits, period.start, period.end)
    targets = weekly(officers)
    rows = []
    for officer in officers:
        target = round(targets[officer.pk] * period.days / 7)
        n = done.get(officer.pk, 0)
        rows.append(
            {
                "user_id": officer.pk,
                "name": _name(officer),
                "done": n,
                "target": target,
                "rate": rate(n, target),
            }
        )
    rows.sort(key=lambda r: (-(r["rate"] or 0), r["name"]))
    total_done = sum(r["done"] for r in rows)
    total_target = sum(r["target"] for r in rows)
    return {
        "visits": in_period.count(),
        "done": total_done,
        "target": total_target,
        "rate": rate(total_done, total_target),
        "officers": rows,
    }


def officers_in(actor, where=None):
    """The users carrying a weekly visit target whose jurisdiction lies inside ``where`` (a place)
    or, without it, inside the actor's jurisdiction."""
    from fengqiao.org.models import User

    paths = [where.path] if where is not None else list(actor.scope_paths())
    inside = Q(pk__in=[])
    for path in paths:
        inside |= Q(jurisdictions__place__path__startswith=path)
        inside |= Q(jurisdictions__station__places__path__startswith=path)
    return list(
        User.objects.filter(groups__name=ROLE, is_active=True)
        .filter(inside)
        .distinct()
        .order_by("username")
    )


def progress(user, today=None):
    """One officer's households visited this week (Monday → today) against the weekly target."""
    week = Week.of(today)
    done = done_by_officer(Visit.objects.filter(officer=user), week.start, week.end).get(user.pk, 0)
    target = weekly([user])[user.pk]
    return {
        "week_start": week.start,
        "done": done,
        "target": target,
        "percent": min(100, int(100 * done / target)) if target else 100,
    }


# -- the weekly target page and API -------------------------------------------------------------
HISTORY_WEEKS = 8


def parse_week(value) -> Week:
    """``YYYY-MM-DD`` (any day of the week) → that week; empty → this week."""
    from django.utils.dateparse import parse_date
    from django.utils.translation import gettext as _

    from fengqiao.core.errors import ServiceError

    if value in (None, ""):
        return Week.of()
    try:
        day = value if isinstance(value, date) else parse_date(str(value))
    except ValueError:
        day = None
    if day is None:
        raise ServiceError(_("日期格式不正确"), code="invalid_date", details={"field": "week"})
    if day > timezone.localdate() + timedelta(days=7) or day.year < 2000:
        raise ServiceError(_("日期超出范围"), code="invalid_date", details={"field": "week"})
    return Week.of(day)


def scoped_place(actor, code):
    """The place with ``code`` inside the actor's jurisdiction, else NotFound; empty → None."""
    from django.utils.translation import gettext as _

    from fengqiao.core.errors import NotFound
    from fengqiao.org.models import Place

    if not code:
        return None
    place = Place.objects.filter(code=str(code)[:40]).first()
    if place is None or not actor.covers(place):
        raise NotFound(_("地点不存在或无权访问"))
    return place


def _visits(actor, where):
    rows = Visit.objects.restrict(actor)
    return rows.filter(place_path__startswith=where.path) if where is not None else rows


def _places_of(officers):
    """user id → the names of the places the officer serves (jurisdiction places and police units)."""
    from fengqiao.org.models import Jurisdiction

    out: dict[int, list[str]] = {}
    for user_id, place, station in Jurisdiction.objects.filter(
        user__in=[o.pk for o in officers]
    ).values_list("user_id", "place__name", "station__name"):
        out.setdefault(user_id, []).append(place or station or "")
    return out


def _row_places(actor, where):
    """The places a by-place board has rows for: the children of ``where`` (or of the actor's
    jurisdiction places), a place without children standing for itself."""
    from fengqiao.org.models import Place

    if where is not None:
        bases = [where]
    else:
        paths = actor.scope_paths()
        bases = [p for p in Place.objects.filter(path__in=paths).order_by("code")]
    rows = []
    for base in bases:
        children = list(base.children.order_by("code"))
        rows.extend(children or [base])
    return rows


def board(actor, *, week=None, place="", by="officer"):
    """Visits against the weekly target for the week, per officer (``by="officer"``) or per place
    one level below (``by="place"``), within the actor's jurisdiction (``place`` narrows it)."""
    from fengqiao.core.authz import require_perm

    require_perm(actor, "fieldwork.view_visit")
    week = week if isinstance(week, Week) else parse_week(week)
    where = scoped_place(actor, place)
    officers = officers_in(actor, where)
    data = against_target(_visits(actor, where), officers, week)
    places = _places_of(officers)
    for row in data["officers"]:
        row["places"] = places.get(row["user_id"], [])
    data.update(
        week_start=week.start,
        week_end=week.end,
        place=None if where is None else {"code": where.code, "name": where.name},
        by="place" if by == "place" else "officer",
        places=[],
    )
    if by == "place":
        for child in _row_places(actor, where):
            part = against_target(_visits(actor, child), officers_in(actor, child), week)
            data["places"].append(
                {
                    "code": child.code,
                    "name": child.name,
                    "officers": len(part["officers"]),
                    "done": part["done"],
                    "target": part["target"],
                    "rate": part["rate"],
                }
            )
    return data


def officer(actor, user_id, *, week=None):
    """One officer's week (visits of the week, in the actor's scope) and the weeks before, against
    the target. 404 for an officer outside the actor's jurisdiction."""
    from django.utils.translation import gettext as _

    from fengqiao.core.authz import require_perm
    from fengqiao.core.errors import NotFound

    require_perm(actor, "fieldwork.view_visit")
    week = week if isinstance(week, Week) else parse_week(week)
    found = [o for o in officers_in(actor) if str(o.pk) == str(user_id)]
    if not found:
        raise NotFound(_("人员不存在或无权访问"))
    user = found[0]
    visits = _visits(actor, None).filter(officer=user)
    first = Week(week.start - timedelta(days=7 * (HISTORY_WEEKS - 1)))
    done = {}
    from django.db.models.functions import TruncWeek

    for day, _address in (
        visits.filter(visited_on__gte=first.start, visited_on__lte=week.end)
        .order_by()
        .annotate(week=TruncWeek("visited_on"))
        .values_list("week", "address_id")
        .distinct()
    ):
        key = day.date() if hasattr(day, "date") else day
        done[key] = done.get(key, 0) + 1
    target = weekly([user])[user.pk]
    history = []
    for i in range(HISTORY_WEEKS):
        w = Week(first.start + timedelta(days=7 * i))
        n = done.get(w.start, 0)
        history.append(
            {"week_start": w.start, "done": n, "target": target, "rate": rate(n, target)}
        )
    n = done.get(week.start, 0)
    return {
        "user_id": user.pk,
        "name": _name(user),
        "places": _places_of([user]).get(user.pk, []),
        "weekly_target": target,
        "week_start": week.start,
        "week_end": week.end,
        "done": n,
        "target": target,
        "rate": rate(n, target),
        "history": history,
        "visits": list(
            visits.filter(visited_on__gte=week.start, visited_on__lte=week.end)
            .select_related("address")
            .order_by("visited_on", "id")
        ),
        "user": user,
    }


def set_target(actor, user_id, weekly_target):
    """Set an officer's weekly target (``fieldwork.change_visittarget``; officers in the actor's
    jurisdiction only, else 404; audited)."""
    from django.utils.translation import gettext as _

    from fengqiao.core.authz import require_perm
    from fengqiao.core.errors import NotFound

    from . import services

    require_perm(actor, "fieldwork.change_visittarget")
    found = [o for o in officers_in(actor) if str(o.pk) == str(user_id)]
    if not found:
        raise NotFound(_("人员不存在或无权访问"))
    return services.set_weekly_target(actor, found[0], weekly_target)
