"""The risk lists on the shared list component (``web.lists``): the register as a list (beside the
colour board), the suggestions and the review sessions; tables, filters, facets, orders and their
xlsx columns."""

import django_filters
import django_tables2 as tables
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.web.lists import Facet, Sort, StaffTable, TemplateColumn

from .models import RANK, Level, ReviewSession, Risk, RiskCategory, Suggestion

RISK_NUMBER = """<a href="{% url 'risks:detail' record.pk %}">{{ record.number }}</a>"""
LEVEL = """<span class="lv {{ record.level }}">{{ record.get_level_display }}</span>"""
REVIEW = """{% if record.next_review_at %}<span class="{% if record.review_overdue %}overdue{% endif %}">{{ record.next_review_at|date:"m-d H:i" }}</span>{% else %}—{% endif %}"""


def _risk_row(record, **kwargs):
    return f"risk-{record.pk}"


def _people(risk):
    return [p.name for p in risk.people.all()]


def _phones(risk):
    return [p.phone for p in risk.people.all()]


def _responsible(risk):
    if risk.responsible_department_id:
        return risk.responsible_department.name
    return risk.responsible_unit_name


class RiskTable(StaffTable):
    """风险列表: number, title, level, category, place, state, source, next review."""

    number = TemplateColumn(RISK_NUMBER, verbose_name=_("编号"))
    title = tables.Column(verbose_name=_("风险名称"))
    level = TemplateColumn(LEVEL, verbose_name=_("预警等级"))
    category = tables.Column(accessor="category__name", verbose_name=_("类别"))
    place = tables.Column(accessor="place__name", verbose_name=_("地点"))
    state = tables.Column(verbose_name=_("状态"))
    source = tables.Column(verbose_name=_("来源"))
    review = TemplateColumn(REVIEW, verbose_name=_("下次会商"), empty_values=())

    export_columns = (
        (_("编号"), "number"),
        (_("风险名称"), "title"),
        (_("类别"), "category.name"),
        (_("地点"), "place.name"),
        (_("预警等级"), "get_level_display"),
        (_("状态"), "get_state_display"),
        (_("来源"), "get_source_display"),
        (_("责任单位"), _responsible),
        (_("责任领导"), "responsible_leader"),
        (_("涉及人员"), _people),
        (_("联系电话"), _phones),
        (_("申报时间"), "applied_at"),
        (_("下次会商"), "next_review_at"),
    )

    class Meta(StaffTable.Meta):
        attrs = {"class": "table", "id": "risk-list"}
        row_attrs = {"id": _risk_row}
        empty_text = _("无")

    def render_state(self, record):
        return record.get_state_display()

    def render_source(self, record):
        return record.get_source_display()


def _places(request):
    from fengqiao.org.models import Place

    if request is None:
        return Place.objects.none()
    return Place.objects.restrict(request.user)


class RiskFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=Level.choices)
    state = django_filters.ChoiceFilter(
        choices=(("register", _("在册")), *Risk.State.choices), method="filter_state"
    )
    category = django_filters.ModelChoiceFilter(queryset=RiskCategory.objects.all())
    source = django_filters.ChoiceFilter(choices=Risk.Source.choices)
    place = django_filters.ModelChoiceFilter(queryset=_places, method="filter_place")
    overdue = django_filters.ChoiceFilter(
        choices=(("1", _("逾期未会商")),), method="filter_overdue"
    )
    q = django_filters.CharFilter(method="filter_text")

    class Meta:
        model = Risk
        fields = ("level", "state", "category", "source", "place", "overdue", "q")

    def filter_state(self, queryset, name, value):
        if value == "register":
            return queryset.filter(state__in=Risk.ON_REGISTER)
        return queryset.filter(state=value)

    def filter_place(self, queryset, name, value):
        return queryset.filter(place_path__startswith=value.path)

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(next_review_at__lt=timezone.now()) if value == "1" else queryset

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value))


def risk_facets():
    return [
        Facet("level", "level", dict(Level.choices), _("预警等级")),
        Facet("state", "state", dict(Risk.State.choices), _("状态")),
        Facet("category", "category_id", "category__name", _("类别")),
        Facet("source", "source", dict(Risk.Source.choices), _("来源")),
        Facet("overdue", title=_("逾期未会商"), q=Q(next_review_at__lt=timezone.now())),
    ]


