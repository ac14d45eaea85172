"""The only writers of cases. Views, the JSON API, Open311, the CLI and demo call these.

Every function checks permission and jurisdiction (through the kernel's ``apply``), changes state,
writes the timeline, moves deadlines and queues notifications in one transaction.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.core import caching, pii
from fengqiao.core.errors import Conflict, Forbidden, NotFound, ServiceError
from fengqiao.core.workflow import Move, append_timeline, apply, locked, start_deadline
from fengqiao.org.models import Department, Place, Team, User
from fengqiao.org.services import staff_for_place

from . import conf
from .models import Case, Category, DispatchRule, Urgency
from .workflow import DISPUTE_CATEGORY, DISPUTE_OPEN, flow

MAX_DESCRIPTION = 4000  # Open311's limit; the same for every channel
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
# Any international number, loosely: an optional +, digits and the usual separators, 5–20 digits.
LOOSE_PHONE_RE = re.compile(
    r"^\+?(?:[\s().\-/]*\d){5,20}[\s().\-/]*(?:(?:ext\.?|x|#)\s*\d{1,6})?$", re.I
)


def clean_text(value, *, field, required=False, max_length=MAX_DESCRIPTION):
    """Trimmed text without control characters. HTML is kept as typed and escaped on output."""
    text = CONTROL_CHARS.sub("", str(value or "")).strip()
    if required and not text:
        raise ServiceError(
            _("请填写%(field)s") % {"field": field}, code="required", details={"field": field}
        )
    if len(text) > max_length:
        raise ServiceError(
            _("%(field)s不能超过 %(n)d 个字") % {"field": field, "n": max_length},
            code="too_long",
            details={"field": field},
        )
    return text


def _coord(value, low, high, field):
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ServiceError(
            _("坐标格式不正确"), code="invalid_location", details={"field": field}
        ) from None
    if not math.isfinite(number) or not low <= number <= high:
        raise ServiceError(_("坐标超出范围"), code="invalid_location", details={"field": field})
    return number


def category_by_code(code):
    category = Category.objects.filter(code=str(code or "").strip(), active=True).first()
    if category is None:
        raise ServiceError(
            _("未知的事件类别：%(code)s") % {"code": str(code)[:40]},
            code="unknown_category",
            details={"field": "category"},
        )
    if category.children.filter(active=True).exists():
        raise ServiceError(
            _("请选择具体的类别（%(name)s 下的小类）") % {"name": category.name},
            code="category_not_leaf",
            details={"field": "category"},
        )
    return category


def categories():
    """Active categories in tree order: [(parent, [children])] with leaves as their own group."""
    rows = list(Category.objects.filter(active=True).order_by("sort", "code"))
    children = {}
    for row in rows:
        if row.parent_id:
            children.setdefault(row.parent_id, []).append(row)
    return [(row, children.get(row.pk, [])) for row in rows if not row.parent_id]


def leaf_categories():
    rows = list(Category.objects.filter(active=True).select_related("parent"))
    parents = {row.parent_id for row in rows if row.parent_id}
    return [row for row in rows if row.pk not in parents]


# -- people to tell ---------------------------------------------------------------------------
def unit_staff(case):
    if case.department_id:
        return list(
            User.objects.filter(department_id=case.department_id, is_active=True).order_by("id")
        )
    if case.team_id:
        return list(
            User.objects.filter(team_memberships__team_id=case.team_id, is_active=True).order_by(
                "id"
            )
        )
    return []


def _place(case):
    return (
        case.place if "place" in case._state.fields_cache else Place.objects.get(pk=case.place_id)
    )


def dispatchers_for(case):
    return staff_for_place(_place(case), ["dispatcher"])


def leaders_for(case):
    return staff_for_place(_place(case), ["leader"])


def verifiers_for(case):
    return staff_for_place(_place(case), ["grid_worker"])


PEOPLE_TTL = 60  # seconds; role, jurisdiction and place changes drop it at once (core.caching)


def _remember(key, compute):
    name = ":".join(str(part) for part in key)
    return caching.remember(
        f"cases.people:{name}", compute, timeout=PEOPLE_TTL, topics=("roles", "places")
    )


def _role_people(role):
    """(user id, jurisdiction paths) of every active user holding ``role``."""
    users = User.objects.filter(groups__name=role, is_active=True).distinct().order_by("id")
    return [(user.pk, user.scope_paths()) for user in users]


def _covering_ids(case, role):
    people = _remember(("role", role), lambda: _role_people(role))
    return [pk for pk, paths in people if any(case.place_path.startswith(p) for p in paths)]


def covering(case, role):
    """Active users with ``role`` whose jurisdiction covers the case's place. Who holds the role
    where is cached for a minute; the users themselves are re-read (one primary-key query)."""
    ids = _covering_ids(case, role)
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("id")) if ids else []


def cached_responsible(batch, case, level):
    """Recipients of a supervision card: the unit, the dispatchers covering the place and, from
    red on, its leaders — looked up once per unit and role per sweep batch, not once per case."""
    memo = batch.memo.setdefault("case_people", {})
    key = ("unit", case.department_id, case.team_id)
    if key not in memo:
        memo[key] = unit_staff(case)
    people = list(memo[key])
    for role in ("dispatcher", "leader") if level >= 2 else ("dispatcher",):
        ids = _covering_ids(case, role)
        missing = [pk for pk in ids if ("user", pk) not in memo]
        if missing:
            found = {u.pk: u for u in User.objects.filter(pk__in=missing, is_active=True)}
            for pk in missing:
                memo[("user", pk)] = found.get(pk)
        people += [memo[("user", pk)] for pk in ids if memo[("user", pk)] is not None]
    return people


# -- intake -----------------------------------------------------------------------------------
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


def suggested_rule(case):
    """The most specific dispatch rule for the case's category (or its parent) and place."""
    cat_ids = [case.category_id] + ([case.category.parent_id] if case.category.parent_id else [])
    paths = _place(case).ancestor_paths()
    rules = list(
        DispatchRule.objects.filter(category_id__in=cat_ids, place__path__in=paths).select_related(
            "place", "department", "team"
        )
    )
    if not rules:
        return None
    rules.sort(key=lambda r: (r.category_id == case.category_id, len(r.place.path)), reverse=True)
    return rules[0]


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
):
    """Create a case (采集建档). Returns (case, created). A replay of ``client_id`` returns the
    case the first submission made, unchanged.

    ``actor`` is a staff user (hotline, grid worker, dispatcher, API key account) or None for a
    resident; staff need ``cases.add_case`` and the place in their jurisdiction.
    ``any_phone`` accepts any international number (checked loosely, stored as given; Open311);
    ``description_required=False`` lets a report through without a description (Open311).
    """
    now = now or timezone.now()
    if source not in Case.Source.values:
        raise ServiceError(_("未知的来源"), code="invalid_source")
    staff = actor is not None and getattr(actor, "is_authenticated", False)
    if channel is None:
        channel = f"u{actor.pk}" if staff else "r"
    key = _client_key(channel, client_id)
    if key:
        existing = Case.objects.filter(client_id=key).first()
        if existing is not None:
            return existing, False
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
    elif not reporter_phone and not category.allow_anonymous and not staff:
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
        created_by=actor if staff else None,
        reported_at=now,
    )
    case.reporter_name = reporter_name
    case.reporter_phone = reporter_phone
    case.reporter_email = clean_text(reporter_email, field=_("电子邮箱"), max_length=254)
    try:
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
                data={"source": source},
                attachments=attachments,
                now=now,
            )
            span_due = flow.deadline_due(case, "accept", now)
            if span_due is not None:  # the kernel keeps next_due_at
                start_deadline(case, "accept", span_due, policy="case_step", now=now)
            rule = suggested_rule(case)
            if rule is not None and rule.auto_dispatch:
                case, _entry = apply(
                    case, "accept", None, system=True, actor_name=_("系统"), now=now
                )
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
                from fengqiao.core import notifications

                notifications.notify(
                    covering(case, "dispatcher"),
                    kind="case.report",
                    title=_("新事件：%(number)s %(category)s")
                    % {"number": case.number, "category": category.name},
                    body=description[:200],
                    url=f"/cases/{case.pk}/",
                    target=case,
                )
    except IntegrityError:
        if key:
            existing = Case.objects.filter(client_id=key).first()
            if existing is not None:
                return existing, False
        raise
    return case, True


