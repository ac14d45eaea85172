"""The foreigners' stays list on the shared list component (``web.lists``): table, filters (state,
flags, nationality, overdue check), counts per filter, and its xlsx columns (masked by default)."""

from datetime import timedelta

import django_filters
import django_tables2 as tables
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from fengqiao.core.exports import personal
from fengqiao.web.lists import Facet, StaffTable

from .models import ForeignerStay

FLAG_LABELS = {
    "visa_expired": _("签证已过期"),
    "visa_expiring": _("签证7日内到期"),
    "overstay": _("超过拟离开日期"),
}


def flag_q(flag, today=None):
    """The database form of ``ForeignerStay.flags()`` (an active stay's overstay / visa flags)."""
    today = today or timezone.localdate()
    active = ~Q(state=ForeignerStay.State.CANCELLED)
    if flag == "visa_expired":
        return active & Q(visa_valid_until__lt=today)
    if flag == "visa_expiring":
        return active & Q(visa_valid_until__gte=today, visa_valid_until__lte=today + timedelta(7))
    if flag == "overstay":
        return active & Q(expected_departure__lt=today)
    return Q()


def _flags(stay):
    return [str(FLAG_LABELS[f]) for f in stay.flags()]


# The stays list as xlsx: the guest's name and passport masked unless asked with a reason.
STAY_COLUMNS = (
    (_("登记号"), "number"),
    (_("国籍"), "nationality"),
    (_("英文姓"), personal("surname", "name")),
    (_("英文名"), personal("given_name", "name")),
    (_("护照号码"), "passport_number"),
    (_("签证/居留种类"), "visa_type"),
    (_("签证有效期至"), "visa_valid_until"),
    (_("入住日期"), "arrival"),
    (_("拟离开日期"), "expected_departure"),
    (_("住宿地址"), "address.full_name"),
    (_("报告人"), "reporter_name"),
    (_("报告人电话"), "reporter_phone"),
    (_("状态"), "get_state_display"),
    (_("核查期限"), "next_due_at"),
    (_("提示"), _flags),
)

NUMBER = """<a href="{% url 'registry:stay' record.pk %}">{{ record.number }}</a>"""


def _row_id(record, **kwargs):
    return f"stay-{record.pk}"


class StayTable(StaffTable):
    number = tables.TemplateColumn(NUMBER, verbose_name=_("登记号"))
    nationality = tables.Column(verbose_name=_("国籍"))
    address = tables.Column(accessor="address__full_name", verbose_name=_("住宿地址"))
    state = tables.Column(verbose_name=_("状态"))
    due = tables.Column(accessor="next_due_at", verbose_name=_("核查期限"), default="—")
    flags = tables.Column(verbose_name=_("提示"), empty_values=(), default="")

    export_columns = STAY_COLUMNS

    class Meta(StaffTable.Meta):
        attrs = {"class": "table", "id": "stays"}
        row_attrs = {"id": _row_id}

    def render_state(self, record):
        return record.get_state_display()

    def render_due(self, value):
        late = value < timezone.now()
        return format_html(
            '<span class="{}">{}</span>',
            "warn" if late else "",
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M"),
        )

    def render_flags(self, record):
        return format_html_join(
            " ", '<span class="tag labelled">{}</span>', ((label,) for label in _flags(record))
        )


class StayFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=ForeignerStay.State.choices)
    flag = django_filters.ChoiceFilter(choices=tuple(FLAG_LABELS.items()), method="filter_flag")
    overdue = django_filters.ChoiceFilter(
        choices=(("1", _("逾期未核查")),), method="filter_overdue"
    )
    nationality = django_filters.CharFilter(method="filter_nationality")
    q = django_filters.CharFilter(method="filter_text")
    # one yes/no filter per flag (the facets' chips), besides ?flag=<name>
    overstay = django_filters.ChoiceFilter(
        choices=(("1", FLAG_LABELS["overstay"]),), method="filter_flag"
    )
    visa_expiring = django_filters.ChoiceFilter(
        choices=(("1", FLAG_LABELS["visa_expiring"]),), method="filter_flag"
    )
    visa_expired = django_filters.ChoiceFilter(
        choices=(("1", FLAG_LABELS["visa_expired"]),), method="filter_flag"
    )

    class Meta:
        model = ForeignerStay
        fields = ("state", "flag", "overdue", "nationality", "q")

    def filter_flag(self, queryset, name, value):
        return queryset.filter(flag_q(value if name == "flag" else name))

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(next_due_at__lt=timezone.now()) if value == "1" else queryset

    def filter_nationality(self, queryset, name, value):
        return queryset.filter(nationality=value.upper())

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(number__icontains=value) | Q(address__full_name__icontains=value))


def stay_facets():
    today = timezone.localdate()
    return [
        Facet("state", "state", dict(ForeignerStay.State.choices), _("状态")),
        Facet("nationality", "nationality", "", _("国籍")),
        *(Facet(flag, title=label, q=flag_q(flag, today)) for flag, label in FLAG_LABELS.items()),
        Facet("overdue", title=_("逾期未核查"), q=Q(next_due_at__lt=timezone.now())),
    ]
