from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "fengqiao.core"
    label = "core"
    verbose_name = _("平台内核")

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import signals  # noqa: F401  (login/logout/role-change audit)

        post_migrate.connect(_cache_table, sender=self, dispatch_uid="fengqiao.core.cache_table")
        from .dbroles import grant_after_migrate
        from .partitions import ensure_after_migrate

        # the months ahead first, so that the grant below covers their partitions too
        post_migrate.connect(
            ensure_after_migrate, sender=self, dispatch_uid="fengqiao.core.partitions"
        )

        post_migrate.connect(
            grant_after_migrate, sender=self, dispatch_uid="fengqiao.core.grant_app_role"
        )


def _cache_table(using="default", **kwargs):
    """The database cache's table (``FENGQIAO_CACHE=database``) exists after every migrate."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)
