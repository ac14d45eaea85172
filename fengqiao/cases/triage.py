"""Locating a report, and the county's triage queue (待定位).

One rule for every channel that takes a location (Open311, the JSON API): a report is placed in
the grid its grid code, address id or point names; a report that cannot be placed in a grid (an
address only, a point between grid polygons, an address id that is not a grid code) is accepted
into its county's triage queue, where a dispatcher places it (a grid, or a point on the map) and
the normal flow starts. Only a point outside the whole jurisdiction is refused.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import caching, pii
from fengqiao.core.errors import Conflict, Forbidden, NotFound, ServiceError
from fengqiao.core.models import Attachment
from fengqiao.core.workflow import append_timeline, timeline
from fengqiao.org.lookups import ancestor_at, place_by_code
from fengqiao.org.models import Place

from . import services
from .models import Case, PendingReport, Urgency


def _rings(geometry):
    try:
        if geometry.get("type") == "Polygon":
            rings = [geometry["coordinates"][0]]
        elif geometry.get("type") == "MultiPolygon":
            rings = [polygon[0] for polygon in geometry["coordinates"]]
        else:
            return []
        return [[(float(x), float(y)) for x, y, *_rest in ring] for ring in rings if len(ring) > 2]
    except (AttributeError, TypeError, ValueError, KeyError, IndexError):
        return []


def _shape(place):
    rings = _rings(place.boundary)
    if not rings:
        return None
    xs = [x for ring in rings for x, _y in ring]
    ys = [y for ring in rings for _x, y in ring]
    return (min(xs), min(ys), max(xs), max(ys), rings, place)


def _inside(x, y, ring):
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def _hit(shape, lat, lng):
    x0, y0, x1, y1, rings, _place = shape
    return x0 <= lng <= x1 and y0 <= lat <= y1 and any(_inside(lng, lat, r) for r in rings)


def _shapes():
    """Grid polygons and county (or city) boundaries, from the one cache (``core.caching``):
    dropped whenever a place changes (saved, moved, recoded), in every process."""
    return caching.remember(
        "cases.triage.shapes", _compute_shapes, timeout=3600, topics=("places",)
    )


def _compute_shapes():
    with_boundary = Place.objects.exclude(boundary=None)
    grids = [s for p in with_boundary.filter(level=Place.Level.GRID) if (s := _shape(p))]
    areas = [
        s
        for p in with_boundary.filter(level__lte=Place.Level.COUNTY).order_by("-level")
        if (s := _shape(p))
    ]
    return {"grids": grids, "areas": areas, "box": _extent(grids)}


def _extent(grids):
    """Without a county boundary the jurisdiction is the grids' extent and a margin around it
    (10 % of its size, at least about 2 km)."""
    if not grids:
        return None
    x0 = min(g[0] for g in grids)
    y0 = min(g[1] for g in grids)
    x1 = max(g[2] for g in grids)
    y1 = max(g[3] for g in grids)
    mx, my = max((x1 - x0) * 0.1, 0.02), max((y1 - y0) * 0.1, 0.02)
    return (x0 - mx, y0 - my, x1 + mx, y1 + my)


def grid_at(lat, lng):
    """The grid whose polygon contains the point, or None."""
    for shape in _shapes()["grids"]:
        if _hit(shape, lat, lng):
            return shape[5]
    return None


def contains(place, lat, lng):
    """Whether ``place``'s own boundary contains the point."""
    shape = _shape(place)
    return shape is not None and _hit(shape, lat, lng)


def default_county():
    """The county whose triage queue takes reports with no usable point."""
    code = getattr(settings, "FENGQIAO_TRIAGE_COUNTY", "") or ""
    counties = Place.objects.filter(level=Place.Level.COUNTY).order_by("path")
    return (counties.filter(code=code).first() if code else None) or counties.first()


def _county_of(place):
    if place is None or place.level <= Place.Level.COUNTY:
        return place
    return ancestor_at(place, Place.Level.COUNTY)  # from the cached place tree


