from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "fengqiao.org"
    label = "org"
    verbose_name = _("组织与网格")

    def ready(self):
        from . import invalidation, pathguard, signals
        from .roles import sync_roles

        signals.connect()
        invalidation.connect()
        post_migrate.connect(sync_roles, dispatch_uid="fengqiao.org.sync_roles")
        post_migrate.connect(pathguard.install, dispatch_uid="fengqiao.org.pathguard")
