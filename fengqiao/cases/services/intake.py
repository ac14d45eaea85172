"""Reports coming in: duplicates, client ids, dispatch rules, ``report``."""

from __future__ import annotations

import math
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fengqiao.core import caching, notifications, pii
from fengqiao.core.errors import Forbidden, NotFound, ServiceError
from fengqiao.core.workflow import append_timeline, apply, start_deadline
from fengqiao.org.models import Place

from .. import conf
from ..models import Case, DispatchRule, Urgency
from ..workflow import flow
from ._common import CLIENT_ID_RE, LOOSE_PHONE_RE, _coord, category_by_code, clean_text
from .people import _covering_ids as covering_ids
from .people import _place

# -- intake -----------------------------------------------------------------------------------
# Which staff may record a case as coming from which channel (issue 14, finding 9): the source is a
# fact about who reported, so a staff member records only the channels their permissions name
# (``cases.record_source_<channel>``, given to roles in ``cases/permissions.py``: field roles
# their own channels, 110 transfers police roles and dispatchers, assistant hand-offs integration
# accounts). ``None`` = any staff member with ``cases.add_case``; no permission at all = nobody
# (resident, Open311: set by their own paths, with no staff actor, or the system's own call with
# ``trusted_source``).
SOURCE_PERMISSIONS = {
    Case.Source.GRID_WORKER: "cases.record_source_grid_worker",
    Case.Source.PATROL: "cases.record_source_patrol",
    Case.Source.WALK_IN: "cases.record_source_walk_in",
    Case.Source.HOTLINE: "cases.record_source_hotline",
    Case.Source.TRANSFER_110: "cases.record_source_transfer_110",
    Case.Source.ASSISTANT: "cases.record_source_assistant",
    Case.Source.API: None,
}


def source_allowed(actor, source) -> bool:
    """May staff ``actor`` record a case with this ``source``? By permission, never role name."""
    if source not in SOURCE_PERMISSIONS:
        return bool(getattr(actor, "is_superuser", False))  # resident, Open311: their own paths
    perm = SOURCE_PERMISSIONS[source]
    return perm is None or actor.has_perm(perm)


def allowed_sources(actor) -> list[str]:
    """The sources ``actor`` may choose (the staff form offers only these)."""
    return [s for s in Case.Source.values if source_allowed(actor, s)]


def _client_key(channel, client_id):
    if client_id in (None, ""):
        return None
    client_id = str(client_id).strip()
    if not CLIENT_ID_RE.match(client_id):
        raise ServiceError(
            _("提交编号格式不正确"), code="invalid_client_id", details={"field": "client_id"}
        )
    return f"{channel}:{client_id}"[:100]


def find_duplicate(case):
    """A likely duplicate: same category, open, near the same place within the window."""
    since = case.reported_at - timedelta(hours=conf.duplicate_window_hours())
    rows = Case.objects.filter(
        category_id=case.category_id,
        reported_at__gte=since,
        state__in=Case.OPEN_STATES,
        duplicate_of__isnull=True,
    ).exclude(pk=case.pk)
    if case.lat is not None and case.lng is not None:
        radius = conf.duplicate_radius_m()
        dlat = radius / 111_000
        dlng = radius / (111_000 * max(math.cos(math.radians(case.lat)), 0.01))
        near = rows.filter(
            lat__range=(case.lat - dlat, case.lat + dlat),
            lng__range=(case.lng - dlng, case.lng + dlng),
        )
        found = near.order_by("reported_at").first()
        if found:
            return found
    same_place = rows.filter(place_id=case.place_id)
    if case.location_text:
        found = same_place.filter(location_text=case.location_text).order_by("reported_at").first()
        if found:
            return found
    if case.lat is None and not case.location_text:
        return same_place.filter(lat__isnull=True).order_by("reported_at").first()
    return None


RULES_TTL = 300  # seconds; a change to a rule, a department or a team drops it at once


def _all_rules():
    return list(DispatchRule.objects.select_related("place", "department", "team"))


