from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistantConfig(AppConfig):
    name = "fengqiao.assistant"
    label = "assistant"
    verbose_name = _("智能助手")

    def ready(self):
        from fengqiao.web.context import NAVIGATION

        entries = [
            ("assistant:handoffs", _("转人工咨询"), "assistant.view_handoff"),
            ("assistant:alerts", _("群消息预警"), "assistant.view_alert"),
            ("assistant:answers", _("标准答案"), "assistant.view_standardanswer"),
        ]
        for entry in entries:
            if entry not in NAVIGATION:
                NAVIGATION.append(entry)
