"""Staff roles: what each may do (Django permissions) and how its jurisdiction is decided.

A role is a Django ``Group`` named by its code. Each domain app adds the permissions it defines in
its own ``permissions.py`` (``ROLE_PERMISSIONS = {"dispatcher": ["cases.dispatch_case"], …}``);
``sync_roles`` (run after every migrate) makes the groups match the code.

Scope kinds:
* ``place``    — sees records in the subtree of the user's jurisdictions (places and stations);
* ``assigned`` — sees only records assigned to them or their department (mediator, lawyer, …);
* ``none``     — sees no business records (the three admin roles: 三员分立).
"""

import importlib
import logging
from dataclasses import dataclass

from django.apps import apps as django_apps
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("fengqiao.org")

PLACE, ASSIGNED, NONE = "place", "assigned", "none"


@dataclass(frozen=True)
class Role:
    code: str
    label: str
    scope: str
    second_factor: bool = False
    admin_site: bool = False


ROLES = {
    r.code: r
    for r in (
        Role("grid_worker", _("网格员"), PLACE),
        Role("community_officer", _("社区民警"), PLACE),
        Role("auxiliary_officer", _("辅警"), PLACE),
        Role("police_assistant", _("警务助理"), PLACE),
        Role("mediator", _("调解员（含乡贤）"), ASSIGNED),
        Role("lawyer", _("律师"), ASSIGNED),
        Role("volunteer", _("志愿者"), ASSIGNED),
        Role("department_staff", _("职能部门人员"), ASSIGNED),
        Role("dispatcher", _("综治中心调度员"), PLACE),
        Role("leader", _("领导"), PLACE, second_factor=True),
        Role("system_admin", _("系统管理员"), NONE, second_factor=True, admin_site=True),
        Role("security_admin", _("安全管理员"), NONE, second_factor=True, admin_site=True),
        Role("audit_admin", _("安全审计员"), NONE, second_factor=True, admin_site=True),
    )
}
BUSINESS_ROLES = [code for code, role in ROLES.items() if role.scope != NONE]

_VIEW_ORG = ["org.view_place", "org.view_station", "org.view_department", "org.view_team"]
_REVEAL = ["core.reveal_personal_data"]

# The foundation's own permissions; domain apps add theirs in <app>/permissions.py.
ROLE_PERMISSIONS = {
    "grid_worker": _VIEW_ORG + _REVEAL,
    "community_officer": _VIEW_ORG + _REVEAL,
    "auxiliary_officer": _VIEW_ORG,
    "police_assistant": _VIEW_ORG + _REVEAL,
    "mediator": ["org.view_place"],
    "lawyer": ["org.view_place"],
    "volunteer": ["org.view_place"],
    "department_staff": _VIEW_ORG,
    "dispatcher": _VIEW_ORG + _REVEAL,
    "leader": _VIEW_ORG + _REVEAL + ["org.approve_rolerequest", "org.view_rolerequest"],
    # 三员分立: each admin does one job and none can do another's.
    "system_admin": [
        f"{app}.{verb}_{model}"
        for app, model in (
            ("org", "place"),
            ("org", "station"),
            ("org", "department"),
            ("org", "team"),
            ("org", "teammember"),
        )
        for verb in ("add", "change", "view", "delete")
    ]
    + ["core.view_periodicjob", "django_tasks_database.view_dbtaskresult"]
    + [f"core.{verb}_notificationtemplate" for verb in ("add", "change", "view")],
    "security_admin": [
        "org.add_user",
        "org.change_user",
        "org.view_user",
        "org.add_jurisdiction",
        "org.change_jurisdiction",
        "org.view_jurisdiction",
        "org.delete_jurisdiction",
        "auth.view_group",
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "core.view_apikey",
        "core.change_apikey",
        # 三员分立: proposes business roles and jurisdictions; a second person approves.
        "org.add_rolerequest",
        "org.view_rolerequest",
        "org.approve_rolerequest",
    ],
    "audit_admin": ["core.view_auditevent", "axes.view_accessfailurelog", "axes.view_accesslog"],
}


def all_role_permissions() -> dict[str, set[str]]:
    """The foundation's map merged with every installed app's ``permissions.ROLE_PERMISSIONS``."""
    merged = {code: set(perms) for code, perms in ROLE_PERMISSIONS.items()}
    for config in django_apps.get_app_configs():
        if not config.name.startswith("fengqiao.") or config.name == "fengqiao.org":
            continue
        try:
            module = importlib.import_module(f"{config.name}.permissions")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.permissions":
                raise  # the module exists but is broken: fail loudly
            continue  # an app without role permissions (core, web)
        for code, perms in getattr(module, "ROLE_PERMISSIONS", {}).items():
            if code in NONE_ROLES_GUARD:
                _check_admin_permissions(config, code, perms)
            merged.setdefault(code, set()).update(perms)
    return merged


NONE_ROLES_GUARD = {code for code, role in ROLES.items() if role.scope == NONE}


def _check_admin_permissions(config, code, perms):
    """Admin roles (三员分立) may only keep reference data: CRUD on models that are not
    jurisdiction-scoped business records."""
    from fengqiao.core.scoping import ScopedModel

    models = {m._meta.model_name: m for m in config.get_models()}
    for perm in perms:
        app_label, _dot, codename = perm.partition(".")
        verb, _sep, model_name = codename.partition("_")
        model = models.get(model_name)
        if (
            app_label != config.label
            or verb not in ("add", "change", "view", "delete")
            or model is None
            or issubclass(model, ScopedModel)
        ):
            raise ValueError(f"{config.name} may not give {perm} to the admin role {code}")


def sync_roles(sender=None, **kwargs):
    """Create one group per role with exactly the permissions the code gives it."""
    # post_migrate is sent once per app; wait for the last one so every app's permissions exist.
    if sender is not None and sender is not list(django_apps.get_app_configs())[-1]:
        return
    from django.contrib.auth.models import Group, Permission

    perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    for code, wanted in all_role_permissions().items():
        group, _created = Group.objects.get_or_create(name=code)
        missing = sorted(w for w in wanted if w not in perms)
        if missing:
            logger.warning("role %s: unknown permissions %s", code, ", ".join(missing))
        group.permissions.set([perms[w] for w in wanted if w in perms])
    for name, wanted in group_permissions().items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(*[perms[w] for w in wanted if w in perms])


def group_permissions() -> dict[str, set[str]]:
    """Permissions added to groups that are not roles (``permissions.GROUP_PERMISSIONS`` of each
    app): added, never set, so what an administrator gave such a group stays."""
    merged = {}
    for config in django_apps.get_app_configs():
        if not config.name.startswith("fengqiao."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.permissions")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.permissions":
                raise
            continue
        for name, wanted in getattr(module, "GROUP_PERMISSIONS", {}).items():
            if name in ROLES:
                raise ValueError(f"{config.name}: {name} is a role; use ROLE_PERMISSIONS")
            merged.setdefault(name, set()).update(wanted)
    return merged
