"""三员分立 enforced where every change lands, and each change audited with actor, before, after.

Whatever path a change takes inside a web request (the admin, a page, the API), the database
signals below see it:

* nobody changes their own roles or jurisdictions;
* no admin role (system, security, audit admin) is given from the web at all: the operator gives
  them with ``fengqiao createuser`` on the server;
* business roles and jurisdictions are given from the web only by an approved ``RoleRequest``
  (``services.approve_role_request``); taking them away is immediate;
* roles, jurisdictions, passwords, account flags, TOTP devices and API keys: one audit row per
  change, with the actor (the signed-in user of the request), before and after.

Outside a web request (CLI, demo seeding, migrations) the operator acts; changes are still audited.
"""

import contextlib
import contextvars

from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.utils.translation import gettext as _

from fengqiao.core import audit
from fengqiao.core.context import current
from fengqiao.core.errors import Forbidden

from .models import Jurisdiction, User
from .roles import NONE_ROLES_GUARD

_approved_grant = contextvars.ContextVar("fengqiao_approved_grant", default=None)


@contextlib.contextmanager
def approved_grant(role_request):
    """Inside this block the roles and jurisdictions of ``role_request`` (approved) may be given."""
    token = _approved_grant.set(role_request.user_id)
    try:
        yield
    finally:
        _approved_grant.reset(token)


def _web_actor():
    return current().actor()


def _check_grant(target_id, added_roles=(), jurisdiction=False):
    """Refuse a grant made from a web request unless it is the approved one."""
    actor = _web_actor()
    if actor is None:
        return
    if actor.pk == target_id:
        audit.record(
            "auth.grant_refused",
            user=actor,
            target=("org.user", target_id, ""),
            result="denied",
            data={"reason": "self", "roles": sorted(added_roles)},
        )
        raise Forbidden(_("不能修改自己的角色或辖区"))
    admin_roles = sorted(set(added_roles) & NONE_ROLES_GUARD)
    if admin_roles:
        audit.record(
            "auth.grant_refused",
            user=actor,
            target=("org.user", target_id, ""),
            result="denied",
            data={"reason": "admin_role", "roles": admin_roles},
        )
        raise Forbidden(
            _("管理员角色不能在网页上授予（三员分立），请由运维人员在服务器上用命令授予")
        )
    if (added_roles or jurisdiction) and _approved_grant.get() != target_id:
        audit.record(
            "auth.grant_refused",
            user=actor,
            target=("org.user", target_id, ""),
            result="denied",
            data={"reason": "needs_approval", "roles": sorted(added_roles)},
        )
        raise Forbidden(_("授予业务角色或辖区须提交授权申请，经第二人审批后生效"))


def _role_names(user_id):
    return sorted(Group.objects.filter(user__id=user_id).values_list("name", flat=True))


def _jurisdiction_names(user_id):
    rows = Jurisdiction.objects.filter(user_id=user_id).select_related("place", "station")
    return sorted(
        f"place:{j.place.code}" if j.place_id else f"station:{j.station.code}" for j in rows
    )


# --- roles -------------------------------------------------------------------------------------