def suggested_rule(case):
    """The most specific dispatch rule for the case's category (or its parent) and place.

    The rules are reference data: remembered through ``core.caching`` (topic ``dispatch_rules``,
    dropped by every change to a rule, a department, a team or a place)."""
    rules = caching.remember(
        "cases.dispatch_rules", _all_rules, timeout=RULES_TTL, topics=("dispatch_rules", "places")
    )
    if not rules:
        return None
    parent_id = case.category.parent_id
    paths = set(_place(case).ancestor_paths())
    found = [
        r
        for r in rules
        if (r.category_id == case.category_id or (parent_id and r.category_id == parent_id))
        and r.place.path in paths
    ]
    if not found:
        return None
    found.sort(key=lambda r: (r.category_id == case.category_id, len(r.place.path)), reverse=True)
    return found[0]


def report(
    *,
    place,
    category,
    description,
    source,
    actor=None,
    channel=None,
    client_id=None,
    location_text="",
    lat=None,
    lng=None,
    reporter_name="",
    reporter_phone="",
    reporter_email="",
    anonymous=False,
    share_location=False,
    urgency=None,
    attachments=(),
    now=None,
    description_required=True,
    any_phone=False,
    entered_by=None,
    trusted_source=False,
    consent=None,
):
    """Create a case (采集建档). Returns (case, created). A replay of ``client_id`` returns the
    case the first submission made, unchanged.

    ``actor`` is a staff user (hotline, grid worker, dispatcher, API key account) or None for a
    resident; staff need ``cases.add_case`` and the place in their jurisdiction.
    ``any_phone`` accepts any international number (checked loosely, stored as given; Open311);
    ``description_required=False`` lets a report through without a description (Open311).
    ``entered_by`` is the staff member who entered a report that waited in the triage queue (its
    placing dispatcher checked the grid): it is the case's ``created_by`` and, like any staff
    entry, needs no phone.
    ``source`` must be one the staff actor may record (``SOURCE_PERMISSIONS``) unless the
    system itself sets it (``trusted_source``: triage of an Open311 report, an assistant alert).
    """
    now = now or timezone.now()
    if source not in Case.Source.values:
        raise ServiceError(_("未知的来源"), code="invalid_source")
    staff = actor is not None and getattr(actor, "is_authenticated", False)
    if staff and not trusted_source and not source_allowed(actor, source):
        raise Forbidden(
            _("您的角色不能登记来源为“%(source)s”的事件") % {"source": Case.Source(source).label},
            code="source_not_allowed",
            details={"field": "source"},
        )
    if channel is None:
        channel = f"u{actor.pk}" if staff else "r"
    key = _client_key(channel, client_id)
    # A replay of ``client_id`` is found by the unique index on the insert (no query up front);
    # input refused below is checked against earlier submissions only then (a replay of a report
    # accepted earlier returns it, even if the categories changed since).
    try:
        return _report(
            key=key, place=place, category=category, description=description, source=source,
            actor=actor, staff=staff, location_text=location_text, lat=lat, lng=lng,
            reporter_name=reporter_name, reporter_phone=reporter_phone,
            reporter_email=reporter_email, anonymous=anonymous, share_location=share_location,
            urgency=urgency, attachments=attachments, now=now,
            description_required=description_required, any_phone=any_phone,
            entered_by=entered_by, consent=consent,
        )  # fmt: skip
    except (ServiceError, IntegrityError):
        if key:
            existing = Case.objects.filter(client_id=key).first()
            if existing is not None:
                return existing, False
        raise


