from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RisksConfig(AppConfig):
    name = "fengqiao.risks"
    label = "risks"
    verbose_name = _("风险清单")

    def ready(self):
        from fengqiao.web.context import NAVIGATION

        from . import workflow  # noqa: F401 — registers the flows and their escalation policies

        entries = [
            ("risks:board", _("风险清单"), "risks.view_risk"),
            ("risks:suggestions", _("风险线索"), "risks.manage_suggestion"),
            ("risks:sessions", _("风险会商"), "risks.run_review"),
        ]
        for entry in entries:
            if entry not in NAVIGATION:
                NAVIGATION.append(entry)
