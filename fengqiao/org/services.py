"""Writers of places and staff. Role and jurisdiction changes are audited."""

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import audit, pii
from fengqiao.core.errors import Conflict, Forbidden, NotFound, ServiceError

from .models import Jurisdiction, Place, RoleRequest, Station, User
from .roles import NONE_ROLES_GUARD, ROLES
from .signals import approved_grant


def create_place(*, code, name, level, parent=None, boundary=None, centre=None):
    if parent is not None and level != parent.level + 1:
        raise ServiceError(_("层级必须比上级低一级"), code="invalid_level")
    if parent is None and level != Place.Level.CITY:
        raise ServiceError(_("只有市级区划可以没有上级"), code="invalid_level")
    lat, lng = centre if centre else (None, None)
    return Place.objects.create(
        code=code,
        name=name,
        level=level,
        parent=parent,
        boundary=boundary,
        centre_lat=lat,
        centre_lng=lng,
    )


def _check_roles(codes):
    unknown = sorted(set(codes) - set(ROLES))
    if unknown:
        raise ServiceError(
            _("未知角色：%(roles)s") % {"roles": ", ".join(unknown)}, code="unknown_role"
        )


@transaction.atomic
def create_staff(
    *,
    username,
    password,
    display_name="",
    roles=(),
    places=(),
    stations=(),
    department=None,
    station=None,
    phone="",
    actor=None,
    skip_password_rules=False,
    password_hash=None,
):
    """Create a staff account with roles and jurisdictions."""
    username = (username or "").strip()
    if not username:
        raise ServiceError(_("用户名必填"), code="required")
    if User.objects.filter(username=username).exists():
        raise ServiceError(_("用户名已存在：%(u)s") % {"u": username}, code="duplicate")
    _check_roles(roles)
    if phone and not pii.valid_phone(phone):
        raise ServiceError(_("手机号格式不正确"), code="invalid_phone")
    user = User(
        username=username, display_name=display_name, department=department, station=station
    )
    user.phone = pii.normalise(phone, "phone")
    if password_hash:  # demo/bulk seeding: one hash computed once
        user.password = password_hash
    else:
        if not skip_password_rules:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise ServiceError(" ".join(exc.messages), code="weak_password") from exc
        user.set_password(password)
    user.is_staff = any(ROLES[c].admin_site for c in roles)
    user.save()
    audit.record("staff.create", user=actor, target=user, data={"roles": sorted(roles)})
    set_roles(user, roles, actor=actor)
    for place in places:
        Jurisdiction.objects.create(user=user, place=place)
    for unit in stations:
        Jurisdiction.objects.create(user=user, station=unit)
    if places or stations:
        audit.record(
            "staff.jurisdiction",
            user=actor,
            target=user,
            data={"places": [p.code for p in places], "stations": [s.code for s in stations]},
        )
    return user


def set_roles(user, roles, *, actor=None):
    """Replace the user's roles (the m2m signal writes the audit rows)."""
    _check_roles(roles)
    groups = [Group.objects.get_or_create(name=code)[0] for code in roles]
    user.groups.set(groups)
    user.is_staff = any(ROLES[c].admin_site for c in roles)
    user.save(update_fields=["is_staff"])
    user.__dict__.pop("role_codes", None)
    return user


def staff_for_place(place, roles):
    """Active staff with one of ``roles`` whose jurisdiction covers ``place``."""
    ancestors = place.ancestor_paths()
    covering = Q(jurisdictions__place__path__in=ancestors) | Q(
        jurisdictions__station__places__path__in=ancestors
    )
    ids = User.objects.filter(covering, is_active=True, groups__name__in=roles).values("id")
    return list(User.objects.filter(id__in=ids).order_by("id"))


def stations_for_place(place):
    return Station.objects.filter(places__path__in=place.ancestor_paths()).distinct()


# --- 三员分立: business roles and jurisdictions need a second person's approval ------------------