def county_at(lat, lng):
    """The county a point lies in, None when it lies outside the whole jurisdiction."""
    shapes = _shapes()
    for shape in shapes["areas"]:
        if _hit(shape, lat, lng):
            place = shape[5]
            if place.level == Place.Level.COUNTY:
                return place
            return place.children.filter(level=Place.Level.COUNTY).order_by("path").first()
    if shapes["areas"]:
        return None
    box = shapes["box"]
    if box is None or not (box[0] <= lng <= box[2] and box[1] <= lat <= box[3]):
        return None
    nearest = min(
        shapes["grids"],
        key=lambda s: math.hypot((s[0] + s[2]) / 2 - lng, (s[1] + s[3]) / 2 - lat),
    )
    return _county_of(nearest[5])


def locate(*, grid_code="", address_id="", lat=None, lng=None):
    """(grid, county): the grid when one is named or contains the point, else (None, the county
    whose triage queue takes it). A point outside the jurisdiction is a ServiceError."""
    if grid_code:
        grid = place_by_code(str(grid_code)[:24], level=Place.Level.GRID)
        if grid is None:
            raise ServiceError(
                _("不是已知的网格代码"), code="unknown_grid", details={"field": "grid"}
            )
        return grid, _county_of(grid)
    if address_id:
        grid = place_by_code(str(address_id)[:24], level=Place.Level.GRID)
        if grid is not None:
            return grid, _county_of(grid)
    if lat is not None and lng is not None:
        grid = grid_at(lat, lng)
        if grid is not None:
            return grid, _county_of(grid)
        county = county_at(lat, lng)
        if county is None:
            raise ServiceError(
                _("该位置不在本平台的辖区内"), code="outside_jurisdiction", details={"field": "lat"}
            )
        return None, county
    county = default_county()
    if county is None:
        raise ServiceError(_("尚未配置辖区，无法受理"), code="no_jurisdiction")
    return None, county


def _validate(category, *, description, description_required, reporter_phone, anonymous, urgency,
              any_phone, staff=False):  # fmt: skip
    """The checks ``services.report`` makes that do not need a grid (it repeats them on placing)."""
    description = services.clean_text(
        description, field=_("情况描述"), required=description_required
    )
    phone = services.clean_text(reporter_phone, field=_("电话"), max_length=30)
    if phone and any_phone and not services.LOOSE_PHONE_RE.match(phone):
        raise ServiceError(_("电话号码格式不正确"), code="invalid_phone")
    if not any_phone:
        phone = pii.normalise(phone, "phone")
        if phone and not pii.valid_phone(phone):
            raise ServiceError(
                _("手机号格式不正确"), code="invalid_phone", details={"field": "reporter_phone"}
            )
    if anonymous and not category.allow_anonymous:
        raise ServiceError(_("该类事件不能匿名反映"), code="anonymous_not_allowed")
    if not anonymous and not phone and not category.allow_anonymous and not staff:
        raise ServiceError(
            _("“%(name)s”类事件需要留下联系电话") % {"name": category.name},
            code="phone_required",
            details={"field": "reporter_phone"},
        )
    if urgency and urgency not in Urgency.values:
        raise ServiceError(_("紧急程度不正确"), code="invalid_urgency")
    return description, phone


def _staff(actor):
    return actor is not None and getattr(actor, "is_authenticated", False)


