from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "fengqiao.core"
    label = "core"
    verbose_name = _("平台内核")

    def ready(self):
        from django.core import checks
        from django.db.models.signals import post_migrate

        checks.register(_proxy_check, checks.Tags.security, deploy=True)

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


def _proxy_check(app_configs=None, **kwargs):
    """``check --deploy``: HTTPS behind the proxy needs the proxy named, since X-Forwarded-Proto
    is believed only from ``FENGQIAO_TRUSTED_PROXIES`` (core.middleware.TrustedProxyMiddleware)."""
    from django.conf import settings
    from django.core import checks

    if settings.SECURE_SSL_REDIRECT and not settings.TRUSTED_PROXIES:
        return [
            checks.Warning(
                "FENGQIAO_SSL_REDIRECT is on but FENGQIAO_TRUSTED_PROXIES is empty: the proxy's "
                "X-Forwarded-Proto is ignored and every request is redirected to HTTPS again.",
                hint="Behind the documented nginx set FENGQIAO_TRUSTED_PROXIES=127.0.0.1.",
                id="fengqiao.W001",
            )
        ]
    return []
