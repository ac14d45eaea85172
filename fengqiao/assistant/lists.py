"""The assistant's staff lists on the shared list component (``web.lists``) and as xlsx (``core.exports.list_xlsx``: masked by default, clear with
the permission and a reason, audited): hand-offs, alerts, unanswered questions. Residents' words
may carry names and numbers: masked with ``pii.mask_text`` unless unmasked; scores as percentages."""

import django_filters
import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from fengqiao.core.exports import percent, personal
from fengqiao.core.templatetags.numbers import percent as percent_text
from fengqiao.web.lists import Facet, StaffTable

from .models import Alert, Handoff

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


# -- the queues on the shared list component (``web.lists``) --------------------------------------
HANDOFF_QUESTION = """<a href="{% url 'assistant:handoff' record.pk %}">{{ record.question|truncatechars:60 }}</a>"""
ALERT_TEXT = (
    """<a href="{% url 'assistant:alert' record.pk %}">{{ record.text|truncatechars:50 }}</a>"""
)


def _row(prefix):
    def row_id(record, **kwargs):
        return f"{prefix}-{record.pk}"

    return row_id


class HandoffTable(StaffTable):
    """转人工咨询: time, grid, the question (to the hand-off page), state, the 咨询 case's code."""

    created_at = tables.DateTimeColumn(format="m-d H:i", verbose_name=_("时间"))
    place = tables.Column(accessor="place__name", verbose_name=_("网格"))
    question = tables.TemplateColumn(HANDOFF_QUESTION, verbose_name=_("问题"))
    status = tables.Column(verbose_name=_("状态"))
    case_ref = tables.Column(verbose_name=_("事件编号"), default="—")

    export_columns = HANDOFF_COLUMNS

    class Meta(StaffTable.Meta):
        attrs = {"class": "table", "id": "handoff-queue"}
        row_attrs = {"id": _row("handoff")}

    def render_status(self, record):
        return record.get_status_display()


class HandoffFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Handoff.Status.choices)
    place = django_filters.NumberFilter(field_name="place_id")
    q = django_filters.CharFilter(field_name="question", lookup_expr="icontains")

    class Meta:
        model = Handoff
        fields = ("status", "place", "q")


def handoff_facets():
    return [
        Facet("status", "status", dict(Handoff.Status.choices), _("状态")),
        Facet("place", "place_id", "place__name", _("网格")),
    ]


class AlertTable(StaffTable):
    """群消息预警: time, grid, group, category, score (a percentage), the message, state."""

    created_at = tables.DateTimeColumn(format="m-d H:i", verbose_name=_("时间"))
    place = tables.Column(accessor="place__name", verbose_name=_("网格"))
    group_name = tables.Column(verbose_name=_("群"), default="—")
    label = tables.Column(verbose_name=_("类别"))
    score = tables.Column(verbose_name=_("分值"))
    text = tables.TemplateColumn(ALERT_TEXT, verbose_name=_("消息"))
    status = tables.Column(verbose_name=_("状态"))

    export_columns = ALERT_COLUMNS

    class Meta(StaffTable.Meta):
        attrs = {"class": "table", "id": "alert-queue"}
        row_attrs = {"id": _row("alert")}
        empty_text = _("暂无预警")

    def render_label(self, record):
        return record.get_label_display() or record.label

    def render_score(self, value):
        return percent_text(value)

    def render_status(self, record):
        return record.get_status_display()


ALERT_STATUS = (*Alert.Status.choices, ("all", _("全部")))


class AlertFilter(django_filters.FilterSet):
    """The alert queue opens on the alerts to handle (``status=open`` unless asked otherwise)."""

    status = django_filters.ChoiceFilter(choices=ALERT_STATUS, method="filter_status")
    label = django_filters.ChoiceFilter(choices=Alert._meta.get_field("label").choices)
    place = django_filters.NumberFilter(field_name="place_id")
    q = django_filters.CharFilter(field_name="text", lookup_expr="icontains")

    class Meta:
        model = Alert
        fields = ("status", "label", "place", "q")

    def filter_status(self, queryset, name, value):
        return queryset if value == "all" else queryset.filter(status=value)


def alert_facets():
    return [
        Facet("status", "status", dict(Alert.Status.choices), _("状态")),
        Facet("label", "label", dict(Alert._meta.get_field("label").choices), _("类别")),
        Facet("place", "place_id", "place__name", _("网格")),
    ]
