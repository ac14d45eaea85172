"""The fieldwork lists' xlsx columns (``core.exports.list_xlsx``: masked by default, clear with the
permission and a reason, audited): visits, follow-up notes, patrol logs. Free text (findings,
notes) may carry names and numbers: masked with ``pii.mask_text`` unless unmasked."""

from django.utils.translation import gettext_lazy as _

from fengqiao.core.exports import personal

VISIT_COLUMNS = (
    (_("日期"), "visited_on"),
    (_("地址"), "address.full_name"),
    (_("目的"), "get_purpose_display"),
    (_("民警/网格员"), "officer"),
    (_("走访对象"), "household.name"),
    (_("走访情况"), personal("findings")),
    (_("后续跟进"), personal("follow_up")),
)

NOTE_COLUMNS = (
    (_("时间"), "created_at"),
    (_("记录人"), "author"),
    (_("地址"), "address.full_name"),
    (_("笔记内容"), personal("text")),
    (_("需跟进"), "starred"),
    (_("跟进完成时间"), "followed_up_at"),
)

PATROL_COLUMNS = (
    (_("开始时间"), "started_at"),
    (_("结束时间"), "ended_at"),
    (_("巡防圈"), "circle.name"),
    (_("巡防队"), "team.name"),
    (_("巡防路线"), "route"),
    (_("发现情况"), personal("findings")),
    (_("转为事件"), "case.number"),
)