def by_level(rows):
    """Red first, then orange, blue, green, released; then the oldest application."""
    return rows.annotate(
        _rank=Case(
            *(When(level=code, then=Value(-rank)) for code, rank in RANK.items()),
            default=Value(0),
            output_field=IntegerField(),
        )
    ).order_by("_rank", "applied_at", "id")


def risk_sorts():
    return [
        Sort("level", _("预警等级")),
        Sort("review", _("下次会商"), (F("next_review_at").asc(nulls_last=True), "id")),
        Sort("new", _("最新申报"), ("-applied_at", "-id")),
    ]


# -- suggestions ----------------------------------------------------------------------------------
SUGGESTION = """<a href="{% url 'risks:suggestion' record.pk %}">{{ record.title }}</a>"""


class SuggestionTable(StaffTable):
    title = TemplateColumn(SUGGESTION, verbose_name=_("线索"))
    source = tables.Column(verbose_name=_("来源"))
    place = tables.Column(accessor="place__name", verbose_name=_("地点"))
    created_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name=_("时间"))
    state = tables.Column(verbose_name=_("状态"))
    reason = tables.Column(verbose_name=_("不予采纳理由"), default="")

    export_columns = (
        (_("线索"), "title"),
        (_("说明"), "detail"),
        (_("来源"), "get_source_display"),
        (_("类别"), "category.name"),
        (_("地点"), "place.name"),
        (_("时间"), "created_at"),
        (_("状态"), "get_state_display"),
        (_("不予采纳理由"), "reason"),
        (_("采纳为"), "risk.number"),
    )

    class Meta(StaffTable.Meta):
        attrs = {"class": "table", "id": "suggestion-list"}
        empty_text = _("暂无线索")

    def render_source(self, record):
        return record.get_source_display()

    def render_state(self, record):
        return record.get_state_display()


class SuggestionFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=(("any", _("全部")), *Suggestion.State.choices), method="filter_state"
    )
    source = django_filters.ChoiceFilter(choices=Suggestion.Source.choices)

    class Meta:
        model = Suggestion
        fields = ("state", "source")

    def filter_state(self, queryset, name, value):
        return queryset if value == "any" else queryset.filter(state=value)


def suggestion_facets():
    return [
        Facet("state", "state", dict(Suggestion.State.choices), _("状态")),
        Facet("source", "source", dict(Suggestion.Source.choices), _("来源")),
    ]


# -- review sessions ------------------------------------------------------------------------------
SESSION = """<a href="{% url 'risks:session' record.pk %}">{{ record.title }}</a>"""
PACK = """<a href="{% url 'risks:session_pack' record.pk 'docx' %}">Word</a> · <a href="{% url 'risks:session_pack' record.pk 'pdf' %}">PDF</a>"""


class SessionTable(StaffTable):
    title = TemplateColumn(SESSION, verbose_name=_("会商"))
    slot_at = tables.DateTimeColumn(format="Y-m-d H:i", verbose_name=_("时间"))
    kind = tables.Column(verbose_name=_("类型"))
    n = tables.Column(verbose_name=_("议题"))
    state = tables.Column(verbose_name=_("状态"))
    pack = TemplateColumn(PACK, verbose_name="", empty_values=())

    export_columns = (
        (_("会商"), "title"),
        (_("时间"), "slot_at"),
        (_("类型"), "get_kind_display"),
        (_("范围"), "place.name"),
        (_("议题"), "n"),
        (_("状态"), "get_state_display"),
        (_("主持人"), "chair"),
    )

    class Meta(StaffTable.Meta):
        attrs = {"class": "table", "id": "session-list"}
        empty_text = _("暂无会商")

    def render_kind(self, record):
        return record.get_kind_display()

    def render_state(self, record):
        return record.get_state_display()


class SessionFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=ReviewSession.State.choices)
    kind = django_filters.ChoiceFilter(choices=ReviewSession.Kind.choices)

    class Meta:
        model = ReviewSession
        fields = ("state", "kind")


def session_facets():
    return [
        Facet("state", "state", dict(ReviewSession.State.choices), _("状态")),
        Facet("kind", "kind", dict(ReviewSession.Kind.choices), _("类型")),
    ]
