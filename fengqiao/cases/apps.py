from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "fengqiao.cases"
    label = "cases"
    verbose_name = _("事件工单")

    def ready(self):
        from fengqiao.core.workflow import on_transition
        from fengqiao.web.context import NAVIGATION

        from . import workflow  # noqa: F401 — registers the flow and its escalation policies
        from .services import follow_dispute

        # The case follows the dispute it was turned into (DESIGN §2.1, issue 4).
        on_transition("disputes.dispute", follow_dispute)
        _connect_invalidation()

        entries = [
            ("cases:queue", _("我的工单"), "cases.view_case"),
            ("cases:dispatch", _("调度台"), "cases.dispatch_case"),
            ("cases:supervision", _("督办"), "cases.view_supervisioncard"),
            ("cases:new", _("登记事件"), "cases.add_case"),
            ("cases:grids", _("网格二维码"), "cases.add_case"),
        ]
        for entry in entries:
            if entry not in NAVIGATION:
                NAVIGATION.append(entry)


def _connect_invalidation():
    """Categories and dispatch rules are cached reference data (core.caching): drop them when
    they (or the departments and teams rules name) change."""
    from django.db.models.signals import post_delete, post_save

    from fengqiao.core import caching
    from fengqiao.org.models import Department, Team

    from .models import Category, DispatchRule

    def categories(**kwargs):
        caching.invalidate("categories")

    def rules(**kwargs):
        caching.invalidate("dispatch_rules")

    uid = "fengqiao.cases.invalidation"
    for signal in (post_save, post_delete):
        name = signal is post_save and "save" or "delete"
        signal.connect(
            categories, sender=Category, dispatch_uid=f"{uid}.{name}.category", weak=False
        )
        for model in (DispatchRule, Department, Team):
            signal.connect(
                rules, sender=model, dispatch_uid=f"{uid}.{name}.{model.__name__}", weak=False
            )
