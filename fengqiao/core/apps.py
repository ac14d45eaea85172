from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "fengqiao.core"
    label = "core"
    verbose_name = _("平台内核")

    def ready(self):
        from . import signals  # noqa: F401  (login/logout/role-change audit)
