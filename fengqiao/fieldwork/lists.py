"""The fieldwork lists on the shared list component (``web.lists``: tables, filters, facets) and
their xlsx columns (``core.exports.list_xlsx``: masked by default, clear with the
permission and a reason, audited): visits, follow-up notes, patrol logs. Free text (findings,
notes) may carry names and numbers: masked with ``pii.mask_text`` unless unmasked."""

from datetime import timedelta

import django_filters
import django_tables2 as tables
from django.db.models import Q
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from fengqiao.core.exports import personal
from fengqiao.web.lists import Facet, StaffTable

from .models import FieldNote, PatrolLog, Visit

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


# -- the pages' lists on the shared list component (``web.lists``) --------------------------------
VISIT_DATE = (
    """<a href="{% url 'fieldwork:visit' record.pk %}">{{ record.visited_on|date:"Y-m-d" }}</a>"""
)
NOTE_TEXT = """★ <strong>{{ record.text }}</strong>"""
NOTE_ADDRESS = """<a href="{% url 'registry:address' record.address_id %}">{{ record.address.full_name }}</a>"""
PATROL_START = """<a href="{% url 'fieldwork:patrol' record.pk %}">{{ record.started_at|date:"Y-m-d H:i" }}</a>"""
PATROL_CASE = """{% if record.case_id %}<a href="{% url 'cases:detail' record.case_id %}">{{ record.case.number }}</a>{% else %}—{% endif %}"""


def _row(prefix):
    def row_id(record, **kwargs):
        return f"{prefix}-{record.pk}"

    return row_id


def _this_week():
    from .services import week_start

    return week_start(timezone.localdate())


class VisitTable(StaffTable):
    visited_on = tables.TemplateColumn(VISIT_DATE, verbose_name=_("日期"))
    address = tables.Column(accessor="address__full_name", verbose_name=_("地址"))
    purpose = tables.Column(verbose_name=_("目的"))
    officer = tables.Column(verbose_name=_("民警/网格员"))
    findings = tables.Column(verbose_name=_("情况"))

    export_columns = VISIT_COLUMNS

    class Meta(StaffTable.Meta):
        attrs = {"class": "table", "id": "visits"}
        row_attrs = {"id": _row("visit")}

    def render_purpose(self, record):
        return record.get_purpose_display()

    def render_findings(self, value):
        return Truncator(value).chars(40)


class VisitFilter(django_filters.FilterSet):
    purpose = django_filters.ChoiceFilter(choices=Visit.Purpose.choices)
    week = django_filters.ChoiceFilter(choices=(("1", _("本周")),), method="filter_week")
    q = django_filters.CharFilter(method="filter_text")

    class Meta:
        model = Visit
        fields = ("purpose", "week", "q")

    def filter_week(self, queryset, name, value):
        return queryset.filter(visited_on__gte=_this_week()) if value == "1" else queryset

    def filter_text(self, queryset, name, value):
        return queryset.filter(address__full_name__icontains=value)


def visit_facets():
    return [
        Facet("purpose", "purpose", dict(Visit.Purpose.choices), _("目的")),
        Facet("week", title=_("本周"), q=Q(visited_on__gte=_this_week())),
    ]


class NoteTable(StaffTable):
    text = tables.TemplateColumn(NOTE_TEXT, verbose_name=_("笔记内容"))
    created_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name=_("时间"))
    author = tables.Column(verbose_name=_("记录人"))
    address = tables.TemplateColumn(NOTE_ADDRESS, verbose_name=_("地址"))
    done = tables.Column(verbose_name=_("跟进"), empty_values=(), default="")

    export_columns = NOTE_COLUMNS

    class Meta(StaffTable.Meta):
        attrs = {"class": "table", "id": "followups"}
        row_attrs = {"id": _row("note")}
        empty_text = _("没有待跟进的事项")

    def render_done(self, record):
        """The 完成跟进 form, for whoever may close follow-ups (``self.request``: web.lists)."""
        request = getattr(self, "request", None)
        if request is None or not request.user.has_perm("fieldwork.change_fieldnote"):
            return ""
        return format_html(
            '<form method="post" action="{}" class="inline">'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<input name="result" required placeholder="{}" aria-label="{}">'
            '<button type="submit" class="link">{}</button></form>',
            reverse("fieldwork:note_act", args=[record.pk, "done"]),
            get_token(request),
            _("跟进结果"),
            _("跟进结果"),
            _("完成跟进"),
        )


class NoteFilter(django_filters.FilterSet):
    old = django_filters.ChoiceFilter(choices=(("1", _("超过7天")),), method="filter_old")
    q = django_filters.CharFilter(method="filter_text")

    class Meta:
        model = FieldNote
        fields = ("old", "q")

    def filter_old(self, queryset, name, value):
        return queryset.filter(created_at__lt=_week_ago()) if value == "1" else queryset

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(text__icontains=value) | Q(address__full_name__icontains=value))


def _week_ago():
    return timezone.now() - timedelta(days=7)


def note_facets():
    return [Facet("old", title=_("超过7天未跟进"), q=Q(created_at__lt=_week_ago()))]


class PatrolTable(StaffTable):
    started_at = tables.TemplateColumn(PATROL_START, verbose_name=_("开始时间"))
    circle = tables.Column(accessor="circle__name", verbose_name=_("巡防圈"))
    team = tables.Column(accessor="team__name", verbose_name=_("巡防队"), default="—")
    findings = tables.Column(verbose_name=_("发现情况"), default=_("无异常"))
    case = tables.TemplateColumn(PATROL_CASE, verbose_name=_("转为事件"), empty_values=())

    export_columns = PATROL_COLUMNS

    class Meta(StaffTable.Meta):
        attrs = {"class": "table", "id": "patrol-logs"}
        row_attrs = {"id": _row("patrol")}

    def render_findings(self, value):
        return Truncator(value).chars(60)


class PatrolFilter(django_filters.FilterSet):
    circle = django_filters.NumberFilter(field_name="circle_id")
    case = django_filters.ChoiceFilter(choices=(("1", _("转为事件")),), method="filter_case")
    q = django_filters.CharFilter(method="filter_text")

    class Meta:
        model = PatrolLog
        fields = ("circle", "case", "q")

    def filter_case(self, queryset, name, value):
        return queryset.filter(case__isnull=False) if value == "1" else queryset

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(findings__icontains=value) | Q(route__icontains=value))


def patrol_facets():
    return [
        Facet("circle", "circle_id", "circle__name", _("巡防圈")),
        Facet("case", title=_("转为事件"), q=Q(case__isnull=False)),
    ]
