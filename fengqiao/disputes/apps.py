from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    name = "fengqiao.disputes"
    label = "disputes"
    verbose_name = _("矛盾纠纷")

    def ready(self):
        from fengqiao.web.context import NAVIGATION

        from . import workflow  # noqa: F401 — registers the flow and its escalation policies

        entries = [
            ("disputes:workbench", _("矛盾纠纷"), "disputes.view_dispute"),
            ("disputes:joint_board", _("联席调任务"), "disputes.handle_joint_task"),
            ("disputes:verify", _("协议核验"), "disputes.verify_agreement"),
        ]
        for entry in entries:
            if entry not in NAVIGATION:
                NAVIGATION.append(entry)