def _codes(rows):
    return sorted(r.code for r in rows)


@transaction.atomic
def propose_role_request(*, user, roles=(), places=(), stations=(), reason="", actor):
    """The security admin proposes giving ``user`` business roles and jurisdictions."""
    if actor is None or not actor.has_perm("org.add_rolerequest"):
        raise Forbidden(_("无权提交角色授权申请"))
    if actor.pk == user.pk:
        raise Forbidden(_("不能为自己申请角色或辖区"))
    roles = sorted(set(roles))
    _check_roles(roles)
    if set(roles) & NONE_ROLES_GUARD:
        raise Forbidden(
            _("管理员角色不能在网页上授予（三员分立），请由运维人员在服务器上用命令授予")
        )
    places, stations = list(places), list(stations)
    if not roles and not places and not stations:
        raise ServiceError(_("请至少选择一个角色或辖区"), code="required")
    if not (reason or "").strip():
        raise ServiceError(_("请填写申请理由"), code="required")
    request = RoleRequest.objects.create(
        user=user, roles=roles, reason=reason.strip()[:200], proposed_by=actor
    )
    request.places.set(places)
    request.stations.set(stations)
    audit.record(
        "staff.role_request",
        user=actor,
        target=user,
        data={
            "request": request.pk,
            "roles": roles,
            "places": _codes(places),
            "stations": _codes(stations),
            "before": sorted(user.role_codes),
        },
    )
    return request


def role_requests_for(actor):
    """Pending and decided requests an approver may see: leaders those inside their jurisdiction."""
    if not actor.has_perm("org.approve_rolerequest") and not actor.has_perm("org.view_rolerequest"):
        return RoleRequest.objects.none()
    rows = RoleRequest.objects.select_related("user", "proposed_by", "decided_by")
    if actor.has_place_scope():
        allowed = [r.pk for r in rows.prefetch_related("places", "stations") if _covers(actor, r)]
        rows = rows.filter(pk__in=allowed)
    return rows


def _covers(actor, request):
    places = list(request.places.all())
    for unit in request.stations.all():
        places.extend(unit.places.all())
    return bool(places) and all(actor.covers(p) for p in places)


@transaction.atomic
def decide_role_request(request, *, actor, approve, note=""):
    """A second person approves (roles and jurisdictions are given) or rejects the request."""
    request = RoleRequest.objects.select_for_update().get(pk=request.pk)
    if not actor.has_perm("org.approve_rolerequest"):
        raise Forbidden(_("无权审批角色授权申请"))
    if actor.has_place_scope() and not _covers(actor, request):
        raise NotFound(_("申请不存在"))
    if request.state != RoleRequest.State.PENDING:
        raise Conflict(_("该申请已处理"))
    if actor.pk in (request.proposed_by_id, request.user_id):
        raise Forbidden(_("须由申请人以外的第二人审批，且不能审批给自己的授权"))
    user = request.user
    before_roles = sorted(user.role_codes)
    if approve:
        with approved_grant(request):
            groups = [Group.objects.get_or_create(name=code)[0] for code in request.roles]
            user.groups.add(*groups)
            for place in request.places.all():
                if not Jurisdiction.objects.filter(user=user, place=place).exists():
                    Jurisdiction.objects.create(user=user, place=place)
            for unit in request.stations.all():
                if not Jurisdiction.objects.filter(user=user, station=unit).exists():
                    Jurisdiction.objects.create(user=user, station=unit)
        user.__dict__.pop("role_codes", None)
    request.state = RoleRequest.State.APPROVED if approve else RoleRequest.State.REJECTED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.save(update_fields=["state", "decided_by", "decided_at"])
    audit.record(
        "staff.role_request_decided",
        user=actor,
        target=user,
        data={
            "request": request.pk,
            "decision": request.state,
            "note": (note or "")[:200],
            "before": before_roles,
            "after": sorted(user.role_codes),
        },
    )
    return request