def _target_data(department=None, team=None):
    return {"department": department.pk if department else None, "team": team.pk if team else None}


# -- staff actions ----------------------------------------------------------------------------
def get_case(user, pk, action="view"):
    return Case.objects.select_related(
        "category__parent",
        "place__parent__parent__parent__parent",
        "department",
        "team",
        "assignee",
        "dispute",
    ).get_scoped(user, action, pk=pk)


def act(case, name, actor, *, note="", data=None, attachments=()):
    """Take one named staff action (``cases.actions.registry``: buttons, forms, API)."""
    from .actions import registry

    return registry.act(
        case, name, actor, {"note": note, "data": data or {}}, attachments=attachments
    )


def accept(case, actor, *, note="", data=None, attachments=()):
    data = dict(data or {})
    urgency = data.get("urgency") or None
    if urgency and urgency not in Urgency.values:
        raise ServiceError(_("紧急程度不正确"), code="invalid_urgency")
    case, _entry = apply(case, "accept", actor, note=note, data={"urgency": urgency})
    return case


def reject(case, actor, *, note="", data=None, attachments=()):
    reason = clean_text((data or {}).get("reason") or note, field=_("不予受理理由"), max_length=300)
    case, _entry = apply(case, "reject", actor, note=reason, data={"reason": reason})
    return case


