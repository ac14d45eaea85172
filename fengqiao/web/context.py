"""Template context shared by every staff page: the navigation and the unread count."""

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from fengqiao.core import notifications

# (url name, label, permission or None). Apps append their entries in their apps.ready().
NAVIGATION = [
    ("web:home", _("工作台"), None),
    ("web:inbox", _("消息"), None),
    ("web:audit", _("审计日志"), "core.view_auditevent"),
    ("web:role_requests", _("授权审批"), "org.approve_rolerequest"),
    ("web:settings", _("系统设置"), "cases.view_category"),
]


# Panels on the staff home page: (template, callable(request) -> context dict or None).
# Apps append theirs in their apps.ready(); a panel returning None is not shown.
HOME_PANELS = []


def home_panels(request):
    panels = []
    for template, build in HOME_PANELS:
        context = build(request)
        if context is not None:
            panels.append({"template": template, **context})
    return panels


# The units of the live countdowns (cases/static/cases/countdown.js reads them from the page's
# <body data-countdown-units>): in the reader's language, from the catalogs like any other text.
COUNTDOWN_UNITS = {
    "d": pgettext_lazy("countdown", "天"),
    "h": pgettext_lazy("countdown", "时"),
    "m": pgettext_lazy("countdown", "分"),
    "s": pgettext_lazy("countdown", "秒"),
    "late": pgettext_lazy("countdown", "已超时"),
    "left": pgettext_lazy("countdown", "剩余"),
}


def countdown_units():
    """The countdown units as JSON for the page (words apart in English, run together in Chinese)."""
    import json

    units = {key: str(label) for key, label in COUNTDOWN_UNITS.items()}
    units["sep"] = "" if (get_language() or "").startswith("zh") else " "
    return json.dumps(units, ensure_ascii=False)


# Short menu labels where an app's verbose name is long (the menu must fit 1366 px in both
# languages); the pages of ``web`` other than home and inbox form the administration menu.
GROUP_LABELS = {"registry": _("基础信息"), "admin": _("系统管理")}
TOP_LEVEL = ("web:home", "web:inbox")


def _group_label(namespace):
    if namespace in GROUP_LABELS:
        return GROUP_LABELS[namespace]
    try:
        return apps.get_app_config(namespace).verbose_name
    except LookupError:
        return ""


def navigation(request):
    """The entries the user may open, in order, grouped by domain: ``nav_menu`` is the top bar
    (home and inbox as links, one dropdown per domain), ``nav_groups`` the home page's sections."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items, groups = [], {}
    for name, label, perm in NAVIGATION:
        if perm and not user.has_perm(perm):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        namespace = name.split(":", 1)[0]
        group = "" if name in TOP_LEVEL else ("admin" if namespace == "web" else namespace)
        item = {"url": url, "label": label, "active": request.path == url, "group": group}
        item["first_of_group"] = bool(group) and group not in groups
        if group:
            groups.setdefault(group, {"label": _group_label(group), "items": []})["items"].append(
                item
            )
        items.append(item)
    menu, seen = [], {}
    for item in items:
        if not item["group"]:
            menu.append({"link": item})
        elif item["group"] not in seen:
            entry = seen[item["group"]] = {"group": item["group"], **groups[item["group"]]}
            menu.append(entry)
    for entry in seen.values():
        entry["active"] = any(i["active"] for i in entry["items"])
    return {
        "nav_items": items,
        "nav_menu": menu,
        "nav_groups": list(groups.values()),
        "unread_count": notifications.unread_count(user),
        "countdown_units": countdown_units(),
    }
