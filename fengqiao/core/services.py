"""Core services: revealing personal data, integration keys."""

import hashlib
import secrets

from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit, pii
from .errors import Forbidden, NotFound, ServiceError
from .models import ApiKey

REVEAL_PERMISSION = "core.reveal_personal_data"


def reveal(user, record, field_name, reason):
    """The clear value of one personal-data field, for a permitted user with a reason. Audited."""
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ServiceError(_("请填写查看原因（至少4个字）"), code="reason_required")
    model = type(record)
    if not model.objects.restrict(user).filter(pk=record.pk).exists():
        raise NotFound(_("记录不存在或无权访问"))
    value = getattr(record, field_name, None)
    if not isinstance(value, pii.Sensitive):
        raise ServiceError(_("该字段不是个人敏感信息"), code="not_personal_data")
    if not user.has_perm(REVEAL_PERMISSION):
        audit.record(
            "pii.reveal", user=user, target=record, result="denied", data={"field": field_name}
        )
        raise Forbidden(_("您没有查看完整个人信息的权限"))
    audit.record(
        "pii.reveal", user=user, target=record, data={"field": field_name, "reason": reason}
    )
    return value.clear


KEY_PREFIX = "fq_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(name, user, *, actor=None, role="", place=None):
    """Create an integration key; the clear key is returned once and never stored.

    ``role`` (a business role's code) and ``place`` (an ``org.Place``) give the key its own
    scope: it acts as ``user`` holding exactly that role in that place's subtree. A place-scoped
    role needs a place; the three admin roles cannot be given to a key."""
    from fengqiao.org import roles

    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ServiceError(_("密钥名称必填，且不超过100个字符"), code="invalid_name")
    role = (role or "").strip()
    if role and role not in roles.BUSINESS_ROLES:
        raise ServiceError(
            _("接口密钥的角色须是业务角色之一：%(roles)s")
            % {"roles": ", ".join(roles.BUSINESS_ROLES)},
            code="invalid_role",
        )
    if role and roles.ROLES[role].scope == roles.PLACE and place is None:
        raise ServiceError(
            _("角色“%(role)s”按辖区授权，请用 --place 指定辖区") % {"role": role},
            code="place_required",
        )
    if ApiKey.objects.filter(name=name).exists():
        raise ServiceError(_("已有同名密钥：%(name)s") % {"name": name}, code="duplicate")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        name=name, prefix=key[:10], key_hash=hash_key(key), user=user, role=role, place=place
    )
    audit.record(
        "apikey.create",
        user=actor,
        target=api_key,
        data={"role": role, "place": place.code if place else ""},
    )
    return api_key, key


def authenticate_api_key(key):
    """The key's row if the key is valid and not revoked, else None.

    ``api_key.user`` is the principal the request runs as: with a key role, the account holding
    exactly that role in the key's place (see :func:`key_principal`)."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    api_key = (
        ApiKey.objects.select_related("user", "place")
        .filter(key_hash=hash_key(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if api_key is not None:
        now = timezone.now()
        if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        key_principal(api_key)
    return api_key


def _role_permissions(role):
    from fengqiao.org import roles

    global _ROLE_PERMS
    if _ROLE_PERMS is None:
        _ROLE_PERMS = {code: frozenset(p) for code, p in roles.all_role_permissions().items()}
    return _ROLE_PERMS.get(role, frozenset())


_ROLE_PERMS = None


def key_principal(api_key):
    """Make ``api_key.user`` act as the key says: with a key role, exactly that role's permissions
    (from the code, as ``sync_roles`` gives them to the role's group) and the key's place as its
    only jurisdiction, so ``has_perm``, ``restrict``/``scoped`` and ``covers`` treat it like a
    staff member with that role there. No query: the permissions come from the code."""
    user = api_key.user
    user.api_key = api_key
    if api_key.role:
        perms = set(_role_permissions(api_key.role))
        user.role_codes = frozenset({api_key.role})
        user._scope_paths = (api_key.place.path,) if api_key.place_id else ()
        user._perm_cache = perms  # ModelBackend reads these instead of querying the groups
        user._user_perm_cache = set()
        user._group_perm_cache = perms
        user.has_confirmed_device = False
        user.is_superuser = False
    return user


def revoke_api_key(name, *, actor=None):
    api_key = ApiKey.objects.filter(name=name, revoked_at__isnull=True).first()
    if api_key is None:
        raise NotFound(_("没有这个有效密钥：%(name)s") % {"name": name})
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])  # audited (before/after) by core.signals
    return api_key
