"""Template context shared by every staff page: the navigation and the unread count."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from fengqiao.core import notifications

# (url name, label, permission or None). Apps append their entries in their apps.ready().
NAVIGATION = [
    ("web:home", _("工作台"), None),
    ("web:inbox", _("消息"), None),
    ("web:audit", _("审计日志"), "core.view_auditevent"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for name, label, perm in NAVIGATION:
        if perm and not user.has_perm(perm):
            continue
        try:
            items.append(
                {"url": reverse(name), "label": label, "active": request.path == reverse(name)}
            )
        except NoReverseMatch:
            continue
    return {"nav_items": items, "unread_count": notifications.unread_count(user)}
