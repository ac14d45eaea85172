"""The case queues on the shared list component (``web.lists``): tables, filters and facets for my
queue, the dispatch console and the supervision board."""

import django_filters
import django_tables2 as tables
from django.db.models import Case as When_
from django.db.models import IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.org.models import Place
from fengqiao.web.lists import Facet, StaffTable, TemplateColumn

from .models import Case, Category, SupervisionCard, Urgency

INCOMING = ("reported", "accepted", "returned")

NUMBER = """{% load i18n %}<a href="{% url 'cases:detail' record.pk %}" class="case-link">{{ record.number }}</a>{% if record.supervision_level == 1 %} <span class="tag yellow">{% trans "黄牌" %}</span>{% elif record.supervision_level >= 2 %} <span class="tag red">{% trans "红牌" %}</span>{% endif %}"""
CATEGORY = """{% load i18n %}{{ record.category.name }}{% if record.urgency == "urgent" %} <span class="tag red">{% trans "紧急" %}</span>{% endif %}"""
STATE = """<span class="state {{ record.state }}">{{ record.get_state_display }}</span>"""
DUE = """{% if record.next_due_at %}<span class="countdown" data-due="{{ record.next_due_at.isoformat }}">{{ record.next_due_at|date:"m-d H:i" }}</span>{% else %}—{% endif %}"""
SELECT = """<input type="checkbox" name="ids" value="{{ record.pk }}" class="row-select" aria-label="{{ record.number }}" form="bulk-form">"""
SUGGESTED = """{% load i18n %}{% if record.suggested %}{{ record.suggested.unit }}{% else %}<span class="muted">{% trans "无规则" %}</span>{% endif %}"""
DUPLICATE = """{% load i18n %}{% if record.likely_duplicate_of %}<span class="tag orange duplicate">{% trans "疑似重复" %} <a href="{% url 'cases:detail' record.likely_duplicate_of.pk %}">{{ record.likely_duplicate_of.number }}</a></span>
<button type="submit" form="merge-{{ record.pk }}" class="link merge-btn">{% trans "一键合并" %}</button>{% endif %}"""


def _row_id(record, **kwargs):
    return f"case-{record.pk}"


class CaseTable(StaffTable):
    """我的工单 and every list of cases: number, category, description, grid, state, time left."""

    number = TemplateColumn(NUMBER, verbose_name=_("编号"))
    category = TemplateColumn(CATEGORY, verbose_name=_("类别"))
    description = tables.Column(verbose_name=_("描述"))
    place = tables.Column(accessor="place__name", verbose_name=_("网格"))
    state = TemplateColumn(STATE, verbose_name=_("状态"))
    due = TemplateColumn(DUE, verbose_name=_("时限"), empty_values=())
    unit = tables.Column(
        accessor="department__name", verbose_name=_("承办"), default="—", empty_values=("",)
    )

    # The xlsx export (web.lists.export_list): plain values, not the page's markup.
    export_columns = (
        (_("编号"), "number"),
        (_("类别"), "category"),
        (_("描述"), "description"),
        (_("网格"), "place.name"),
        (_("状态"), "get_state_display"),
        (_("紧急程度"), "get_urgency_display"),
        (_("反映时间"), "reported_at"),
        (_("最近时限"), "next_due_at"),
        (_("承办"), "unit"),
    )

    class Meta(StaffTable.Meta):
        attrs = {"class": "table", "id": "queue"}
        row_attrs = {"id": _row_id}
        empty_text = _("暂无待办工单")

    def render_description(self, value):
        return value if len(value) <= 40 else value[:39] + "…"


ROW_NUMBER = """{% load i18n %}<a href="{% url 'cases:detail' record.id %}" class="case-link">{{ record.number }}</a>{% if record.supervision_level == 1 %} <span class="tag yellow">{% trans "黄牌" %}</span>{% elif record.supervision_level >= 2 %} <span class="tag red">{% trans "红牌" %}</span>{% endif %}"""
ROW_CATEGORY = """{% load i18n %}{{ record.category_name }}{% if record.urgency == "urgent" %} <span class="tag red">{% trans "紧急" %}</span>{% endif %}"""
ROW_STATE = """<span class="state {{ record.state }}">{{ record.state_label }}</span>"""


def _plain_row_id(record, **kwargs):
    return f"case-{record['id']}"