def _report(*, key, place, category, description, source, actor, staff, location_text, lat, lng,
            reporter_name, reporter_phone, reporter_email, anonymous, share_location, urgency,
            attachments, now, description_required, any_phone, entered_by, consent):  # fmt: skip
    if isinstance(category, str):
        category = category_by_code(category)
    if place is None or place.level != Place.Level.GRID:
        raise ServiceError(_("请选择网格"), code="invalid_place", details={"field": "place"})
    if staff:
        if not actor.has_perm("cases.add_case"):
            raise Forbidden(_("您没有登记事件的权限"))
        if not actor.covers(place):
            raise NotFound(_("网格不存在或不在您的辖区内"))
    description = clean_text(description, field=_("情况描述"), required=description_required)
    location_text = clean_text(location_text, field=_("地点"), max_length=200)
    lat = _coord(lat, -90, 90, "lat")
    lng = _coord(lng, -180, 180, "lng")
    if (lat is None) != (lng is None):
        raise ServiceError(_("经纬度需同时填写"), code="invalid_location", details={"field": "lat"})
    reporter_name = clean_text(reporter_name, field=_("姓名"), max_length=50)
    reporter_phone = clean_text(reporter_phone, field=_("电话"), max_length=30)
    if any_phone:
        if reporter_phone and not LOOSE_PHONE_RE.match(reporter_phone):
            raise ServiceError(
                _("电话号码格式不正确"), code="invalid_phone", details={"field": "reporter_phone"}
            )
    else:
        reporter_phone = pii.normalise(reporter_phone, "phone")
    if reporter_phone and not any_phone and not pii.valid_phone(reporter_phone):
        raise ServiceError(
            _("手机号格式不正确"), code="invalid_phone", details={"field": "reporter_phone"}
        )
    anonymous = bool(anonymous)
    if anonymous:
        if not category.allow_anonymous:
            raise ServiceError(
                _("“%(name)s”类事件不能匿名反映，请留下联系电话") % {"name": category.name},
                code="anonymous_not_allowed",
                details={"field": "anonymous"},
            )
        reporter_name, reporter_phone, reporter_email = "", "", ""
    elif not reporter_phone and not category.allow_anonymous and not staff and not entered_by:
        raise ServiceError(
            _("“%(name)s”类事件需要留下联系电话") % {"name": category.name},
            code="phone_required",
            details={"field": "reporter_phone"},
        )
    if urgency and urgency not in Urgency.values:
        raise ServiceError(
            _("紧急程度不正确"), code="invalid_urgency", details={"field": "urgency"}
        )
    case = Case(
        place=place,
        category=category,
        source=source,
        urgency=urgency or category.urgency,
        description=description,
        location_text=location_text,
        lat=lat,
        lng=lng,
        share_location=bool(share_location),
        anonymous=anonymous,
        client_id=key,
        created_by=actor if staff else entered_by,
        reported_at=now,
        deadline_rule=category.deadline_rule(),
    )
    case.reporter_name = reporter_name
    case.reporter_phone = reporter_phone
    if not staff and not entered_by:
        case.reporter_language = (translation.get_language() or "")[:16]
    case.reporter_email = clean_text(reporter_email, field=_("电子邮箱"), max_length=254)
    span_due = flow.deadline_due(case, "accept", now)
    case.next_due_at = span_due  # the kernel's value for a record whose only deadline is this one
    with transaction.atomic():
        case.likely_duplicate_of = find_duplicate(case)
        case.save()
        append_timeline(
            case,
            "report",
            actor=actor if staff else None,
            actor_name="" if staff else _("反映人"),
            to_state=case.state,
            note=description,
            # the reporter's consents, as given (PIPL processing record)
            data={"source": source, **({"consent": consent} if consent else {})},
            attachments=attachments,
            now=now,
        )
        if span_due is not None:
            start_deadline(case, "accept", span_due, policy="case_step", now=now, new_record=True)
        rule = suggested_rule(case)
        if rule is not None and rule.auto_dispatch:
            case, _entry = apply(case, "accept", None, system=True, actor_name=_("系统"), now=now)
            case, _entry = apply(
                case,
                "dispatch",
                None,
                system=True,
                actor_name=_("系统（派单规则）"),
                data=_target_data(rule.department, rule.team),
                now=now,
            )
        else:
            # one insert: who covers the place is cached (core.caching); the rows are the outbox
            # the worker delivers from, written in this transaction so none is lost
            notifications.notify_ids(
                covering_ids(case, "dispatcher"),
                kind="case.report",
                message="case.reported",
                params={
                    "number": case.number,
                    "category": category.name,
                    "note": description[:200],
                },
                url=f"/cases/{case.pk}/",
                target=case,
            )
    return case, True


def _target_data(department=None, team=None):
    return {"department": department.pk if department else None, "team": team.pk if team else None}
