"""The map's layers (一张图): grid polygons, posts and stations, open cases by urgency (overdue
marked), disputes by level, risks by colour, key units, and the heat of reports by category.

Each layer is read through its app's scoped manager, so the map shows exactly what the user may
see; a layer whose permission the user lacks is absent (not empty). Points without coordinates
sit at their place's centre, spread a little so several do not hide each other.
"""

import math

from django.utils import timezone

from fengqiao.cases import conf as case_conf
from fengqiao.org.models import Place, Station, User

from .services import need

LIMIT = 3000


def _centres(place_ids):
    return {
        pk: (lat, lng)
        for pk, lat, lng in Place.objects.filter(pk__in=set(place_ids)).values_list(
            "pk", "centre_lat", "centre_lng"
        )
        if lat is not None and lng is not None
    }


def _spread(centre, n):
    """The n-th point around a centre (a small golden-angle spiral, about 30 m apart)."""
    if n == 0:
        return centre
    angle = n * 2.39996
    radius = 0.00025 * math.sqrt(n)
    return (
        round(centre[0] + radius * math.sin(angle), 6),
        round(centre[1] + radius * math.cos(angle), 6),
    )


def _place_points(rows, centres):
    seen: dict[int, int] = {}
    out = []
    for row in rows:
        lat, lng = row.pop("lat", None), row.pop("lng", None)
        place_id = row.pop("place_id")
        if lat is None or lng is None:
            centre = centres.get(place_id)
            if centre is None:
                continue
            n = seen[place_id] = seen.get(place_id, -1) + 1
            lat, lng = _spread(centre, n)
        out.append({**row, "lat": lat, "lng": lng})
    return out


def _within(qs, where, field="place_path"):
    return qs.filter(**{f"{field}__startswith": where.path}) if where is not None else qs


def places_layer(actor, where=None):
    qs = Place.objects.restrict(actor).filter(level__gte=Place.Level.TOWN)
    qs = _within(qs, where, "path")
    return [
        {
            "id": p.pk,
            "code": p.code,
            "name": p.name,
            "level": p.level,
            "boundary": p.boundary,
            "centre": [p.centre_lat, p.centre_lng] if p.centre_lat is not None else None,
        }
        for p in qs.order_by("path")[:LIMIT]
    ]


def stations_layer(places):
    """Stations and posts whose area is on the map, at the centre of their first place."""
    centres = {p["id"]: p["centre"] for p in places if p["centre"]}
    out = []
    rows = (
        Station.objects.filter(kind__in=("station", "post"), places__in=list(centres))
        .values("pk", "name", "kind", "places")
        .distinct()
    )
    seen = set()
    for row in rows:
        if row["pk"] in seen:
            continue
        seen.add(row["pk"])
        lat, lng = centres[row["places"]]
        out.append({"name": row["name"], "kind": row["kind"], "lat": lat, "lng": lng})
    return out


def cases_layer(actor, where=None, now=None):
    from fengqiao.cases.models import Case

    now = now or timezone.now()
    qs = _within(Case.objects.restrict(actor), where).filter(state__in=Case.OPEN_STATES)
    rows = list(
        qs.order_by("next_due_at").values(
            "pk",
            "urgency",
            "state",
            "next_due_at",
            "handle_due_at",
            "lat",
            "lng",
            "place_id",
            "category__name",
        )[:LIMIT]
    )
    for row in rows:
        due = row.pop("next_due_at")
        handle = row.pop("handle_due_at")
        row["overdue"] = bool((due and due < now) or (handle and handle < now))
        row["number"] = f"FQ{row['pk']:08d}"
        row["category"] = row.pop("category__name")
        row["id"] = row.pop("pk")
    return _place_points(rows, _centres(r["place_id"] for r in rows))


def disputes_layer(actor, where=None):
    from fengqiao.disputes.models import Dispute

    qs = _within(Dispute.objects.restrict(actor), where).filter(state__in=Dispute.OPEN_STATES)
    rows = [
        {"id": r["pk"], "number": r["number"], "level": r["level"], "place_id": r["place_id"]}
        for r in qs.order_by("-registered_at").values("pk", "number", "level", "place_id")[:LIMIT]
    ]
    return _place_points(rows, _centres(r["place_id"] for r in rows))


def risks_layer(actor, where=None):
    from fengqiao.risks.models import Risk

    qs = _within(Risk.objects.restrict(actor), where).filter(state__in=Risk.ON_REGISTER)
    rows = [
        {"id": r["pk"], "number": r["number"], "level": r["level"], "place_id": r["place_id"]}
        for r in qs.order_by("-applied_at").values("pk", "number", "level", "place_id")[:LIMIT]
    ]
    return _place_points(rows, _centres(r["place_id"] for r in rows))


def units_layer(actor, where=None):
    from django.db.models import Q

    from fengqiao.registry.models import Unit

    key = Q(kind=Unit.Kind.KEY_UNIT) | Q(fire_level__in=(Unit.FireLevel.KEY, Unit.FireLevel.HIGH))
    qs = _within(Unit.objects.restrict(actor), where).filter(key)
    rows = [
        {
            "id": r["pk"],
            "name": r["name"],
            "lat": r["address__centre_lat"],
            "lng": r["address__centre_lng"],
            "place_id": r["place_id"],
        }
        for r in qs.order_by("name").values(
            "pk", "name", "address__centre_lat", "address__centre_lng", "place_id"
        )[:LIMIT]
    ]
    return _place_points(rows, _centres(r["place_id"] for r in rows))


