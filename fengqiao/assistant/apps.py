from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistantConfig(AppConfig):
    name = "fengqiao.assistant"
    label = "assistant"
    verbose_name = _("智能助手")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from fengqiao.core.workflow import on_transition
        from fengqiao.web.context import NAVIGATION

        from . import notices  # noqa: F401 — registers the assistant's message keys
        from .following import follow_case
        from .models import Category, StandardAnswer

        for model in (StandardAnswer, Category):
            uid = f"fengqiao.assistant.answers.{model.__name__}"
            post_save.connect(_answers_changed, sender=model, dispatch_uid=f"{uid}.save")
            post_delete.connect(_answers_changed, sender=model, dispatch_uid=f"{uid}.delete")

        on_transition("cases.case", follow_case)

        entries = [
            ("assistant:handoffs", _("转人工咨询"), "assistant.view_handoff"),
            ("assistant:alerts", _("群消息预警"), "assistant.view_alert"),
            ("assistant:answers", _("标准答案"), "assistant.view_standardanswer"),
        ]
        for entry in entries:
            if entry not in NAVIGATION:
                NAVIGATION.append(entry)


def _answers_changed(**kwargs):
    """The standard answers changed: the assistant's engine is rebuilt on the next question."""
    from fengqiao.core import caching

    caching.invalidate("assistant.answers")
