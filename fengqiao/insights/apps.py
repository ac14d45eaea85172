from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "fengqiao.insights"
    label = "insights"
    verbose_name = _("指挥中心")

    def ready(self):
        from fengqiao.core.workflow import on_transition
        from fengqiao.web.context import NAVIGATION

        from . import villages  # noqa: F401 — registers the 无案村 flow with the kernel
        from .rollup import mark_dirty

        # The roll-up follows the case flow: each transition marks the slices it touches.
        on_transition("cases.case", mark_dirty)

        entries = [
            ("insights:board", _("统计分析"), "cases.view_figures"),
            ("insights:disputes", _("纠纷统计"), "disputes.view_dispute_figures"),
            ("insights:alerts", _("警情统计"), "insights.view_alert"),
            ("insights:evaluation", _("绩效考核"), "insights.view_evaluation"),
            ("insights:reports", _("情况通报"), "insights.export_figures"),
            ("insights:villages", _("无案村"), "insights.view_villagestatus"),
            ("insights:map", _("一张图"), "insights.view_command_centre"),
        ]
        for entry in entries:
            if entry not in NAVIGATION:
                NAVIGATION.append(entry)