def merge(case, actor, *, note="", data=None, attachments=()):
    target_id = (data or {}).get("duplicate_of")
    try:
        target_id = int(target_id)
    except (TypeError, ValueError):
        raise ServiceError(
            _("请指定要合并到的事件"), code="required", details={"field": "duplicate_of"}
        ) from None
    if target_id == case.pk:
        raise ServiceError(_("不能合并到自身"), code="invalid_merge")
    if not Case.objects.restrict(actor).filter(pk=target_id).exists():
        raise NotFound(_("要合并到的事件不存在或无权访问"))
    # One transaction with both rows locked (in id order, so A→B and B→A cannot deadlock): the
    # target is checked as it is now, and two merges into each other cannot both succeed.
    with transaction.atomic():
        list(
            Case.objects.select_for_update()
            .filter(pk__in=sorted((case.pk, target_id)))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        with locked(case, actor) as case:
            target = Case.objects.filter(pk=target_id).first()
            if target is None:
                raise NotFound(_("要合并到的事件不存在或无权访问"))
            if not target.is_open or target.duplicate_of_id:
                raise Conflict(_("目标事件已办结或已被合并，不能合并到它"), code="invalid_merge")
            case, _entry = apply(
                case,
                "merge",
                actor,
                note=note or _("与 %(n)s 为同一事件，已合并办理") % {"n": target.number},
                data={"duplicate_of": target.pk, "number": target.number},
            )
            append_timeline(
                target,
                "merged_in",
                actor=actor,
                to_state=target.state,
                note=_("合并了 %(n)s 的反映") % {"n": case.number},
                data={"case": case.pk},
            )
    return case


def dispatch(case, actor, *, note="", data=None, attachments=()):
    """派单 to a department or a team; a case still reported is accepted first."""
    data = dict(data or {})
    department = team = None
    if data.get("department"):
        department = Department.objects.filter(pk=_int(data["department"], "department")).first()
        if department is None:
            raise ServiceError(
                _("承办部门不存在"), code="invalid_unit", details={"field": "department"}
            )
    elif data.get("team"):
        team = Team.objects.filter(pk=_int(data["team"], "team")).first()
        if team is None:
            raise ServiceError(_("承办团队不存在"), code="invalid_unit", details={"field": "team"})
    else:
        rule = suggested_rule(case)
        if rule is None:
            raise ServiceError(
                _("没有适用的派单规则，请选择承办部门或团队"),
                code="unit_required",
                details={"field": "department"},
            )
        department, team = rule.department, rule.team
    with locked(case, actor) as case:
        if case.state == "reported":  # read on the locked row
            case, _entry = apply(case, "accept", actor)
        case, _entry = apply(
            case,
            "dispatch",
            actor,
            note=note,
            data={**_target_data(department, team), "unit": str(department or team)},
        )
    return case


def bulk_dispatch(ids, actor, *, department=None, team=None, note=""):
    """Dispatch several cases: to one unit, or each by its dispatch rule. One result per case;
    a failure of one never undoes the others."""
    results = []
    data = {"department": department, "team": team}
    for pk in ids:
        try:
            case = get_case(actor, _int(pk, "ids"), "change")
            dispatch(case, actor, note=note, data=data)
            results.append({"id": case.pk, "ok": True})
        except ServiceError as exc:
            results.append({"id": pk, "ok": False, "code": exc.code, "message": exc.message})
    return results


def _int(value, field):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ServiceError(_("编号格式不正确"), code="invalid", details={"field": field}) from None


def return_case(case, actor, *, note="", data=None, attachments=()):
    reason = clean_text((data or {}).get("reason") or note, field=_("退单理由"), max_length=300)
    case, _entry = apply(case, "return", actor, note=reason, data={"reason": reason})
    return case


def request_extension(case, actor, *, note="", data=None, attachments=()):
    days = _int((data or {}).get("days"), "days")
    if not 1 <= days <= 10:
        raise ServiceError(
            _("延期天数应为 1–10 个工作日"), code="invalid_days", details={"field": "days"}
        )
    case, _entry = apply(case, "request_extension", actor, note=note, data={"days": days})
    return case


def resolve(case, actor, *, note="", data=None, attachments=()):
    result = clean_text((data or {}).get("result") or note, field=_("处置结果"), required=True)
    case, _entry = apply(
        case, "resolve", actor, note=result, data={"result": result}, attachments=attachments
    )
    return case


def verify(case, actor, *, note="", data=None, attachments=()):
    """核查: passed → verified and (if the actor may) closed; failed → rework."""
    data = dict(data or {})
    passed = str(data.get("passed", "1")).lower() not in ("0", "false", "no", "")
    with locked(case, actor) as case:
        if not passed:
            case, _entry = apply(
                case,
                "rework",
                actor,
                note=clean_text(note, field=_("返工原因"), required=True),
                attachments=attachments,
            )
            return case
        case, _entry = apply(case, "verify", actor, note=note, attachments=attachments)
        if actor.has_perm("cases.close_case"):
            case, _entry = apply(case, "close", actor)
    return case


def return_visit(case, actor, *, note="", data=None, attachments=()):
    satisfaction = _satisfaction((data or {}).get("satisfaction"))
    case, _entry = apply(
        case,
        "return_visit",
        actor,
        note=note,
        data={"satisfaction": satisfaction, "comment": note[:300]},
    )
    return case


def _satisfaction(value):
    try:
        value = int(value)
    except (TypeError, ValueError):
        value = None
    if value not in Case.Satisfaction.values:
        raise ServiceError(
            _("请选择满意度（1–5）"), code="invalid_satisfaction", details={"field": "satisfaction"}
        )
    return value


# -- the dispute link (矛盾纠纷) -------------------------------------------------------------------
PARTY_KINDS = ("person", "organisation")
MAX_PARTIES = 10


def clean_parties(parties):
    """At least two parties, each with a name; kind person/organisation; phone optional but valid.
    Returns them in the shape ``disputes.services.register_dispute`` takes (empty rows dropped)."""
    rows = [
        p
        for p in (parties or [])
        if isinstance(p, dict)
        and any(str(v or "").strip() for v in (p.get("name"), p.get("phone")))
    ]
    if len(rows) < 2:
        raise ServiceError(
            _("请至少填写两方当事人"), code="parties_required", details={"field": "parties"}
        )
    if len(rows) > MAX_PARTIES:
        raise ServiceError(
            _("当事人不能超过 %(n)d 方") % {"n": MAX_PARTIES},
            code="invalid_parties",
            details={"field": "parties"},
        )
    clean, errors = [], []
    for index, raw in enumerate(rows, start=1):
        label = _("第%(n)d方当事人") % {"n": index}
        name = clean_text(raw.get("name"), field=_("姓名/名称"), max_length=100)
        kind = str(raw.get("kind") or "person").strip()
        phone = pii.normalise(clean_text(raw.get("phone"), field=_("电话"), max_length=30), "phone")
        if not name:
            errors.append(_("%(p)s：请填写姓名/名称") % {"p": label})
        if kind not in PARTY_KINDS:
            errors.append(_("%(p)s：类别不正确") % {"p": label})
        if phone and not pii.valid_phone(phone):
            errors.append(_("%(p)s：手机号格式不正确") % {"p": label})
        clean.append({"name": name, "kind": kind, "phone": phone})
    if errors:
        raise ServiceError(
            "；".join(errors),
            code="invalid_parties",
            details={"field": "parties", "errors": errors},
        )
    return clean


def dispute_types():
    from fengqiao.disputes.models import DisputeType

    return list(DisputeType.objects.filter(active=True).order_by("order", "code"))


def _dispute_type(value):
    from fengqiao.disputes.models import DisputeType

    code = str(value or "").strip()
    found = DisputeType.objects.filter(code=code, active=True).first() if code else None
    if found is None:
        raise ServiceError(_("请选择纠纷类型"), code="invalid_type", details={"field": "type"})
    return found


def spawn_dispute(case, actor, *, parties, type, note=""):  # noqa: A002 — the disputes name
    """转矛盾纠纷调解: register a dispute from a 矛盾纠纷 case (accepted … in progress) and link
    both ways (``case.dispute``, ``dispute.source_case_id``), in one transaction. Returns
    (case, dispute). Twice → 409; another category → 400; out of scope → 404."""
    from fengqiao.disputes import services as disputes

    note = clean_text(note, field=_("说明"))
    if not Case.objects.restrict(actor, "change").filter(pk=case.pk).exists():
        raise NotFound(_("记录不存在或无权访问"))
    with transaction.atomic():
        locked = (
            Case.objects.select_for_update()
            .select_related("category", "place")
            .filter(pk=case.pk)
            .first()
        )
        if locked is None:
            raise NotFound(_("记录不存在或无权访问"))
        if locked.category.code != DISPUTE_CATEGORY:
            raise ServiceError(
                _("只有“矛盾纠纷”类事件可以转矛盾纠纷调解"), code="not_a_dispute_case"
            )
        if locked.dispute_id is not None:
            raise Conflict(_("该事件已转矛盾纠纷调解，不能重复转入"), code="already_spawned")
        if locked.state not in DISPUTE_OPEN:
            raise Conflict(
                _("当前状态“%(state)s”下不能转矛盾纠纷调解")
                % {"state": locked.get_state_display()},
                code="invalid_state",
            )
        move = flow.transition("spawn_dispute")
        move.guard(locked, Move(move, actor, {}, note, timezone.now()))
        dispute_type = _dispute_type(type)
        clean = clean_parties(parties)
        dispute = disputes.register_from_case(
            locked,
            actor,
            parties=clean,
            type=dispute_type,
            title=f"{locked.number} {locked.description[:60]}",
        )
        text = _("转矛盾纠纷调解：%(number)s（%(type)s）") % {
            "number": dispute.number,
            "type": dispute_type.name,
        }
        case, _entry = apply(
            locked,
            "spawn_dispute",
            actor,
            note=f"{text}\n{note}" if note else text,
            data={
                "dispute": dispute.pk,
                "dispute_id": dispute.pk,
                "dispute_number": dispute.number,
            },
        )
    return case, dispute


def spawn_action(case, actor, *, note="", data=None, attachments=()):
    data = dict(data or {})
    case, _dispute = spawn_dispute(
        case, actor, parties=data.get("parties") or [], type=data.get("type"), note=note
    )
    return case


# What the case records when its dispute reaches a state (the dispute's state → result text).
DISPUTE_OUTCOMES = {
    "agreed": gettext_lazy("矛盾纠纷已调解：达成协议（编号%(number)s）"),
    "performed": gettext_lazy("矛盾纠纷已调解：协议已履行（编号%(number)s）"),
    "closed": gettext_lazy("矛盾纠纷已办结（编号%(number)s）"),
    "withdrawn": gettext_lazy("矛盾纠纷已办结：当事人撤回（编号%(number)s）"),
    "referred": gettext_lazy("矛盾纠纷已办结：已引导至诉讼、仲裁等途径（编号%(number)s）"),
}


def follow_dispute(dispute, transition, entry, actor, data, now):
    """The case follows its dispute (``core.workflow.on_transition("disputes.dispute", …)``):
    an outcome goes on the case's timeline and an open case is resolved with it, by the kernel,
    inside the dispute's transaction; verification, closure and the return visit follow as for
    any case."""
    if not dispute.source_case_id or entry.from_state == entry.to_state:
        return
    template = DISPUTE_OUTCOMES.get(entry.to_state)
    if template is None:
        return
    # Stored text (the case's result, the reporter's tracking page): in the site language, not
    # in the language of whoever's page moved the dispute.
    with translation.override(settings.LANGUAGE_CODE):
        text = str(template) % {"number": dispute.number}
        actor_name = _("系统（矛盾纠纷联动）")
    link = {
        "dispute_id": dispute.pk,
        "dispute_number": dispute.number,
        "dispute_state": entry.to_state,
    }
    for case in Case.objects.filter(dispute_id=dispute.pk).order_by("pk"):
        if case.state in DISPUTE_OPEN:
            apply(
                case,
                "dispute_settled",
                None,
                system=True,
                actor_name=actor_name,
                note=text,
                data={"result": text, **link},
                now=now,
            )
        else:
            append_timeline(
                case,
                "dispute_outcome",
                actor_name=actor_name,
                to_state=case.state,
                note=text,
                data=link,
                now=now,
            )


def claim(case, actor):
    """签收. Two people racing: the row lock lets one win; the other gets a clear 409."""
    case, _entry = apply(case, "claim", actor)
    return case


def allowed_actions(case, user):
    """Buttons for this user now: the registry's actions whose transition the state, the
    permissions and a dry run of the guard allow."""
    from .actions import registry

    return registry.available(case, user)


# -- the reporter (tracking code) --------------------------------------------------------------
def by_tracking_code(code):
    code = str(code or "").strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{6,12}", code):
        raise NotFound(_("查询码不正确"))
    case = (
        Case.objects.select_related("category", "place", "duplicate_of")
        .filter(tracking_code=code)
        .first()
    )
    if case is None:
        raise NotFound(_("查询码不正确"))
    return case


def resident_add_info(case, *, note, attachments=()):
    note = clean_text(note, field=_("补充内容"), required=True)
    with locked(case) as case:
        if not case.is_open:
            raise Conflict(
                _("事件已办结，不能再补充；如不满意请在评价中说明"), code="invalid_state"
            )
        case, _entry = apply(
            case,
            "add_info",
            None,
            system=True,
            actor_name=_("反映人"),
            note=note,
            attachments=attachments,
        )
    return case


def resident_confirm(case, *, solved, note=""):
    """The reporter checks the result: solved → verified and closed; not solved → rework."""
    note = clean_text(note, field=_("说明"), max_length=300)
    with locked(case) as case:
        if solved:
            case, _entry = apply(
                case, "confirm", None, system=True, actor_name=_("反映人"), note=note
            )
            case, _entry = apply(case, "close", None, system=True, actor_name=_("系统"))
        else:
            if not note:
                raise ServiceError(
                    _("请说明哪里没有解决"), code="required", details={"field": "note"}
                )
            case, _entry = apply(
                case, "rework", None, system=True, actor_name=_("反映人"), note=note
            )
    return case


def resident_rate(case, *, satisfaction, comment=""):
    """One rating per closure (a reopen clears it for the next round)."""
    satisfaction = _satisfaction(satisfaction)
    comment = clean_text(comment, field=_("评价"), max_length=300)
    with locked(case) as case:  # two ratings at once: the second sees the first
        if case.state == "closed" and case.satisfaction is not None:
            raise Conflict(_("您已评价过了，感谢您的反馈"), code="already_rated")
        case, _entry = apply(
            case,
            "rate",
            None,
            system=True,
            actor_name=_("反映人"),
            note=comment,
            data={"satisfaction": satisfaction, "comment": comment},
        )
    return case


def queue(user, *, states=None, mine=False):
    """Open cases the user may see, nearest deadline first (the worker/department queue)."""
    rows = Case.objects.restrict(user).filter(state__in=states or Case.OPEN_STATES)
    if mine:
        mine_q = Q(assignee_id=user.pk)
        if user.department_id:
            mine_q |= Q(department_id=user.department_id)
        rows = rows.filter(mine_q)
    return rows.select_related("category", "place", "department").order_by("next_due_at", "id")


# -- cases made by other apps ------------------------------------------------------------------
def create_consultation(*, place, description, source=Case.Source.ASSISTANT, contact=""):
    """A 咨询 case for the officers of ``place`` (the assistant's 转人工). Returns the case."""
    contact = pii.clear_value(contact)
    phone = pii.normalise(contact, "phone") if contact and pii.valid_phone(contact) else ""
    case, _created = report(
        place=place,
        category="consultation",
        description=description,
        source=source,
        reporter_phone=phone,
        anonymous=not phone,
    )
    return case


def create_case_from_alert(*, place, description, category, actor):
    """One click on an assistant alert: a case of category code ``category`` registered by
    ``actor`` (staff, in whose jurisdiction the group's grid lies); it enters the dispatcher
    queue. Returns the case; an unknown category code is refused (ServiceError)."""
    case, _created = report(
        place=place,
        category=category,
        description=description,
        source=Case.Source.ASSISTANT,
        actor=actor,
        anonymous=True,
    )
    return case