def heat_layer(actor, span, where=None):
    """Reports in the period: [lat, lng, category index, day index] and the category names."""
    from fengqiao.cases.models import Case

    low, high = span.bounds()
    qs = _within(Case.objects.restrict(actor), where).filter(
        reported_at__gte=low, reported_at__lt=high
    )
    rows = list(
        qs.order_by().values(
            "lat", "lng", "place_id", "reported_at", "category__parent__name", "category__name"
        )[: LIMIT * 3]
    )
    centres = _centres(r["place_id"] for r in rows)
    categories: list[str] = []
    index: dict[str, int] = {}
    points = []
    zone = timezone.get_current_timezone()
    for r in rows:
        lat, lng = r["lat"], r["lng"]
        if lat is None or lng is None:
            centre = centres.get(r["place_id"])
            if centre is None:
                continue
            lat, lng = centre
        name = r["category__parent__name"] or r["category__name"]
        if name not in index:
            index[name] = len(categories)
            categories.append(name)
        day = (timezone.localtime(r["reported_at"], zone).date() - span.start).days
        points.append([round(lat, 5), round(lng, 5), index[name], day])
    return {
        "categories": categories,
        "points": points,
        "days": span.days,
        "start": span.start.isoformat(),
    }


def layers(actor, span, where=None):
    """Every layer the actor may see (a missing permission leaves the layer out)."""
    need(actor, "insights.view_command_centre")
    places = places_layer(actor, where)
    out = {
        "tile_url": case_conf.map_tile_url(),
        "generated_at": timezone.now().isoformat(),
        "places": places,
        "stations": stations_layer(places),
    }
    if actor.has_perm("cases.view_case"):
        out["cases"] = cases_layer(actor, where)
        out["heat"] = heat_layer(actor, span, where)
    if actor.has_perm("disputes.view_dispute"):
        out["disputes"] = disputes_layer(actor, where)
    if actor.has_perm("risks.view_risk"):
        out["risks"] = risks_layer(actor, where)
    if actor.has_perm("registry.view_unit"):
        out["units"] = units_layer(actor, where)
    if actor.has_perm("insights.view_villagestatus"):
        out["villages"] = villages_layer(actor, where)
    out["totals"] = {
        "cases": len(out.get("cases", [])),
        "overdue": sum(1 for c in out.get("cases", []) if c["overdue"]),
        "disputes": len(out.get("disputes", [])),
        "red_risks": sum(1 for r in out.get("risks", []) if r["level"] == "red"),
    }
    return out


def villages_layer(actor, where=None, day=None):
    """无案村 status of the villages on the map, this quarter: each village's polygon (or centre)
    coloured 达标 / 未达标, confirmed ones marked; not yet evaluated villages are left out."""
    from django.urls import reverse

    from . import villages

    rows = villages.statuses(actor, kind="quarter", day=day or timezone.localdate(), where=where)
    return [
        {
            "id": s.pk,
            "code": s.place.code,
            "name": s.place.name,
            "met": s.met,
            "state": s.state,
            "boundary": s.place.boundary,
            "centre": [s.place.centre_lat, s.place.centre_lng]
            if s.place.centre_lat is not None
            else None,
            "url": reverse("insights:village", args=[s.pk]),
        }
        for s in rows[:LIMIT]
    ]


def grid_card(actor, place_id):
    """A grid's card: people, houses, open work, its officer(s) and grid worker(s)."""
    need(actor, "insights.view_command_centre")
    grid = Place.objects.get_scoped(actor, pk=place_id)
    card = {"id": grid.pk, "code": grid.code, "name": grid.name, "level": grid.get_level_display()}
    counts = {}
    if actor.has_perm("registry.view_person"):
        from fengqiao.registry.models import House, Person

        counts["people"] = (
            Person.objects.restrict(actor).filter(place_path__startswith=grid.path).count()
        )
        counts["houses"] = (
            House.objects.restrict(actor).filter(place_path__startswith=grid.path).count()
        )
    if actor.has_perm("cases.view_case"):
        from fengqiao.cases.models import Case

        counts["open_cases"] = (
            Case.objects.restrict(actor)
            .filter(place_path__startswith=grid.path, state__in=Case.OPEN_STATES)
            .count()
        )
    if actor.has_perm("disputes.view_dispute"):
        from fengqiao.disputes.models import Dispute

        counts["open_disputes"] = (
            Dispute.objects.restrict(actor)
            .filter(place_path__startswith=grid.path, state__in=Dispute.OPEN_STATES)
            .count()
        )
    if actor.has_perm("risks.view_risk"):
        from fengqiao.risks.models import Risk

        counts["risks"] = (
            Risk.objects.restrict(actor)
            .filter(place_path__startswith=grid.path, state__in=Risk.ON_REGISTER)
            .count()
        )
    card["counts"] = counts
    card["people_in_charge"] = _in_charge(grid)
    return card


def _in_charge(grid):
    """Grid workers whose jurisdiction is the grid; community officers covering it (their place
    or their post's places)."""
    # The grid and its village: a town- or county-wide jurisdiction is not "this grid's".
    paths = grid.ancestor_paths()[-2:]
    out = []
    for role in ("grid_worker", "community_officer"):
        users = (
            User.objects.filter(is_active=True, groups__name=role)
            .filter(jurisdictions__place__path__in=paths if role != "grid_worker" else [grid.path])
            .distinct()
            .order_by("username")[:5]
        )
        if role == "community_officer":
            users = list(users) + list(
                User.objects.filter(is_active=True, groups__name=role)
                .filter(jurisdictions__station__places__path__in=paths)
                .distinct()
                .order_by("username")[:5]
            )
        seen = set()
        for user in users:
            if user.pk in seen:
                continue
            seen.add(user.pk)
            out.append({"role": role, "name": str(user)})
    return out