class QueueTable(CaseTable):
    """我的工单 over plain rows (``cases.queries.page_rows``, the JSON queue's query): the same
    columns as :class:`CaseTable`, labels from the precomputed tables, no model instances."""

    number = TemplateColumn(ROW_NUMBER, verbose_name=_("编号"))
    category = TemplateColumn(ROW_CATEGORY, verbose_name=_("类别"))
    place = tables.Column(accessor="place_name", verbose_name=_("网格"))
    state = TemplateColumn(ROW_STATE, verbose_name=_("状态"))
    unit = tables.Column(accessor="unit", verbose_name=_("承办"), default="—", empty_values=("",))

    class Meta(CaseTable.Meta):
        row_attrs = {"id": _plain_row_id}


class DispatchTable(CaseTable):
    """调度台: a selection box per row, the suggested unit and likely duplicates."""

    select = TemplateColumn(
        SELECT,
        verbose_name="",
        empty_values=(),
        attrs={"th": {"class": "select"}, "td": {"class": "select"}},
    )
    suggested = TemplateColumn(SUGGESTED, verbose_name=_("建议承办"), empty_values=())
    duplicate = TemplateColumn(DUPLICATE, verbose_name=_("疑似重复"), empty_values=())

    class Meta(CaseTable.Meta):
        attrs = {"class": "table", "id": "incoming"}
        exclude = ("unit",)
        sequence = ("select", "...")
        empty_text = _("没有待派单的事件")


def _grids(request):
    if request is None:
        return Place.objects.none()
    return Place.objects.restrict(request.user).filter(level=Place.Level.GRID)


class CaseFilter(django_filters.FilterSet):
    """Filters of every case list: state, category, grid, urgency, overdue."""

    state = django_filters.ChoiceFilter(choices=Case.State.choices)
    category = django_filters.ModelChoiceFilter(queryset=Category.objects.all())
    grid = django_filters.ModelChoiceFilter(field_name="place", queryset=_grids)
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices)
    overdue = django_filters.ChoiceFilter(choices=(("1", _("已超时")),), method="filter_overdue")

    class Meta:
        model = Case
        fields = ("state", "category", "grid", "urgency", "overdue")

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(next_due_at__lt=timezone.now()) if value == "1" else queryset


def case_facets():
    """Facets of a case list, with the reader's language for the labels."""
    return [
        Facet("state", "state", dict(Case.State.choices), _("状态")),
        Facet("urgency", "urgency", dict(Urgency.choices), _("紧急程度")),
        Facet("category", "category_id", "category__name", _("类别")),
        Facet("grid", "place_id", "place__name", _("网格")),
        Facet("overdue", title=_("已超时"), q=Q(next_due_at__lt=timezone.now())),
    ]


def console_order(rows):
    """New reports first, then by urgency (urgent, ordinary, complex), then by time left."""
    return rows.annotate(
        _new=When_(When(state="reported", then=Value(0)), default=Value(1)),
        _urgency=When_(
            When(urgency="urgent", then=Value(0)),
            When(urgency="ordinary", then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
    ).order_by("_new", "_urgency", "next_due_at", "id")


SUPERVISION_LEVEL = """<span class="tag {% if record.level == 1 %}yellow{% else %}red{% endif %}">{{ record.get_level_display }}</span>"""
SUPERVISION_CASE = """<a href="{% url 'cases:detail' record.case_id %}">{{ record.case.number }}</a> <span class="state {{ record.case.state }}">{{ record.case.get_state_display }}</span>"""


class SupervisionTable(StaffTable):
    level = TemplateColumn(SUPERVISION_LEVEL, verbose_name=_("督办"))
    case = TemplateColumn(SUPERVISION_CASE, verbose_name=_("事件"))
    category = tables.Column(accessor="case__category__name", verbose_name=_("类别"))
    place = tables.Column(accessor="case__place__name", verbose_name=_("网格"))
    department = tables.Column(accessor="department__name", verbose_name=_("承办部门"), default="—")
    deadline_kind = tables.Column(verbose_name=_("超期环节"), default="—")
    issued_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name=_("时间"))

    class Meta(StaffTable.Meta):
        attrs = {"class": "table", "id": "cards"}
        empty_text = _("暂无督办")

    def render_deadline_kind(self, value):
        from .workflow import KIND_LABELS

        return KIND_LABELS.get(value, value)


class SupervisionFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=SupervisionCard.Level.choices)

    class Meta:
        model = SupervisionCard
        fields = ("level",)
