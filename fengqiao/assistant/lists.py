"""The assistant's staff lists as xlsx (``core.exports.list_xlsx``: masked by default, clear with
the permission and a reason, audited): hand-offs, alerts, unanswered questions. Residents' words
may carry names and numbers: masked with ``pii.mask_text`` unless unmasked; scores as percentages."""

from django.utils.translation import gettext_lazy as _

from fengqiao.core.exports import percent, personal

HANDOFF_COLUMNS = (
    (_("时间"), "created_at"),
    (_("网格"), "place.name"),
    (_("问题"), personal("question")),
    (_("联系方式"), "contact"),
    (_("状态"), "get_status_display"),
    (_("答复"), personal("reply")),
    (_("事件编号"), "case_ref"),
)

ALERT_COLUMNS = (
    (_("时间"), "created_at"),
    (_("网格"), "place.name"),
    (_("群"), "group_name"),
    (_("类别"), "get_label_display"),
    (_("分值"), percent("score")),
    (_("消息"), personal("text")),
    (_("状态"), "get_status_display"),
    (_("事件编号"), "case_ref"),
)

UNANSWERED_COLUMNS = (
    (_("归类（最接近的答案）"), "group"),
    (_("问题"), personal("text")),
    (_("次数"), "count"),
    (_("置信度"), percent("confidence")),
    (_("最近提问"), "last_asked"),
)
