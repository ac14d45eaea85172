"""Writers of places and staff. Role and jurisdiction changes are audited."""

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from fengqiao.core import audit, pii
from fengqiao.core.errors import ServiceError

from .models import Jurisdiction, Place, Station, User
from .roles import ROLES


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
