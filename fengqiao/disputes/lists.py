"""The dispute lists on the shared list component (``web.lists``): the mediation workbench's table,
filters, facets, orders and its xlsx columns."""

import django_filters
import django_tables2 as tables
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.web.lists import Facet, Sort, StaffTable, TemplateColumn

from .models import LEVEL_CHOICES, LEVEL_SHORT, Dispute, DisputeType

NUMBER = """<a href="{% url 'disputes:detail' record.pk %}">{{ record.number }}</a>"""
TITLE = """{% load i18n %}{{ record.title }}{% if record.is_recurrence %} <span class="tag orange">{% trans "反复" %}</span>{% endif %}"""
RISK = """<span class="tag {% if record.risk_level == 'high' %}red{% elif record.risk_level == 'medium' %}orange{% else %}green{% endif %}">{{ record.get_risk_level_display }}</span>"""
DUE = """{% load i18n %}{% if record.next_due_at %}<span class="{% if record.overdue %}overdue{% endif %}">{{ record.next_due_at|date:"m-d H:i" }}{% if record.overdue %} {% trans "已超时" %}{% endif %}</span>{% else %}—{% endif %}"""

# The workbench's state groups (?state=open|after|any) besides one state.
GROUPS = {
    "open": Dispute.OPEN_STATES,
    "after": ("performing", "performed"),
}


def _row_id(record, **kwargs):
    return f"dispute-{record.pk}"


def _parties(dispute):
    return [p.name for p in dispute.parties.all()]


def _phones(dispute):
    return [p.phone for p in dispute.parties.all()]


class DisputeTable(StaffTable):
    """调解工作台: number, title, type, place, level, state, risk, mediator, time left."""

    number = TemplateColumn(NUMBER, verbose_name=_("编号"))
    title = TemplateColumn(TITLE, verbose_name=_("纠纷"))
    type = tables.Column(accessor="type__name", verbose_name=_("类型"))
    place = tables.Column(accessor="place__name", verbose_name=_("地点"))
    level = tables.Column(verbose_name=_("层级"))
    state = tables.Column(verbose_name=_("状态"))
    risk = TemplateColumn(RISK, verbose_name=_("风险"), empty_values=())
    mediator = tables.Column(verbose_name=_("调解员"), default="—")
    due = TemplateColumn(DUE, verbose_name=_("时限"), empty_values=())

    # The xlsx export: plain values; the parties' names and phones masked unless asked.
    export_columns = (
        (_("编号"), "number"),
        (_("纠纷名称"), "title"),
        (_("类型"), "type.name"),
        (_("地点"), "place.name"),
        (_("层级"), lambda d: str(LEVEL_SHORT.get(d.level, d.level))),
        (_("状态"), "get_state_display"),
        (_("风险"), "get_risk_level_display"),
        (_("风险分"), "risk_score"),
        (_("调解员"), "mediator"),
        (_("当事人"), _parties),
        (_("联系电话"), _phones),
        (_("登记时间"), "registered_at"),
        (_("最近时限"), "next_due_at"),
    )

    class Meta(StaffTable.Meta):
        attrs = {"class": "table", "id": "disputes"}
        row_attrs = {"id": _row_id}
        empty_text = _("暂无纠纷")

    def render_level(self, value):
        return LEVEL_SHORT.get(value, "—")

    def render_state(self, record):
        return record.get_state_display()


STATE_CHOICES = (
    ("open", _("调解中（未化解）")),
    ("after", _("履行跟踪中")),
    ("any", _("全部")),
    *Dispute.State.choices,
)


class DisputeFilter(django_filters.FilterSet):
    """Filters of the workbench: state (or a group of states), level, type, risk, overdue, text."""

    state = django_filters.ChoiceFilter(choices=STATE_CHOICES, method="filter_state")
    level = django_filters.TypedChoiceFilter(choices=LEVEL_CHOICES, coerce=int)
    type = django_filters.ModelChoiceFilter(queryset=DisputeType.objects.all())
    risk = django_filters.ChoiceFilter(field_name="risk_level", choices=Dispute.Risk.choices)
    overdue = django_filters.ChoiceFilter(choices=(("1", _("已超时")),), method="filter_overdue")
    q = django_filters.CharFilter(method="filter_text")

    class Meta:
        model = Dispute
        fields = ("state", "level", "type", "risk", "overdue", "q")

    def filter_state(self, queryset, name, value):
        if value in GROUPS:
            return queryset.filter(state__in=GROUPS[value])
        if value == "any":
            return queryset
        return queryset.filter(state=value)

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(next_due_at__lt=timezone.now()) if value == "1" else queryset

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value))


def dispute_facets():
    return [
        Facet("state", "state", dict(Dispute.State.choices), _("状态")),
        Facet("level", "level", dict(LEVEL_SHORT), _("层级")),
        Facet("risk", "risk_level", dict(Dispute.Risk.choices), _("风险")),
        Facet("type", "type_id", "type__name", _("类型")),
        Facet("overdue", title=_("已超时"), q=Q(next_due_at__lt=timezone.now())),
    ]


def dispute_sorts():
    return [
        Sort("due", _("时限")),
        Sort("risk", _("风险分"), ("-risk_score", F("next_due_at").asc(nulls_last=True), "id")),
        Sort("new", _("最新登记"), ("-registered_at", "-id")),
        Sort("level", _("层级"), ("-level", F("next_due_at").asc(nulls_last=True), "id")),
    ]


def workbench_order(rows):
    return rows.order_by(
        F("next_due_at").asc(nulls_last=True), "-risk_score", "registered_at", "id"
    )