def hold(*, county, category, description, source, channel, client_id=None, location_text="",
         address_id="", lat=None, lng=None, reporter_name="", reporter_phone="",
         reporter_email="", anonymous=False, urgency=None, attachments=(),
         description_required=True, any_phone=False, actor=None, consent=None):  # fmt: skip
    """Accept a report that has no grid into ``county``'s triage queue. Returns (pending, created);
    a replay of ``client_id`` returns the first one (or the case it became).

    ``actor`` is the staff member entering it (JSON API, hotline, the assistant's hand-over) or
    None for a resident or an Open311 client; staff need ``cases.add_case`` and a jurisdiction
    in the county."""
    staff = _staff(actor)
    if staff:
        if not actor.has_perm("cases.add_case"):
            raise Forbidden(_("您没有登记事件的权限"))
        if not (
            actor.covers(county) or any(p.startswith(county.path) for p in actor.scope_paths())
        ):
            raise NotFound(_("该位置不在您的辖区内"))
        if not services.source_allowed(actor, source):  # as services.report (issue 14, #9)
            raise Forbidden(
                _("您的角色不能登记来源为“%(source)s”的事件")
                % {"source": dict(Case.Source.choices).get(source, source)},
                code="source_not_allowed",
                details={"field": "source"},
            )
    # ``consent`` (the resident's consents) is recorded by services.report when the report is
    # placed from its own form; a held report keeps its notice consent implicitly.
    if isinstance(category, str):
        category = services.category_by_code(category)
    client_id = str(client_id or "").strip()
    if client_id and not services.CLIENT_ID_RE.match(client_id):
        raise ServiceError(_("提交编号格式不正确"), code="invalid_client_id")
    if client_id:
        existing = PendingReport.objects.filter(channel=channel, client_id=client_id).first()
        if existing is not None:
            return existing, False
    description, phone = _validate(
        category,
        description=description,
        description_required=description_required,
        reporter_phone=reporter_phone,
        anonymous=anonymous,
        urgency=urgency,
        any_phone=any_phone,
        staff=staff,
    )
    pending = PendingReport(
        place=county,
        source=source,
        channel=channel,
        client_id=client_id,
        category=category,
        urgency=urgency or "",
        description=description,
        location_text=services.clean_text(location_text, field=_("地点"), max_length=200),
        address_id=str(address_id or "")[:100],
        lat=lat,
        lng=lng,
        anonymous=bool(anonymous),
        created_by=actor if staff else None,
    )
    if not anonymous:
        pending.reporter_name = services.clean_text(reporter_name, field=_("姓名"), max_length=50)
        pending.reporter_phone = phone
        pending.reporter_email = services.clean_text(
            reporter_email, field=_("电子邮箱"), max_length=254
        )
    try:
        with transaction.atomic():
            pending.save()
            append_timeline(
                pending,
                "report",
                actor=actor if staff else None,
                actor_name="" if staff else _("反映人"),
                to_state=pending.state,
                note=description,
                data={"source": source},
                attachments=attachments,
            )
            from fengqiao.core import notifications

            notifications.notify(
                services.covering(pending, "dispatcher"),
                kind="case.triage",
                message="case.triage",
                params={"category": category.name, "note": (location_text or description)[:200]},
                url="/cases/triage/",
                target=pending,
            )
    except IntegrityError:
        existing = PendingReport.objects.filter(channel=channel, client_id=client_id).first()
        if client_id and existing is not None:
            return existing, False
        raise
    return pending, True


class Intake(NamedTuple):
    """What a channel's report became: a case (placed at once), or a report waiting in the
    triage queue (``pending``; ``case`` is set once a dispatcher placed it)."""

    case: Case | None
    pending: PendingReport | None
    created: bool


def intake(*, category, source, grid_code="", address_id="", lat=None, lng=None, actor=None,
           channel=None, client_id=None, location_text="", share_location=False,
           **fields):  # fmt: skip
    """One rule for every channel (the JSON API, the resident form, the assistant's hand-over;
    Open311 does the same with its own answers): a named grid, or the grid containing the point,
    gets the case at once (``services.report``); a report that cannot be placed in a grid (an
    address only, a point between grid polygons, an address id that is not a grid code, no
    location at all) is accepted into its county's triage queue (``hold``). Only a point
    outside the whole jurisdiction (or an unknown grid code) is a ServiceError.

    ``fields`` are passed on: description, reporter_name, reporter_phone, reporter_email,
    anonymous, urgency, attachments, description_required, any_phone."""
    if (lat is None) != (lng is None):
        raise ServiceError(_("经纬度需同时填写"), code="invalid_location", details={"field": "lat"})
    for value, low, high, name in ((lat, -90, 90, "lat"), (lng, -180, 180, "lng")):
        if value is not None:
            try:
                ok = low <= float(value) <= high
            except (TypeError, ValueError):
                ok = False
            if not ok or math.isnan(float(value)):
                raise ServiceError(
                    _("坐标超出范围"), code="invalid_location", details={"field": name}
                )
    lat = float(lat) if lat is not None else None
    lng = float(lng) if lng is not None else None
    staff = _staff(actor)
    if channel is None:
        channel = f"u{actor.pk}" if staff else "r"
    grid, county = locate(grid_code=grid_code, address_id=address_id, lat=lat, lng=lng)
    client_key = str(client_id or "").strip()
    if client_key and grid is None:
        # a replay of a report that went to the triage queue (the same location finds no grid
        # again); a report placed at once is found by the case's unique client id instead
        earlier = PendingReport.objects.filter(channel=channel, client_id=client_key).first()
        if earlier is not None:
            return Intake(earlier.case, earlier, False)
    common = dict(
        category=category,
        source=source,
        channel=channel,
        client_id=client_id,
        location_text=location_text,
        lat=lat,
        lng=lng,
        **fields,
    )
    if grid is not None:
        case, created = services.report(
            place=grid, actor=actor, share_location=share_location, **common
        )
        return Intake(case, None, created)
    if not location_text and address_id:
        common["location_text"] = str(address_id)[:200]
    pending, created = hold(county=county, address_id=address_id, actor=actor, **common)
    return Intake(pending.case, pending, created)