def _groups_changing(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("pre_add", "pre_remove", "pre_clear"):
        return
    if reverse:  # group.user_set.add(users…)
        user_ids = sorted(
            pk_set or User.objects.filter(groups=instance).values_list("pk", flat=True)
        )
        added = [instance.name] if action == "pre_add" else []
    else:
        user_ids = [instance.pk]
        added = (
            list(Group.objects.filter(pk__in=pk_set).values_list("name", flat=True))
            if action == "pre_add"
            else []
        )
    for user_id in user_ids:
        if action == "pre_add":
            _check_grant(user_id, added)
        else:
            actor = _web_actor()
            if actor is not None and actor.pk == user_id:
                raise Forbidden(_("不能修改自己的角色或辖区"))
    if not reverse:
        instance._fq_roles_before = _role_names(instance.pk)


def _groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:
        user_ids = sorted(pk_set or [])
        names = [instance.name]
    else:
        user_ids = [instance.pk]
        names = sorted(Group.objects.filter(pk__in=pk_set or []).values_list("name", flat=True))
    for user_id in user_ids:
        after = _role_names(user_id)
        if not reverse and hasattr(instance, "_fq_roles_before"):
            before = instance._fq_roles_before
            del instance._fq_roles_before
        elif action == "post_add":
            before = sorted(set(after) - set(names))
        else:
            before = sorted(set(after) | set(names))
        if before == after:
            continue
        audit.record(
            "auth.roles_changed",
            user=_web_actor(),
            target=instance if not reverse else ("org.user", user_id, ""),
            data={
                "change": action.removeprefix("post_"),
                "roles": sorted(set(before) ^ set(after)),
                "before": before,
                "after": after,
            },
        )
        if not reverse:
            instance.__dict__.pop("role_codes", None)


# --- jurisdictions -----------------------------------------------------------------------------


def _jurisdiction_saving(sender, instance, raw=False, **kwargs):
    if raw:
        return
    _check_grant(instance.user_id, jurisdiction=True)
    instance._fq_before = _jurisdiction_names(instance.user_id)


def _jurisdiction_saved(sender, instance, raw=False, created=False, **kwargs):
    if raw:
        return
    before = getattr(instance, "_fq_before", None)
    after = _jurisdiction_names(instance.user_id)
    audit.record(
        "staff.jurisdiction",
        user=_web_actor(),
        target=("org.user", instance.user_id, str(instance.user)),
        data={"change": "add" if created else "change", "before": before, "after": after},
    )


def _jurisdiction_deleting(sender, instance, **kwargs):
    actor = _web_actor()
    if actor is not None and actor.pk == instance.user_id:
        raise Forbidden(_("不能修改自己的角色或辖区"))
    instance._fq_before = _jurisdiction_names(instance.user_id)


def _jurisdiction_deleted(sender, instance, **kwargs):
    if not User.objects.filter(pk=instance.user_id).exists():
        return  # the account itself is being deleted
    audit.record(
        "staff.jurisdiction",
        user=_web_actor(),
        target=("org.user", instance.user_id, ""),
        data={
            "change": "remove",
            "before": getattr(instance, "_fq_before", None),
            "after": _jurisdiction_names(instance.user_id),
        },
    )


# --- account: password and flags ----------------------------------------------------------------

_WATCHED = ("is_active", "is_staff", "is_superuser", "department_id", "station_id")


def _user_saving(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    old = User.objects.filter(pk=instance.pk).values("password", "last_login", *_WATCHED).first()
    if old is None:
        return
    changes = {}
    for field in _WATCHED:
        if old[field] != getattr(instance, field):
            changes[field] = {"before": old[field], "after": getattr(instance, field)}
    actor = _web_actor()
    if "is_superuser" in changes and actor is not None:
        raise Forbidden(_("超级用户不能在网页上授予"))
    instance._fq_changes = changes
    instance._fq_password_changed = old["password"] != instance.password


def _user_saved(sender, instance, raw=False, created=False, **kwargs):
    if raw or created:
        return
    actor = _web_actor()
    if getattr(instance, "_fq_password_changed", False):
        # Never the hash itself: only that it changed, who changed it and the hash scheme.
        audit.record(
            "auth.password_changed",
            user=actor,
            target=instance,
            data={
                "self": actor is not None and actor.pk == instance.pk,
                "before": "set",
                "after": "unusable" if not instance.has_usable_password() else "set",
            },
        )
    changes = getattr(instance, "_fq_changes", None)
    if changes:
        audit.record("staff.changed", user=actor, target=instance, data=changes)
    instance._fq_changes = None
    instance._fq_password_changed = False


# --- TOTP devices and API keys ------------------------------------------------------------------


def _device_saving(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        instance._fq_before = None
        return
    instance._fq_before = sender.objects.filter(pk=instance.pk).values("name", "confirmed").first()


def _device_saved(sender, instance, raw=False, created=False, **kwargs):
    if raw:
        return
    before = getattr(instance, "_fq_before", None)
    after = {"name": instance.name, "confirmed": instance.confirmed}
    if before == after:
        return
    audit.record(
        "auth.totp_device",
        user=_web_actor(),
        target=("org.user", instance.user_id, ""),
        data={"change": "add" if created else "change", "before": before, "after": after},
    )


def _device_deleted(sender, instance, **kwargs):
    audit.record(
        "auth.totp_device",
        user=_web_actor(),
        target=("org.user", instance.user_id, ""),
        data={
            "change": "remove",
            "before": {"name": instance.name, "confirmed": instance.confirmed},
            "after": None,
        },
    )


def connect():
    from django_otp.plugins.otp_totp.models import TOTPDevice

    through = User.groups.through
    m2m_changed.connect(_groups_changing, sender=through, dispatch_uid="fq.org.groups_pre")
    m2m_changed.connect(_groups_changed, sender=through, dispatch_uid="fq.org.groups_post")
    pre_save.connect(_jurisdiction_saving, sender=Jurisdiction, dispatch_uid="fq.org.j_pre")
    post_save.connect(_jurisdiction_saved, sender=Jurisdiction, dispatch_uid="fq.org.j_post")
    pre_delete.connect(_jurisdiction_deleting, sender=Jurisdiction, dispatch_uid="fq.org.j_pdel")
    post_delete.connect(_jurisdiction_deleted, sender=Jurisdiction, dispatch_uid="fq.org.j_del")
    pre_save.connect(_user_saving, sender=User, dispatch_uid="fq.org.user_pre")
    post_save.connect(_user_saved, sender=User, dispatch_uid="fq.org.user_post")
    pre_save.connect(_device_saving, sender=TOTPDevice, dispatch_uid="fq.org.totp_pre")
    post_save.connect(_device_saved, sender=TOTPDevice, dispatch_uid="fq.org.totp_post")
    post_delete.connect(_device_deleted, sender=TOTPDevice, dispatch_uid="fq.org.totp_del")