def queue(user):
    return (
        PendingReport.objects.restrict(user)
        .filter(state=PendingReport.State.PENDING)
        .select_related("category", "place")
        .order_by("reported_at", "id")
    )


def place(pending, actor, *, grid=None, lat=None, lng=None):
    """A dispatcher places a report from the triage queue: a grid, or a point on the map (the
    grid containing it). The case is made and the normal flow starts. Returns the case."""
    if not actor.has_perm("cases.accept_case"):
        raise Forbidden(_("您没有受理事件的权限"))
    with transaction.atomic():
        row = (
            PendingReport.objects.restrict(actor).select_for_update().filter(pk=pending.pk).first()
        )
        if row is None:
            raise NotFound(_("待定位反映不存在或不在您的辖区内"))
        if row.state != PendingReport.State.PENDING:
            raise Conflict(_("这份反映已经定位过了"), code="already_placed")
        if grid is None and lat is not None and lng is not None:
            grid = grid_at(lat, lng)
            if grid is None:
                raise ServiceError(
                    _("该点不在任何网格内，请直接选择网格"),
                    code="no_grid",
                    details={"field": "grid"},
                )
        if grid is None or grid.level != Place.Level.GRID:
            raise ServiceError(_("请选择网格"), code="invalid_place", details={"field": "grid"})
        if not grid.path.startswith(row.place_path) or not actor.covers(grid):
            raise NotFound(_("网格不存在或不在您的辖区内"))
        files = [
            {
                "file": a.file.name,
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "kind": a.kind,
            }
            for entry in timeline(row)
            for a in entry.attachments.all()
        ]
        case, _created = services.report(
            place=grid,
            category=row.category,
            description=row.description,
            source=row.source,
            channel=row.channel or None,
            client_id=row.client_id or None,
            location_text=row.location_text,
            lat=row.lat if lat is None else lat,
            lng=row.lng if lng is None else lng,
            reporter_name=row.reporter_name.clear,
            reporter_phone=row.reporter_phone.clear,
            reporter_email=row.reporter_email.clear,
            anonymous=row.anonymous,
            urgency=row.urgency or None,
            attachments=files,
            description_required=False,
            any_phone=True,
            entered_by=row.created_by,
        )
        Case.objects.filter(pk=case.pk).update(reported_at=row.reported_at)
        now = timezone.now()
        PendingReport.objects.filter(pk=row.pk).update(
            state=PendingReport.State.PLACED, case=case, placed_at=now, placed_by=actor
        )
        append_timeline(
            row,
            "place",
            actor=actor,
            from_state=PendingReport.State.PENDING,
            to_state=PendingReport.State.PLACED,
            note=grid.name,
            data={"case": case.pk, "grid": grid.code},
            now=now,
        )
    case.refresh_from_db()
    return case


def attachments_of(pending):
    return Attachment.objects.filter(entry__in=[e.pk for e in timeline(pending)])
