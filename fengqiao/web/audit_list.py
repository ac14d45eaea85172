"""The audit log on the shared list component (``web.lists``): newest first, filters (action or
its domain, result, user, period) with a count per result, and the masked xlsx (itself audited)."""

import json
from datetime import timedelta

import django_filters
import django_tables2 as tables
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.core.exports import personal
from fengqiao.core.models import AuditEvent

from .lists import Facet, StaffTable


def _audit_data(event):
    return json.dumps(event.data, ensure_ascii=False, sort_keys=True) if event.data else ""


# The audit log as xlsx (itself audited): the source IP and the free data masked unless asked.
AUDIT_COLUMNS = (
    (_("时间"), "at"),
    (_("用户"), "username"),
    ("IP", personal("ip", "ip")),
    (_("操作"), "action"),
    (_("对象类型"), "target_type"),
    (_("对象"), "target_id"),
    (_("结果"), "get_result_display"),
    (_("请求编号"), "request_id"),
    (_("数据"), personal(_audit_data)),
)

TARGET = """{{ record.target_type }} {{ record.target_id }}"""


def _row_id(record, **kwargs):
    return f"audit-{record.pk}"


class AuditTable(StaffTable):
    at = tables.DateTimeColumn(format="Y-m-d H:i:s", verbose_name=_("时间"))
    username = tables.Column(verbose_name=_("用户"), default="")
    ip = tables.Column(verbose_name="IP", default="")
    action = tables.Column(verbose_name=_("操作"))
    target = tables.TemplateColumn(TARGET, verbose_name=_("对象"), empty_values=())
    result = tables.Column(verbose_name=_("结果"))

    export_columns = AUDIT_COLUMNS

    class Meta(StaffTable.Meta):
        attrs = {"class": "table", "id": "audit"}
        row_attrs = {"id": _row_id}

    def render_result(self, record):
        return record.get_result_display()


PERIODS = (("1", _("24小时内")), ("7", _("7天内")), ("30", _("30天内")))


class AuditFilter(django_filters.FilterSet):
    """``action``: one action (``auth.login``) or a domain (``auth.`` / ``auth``: every action in it)."""

    action = django_filters.CharFilter(method="filter_action")
    result = django_filters.ChoiceFilter(choices=AuditEvent.Result.choices)
    user = django_filters.CharFilter(field_name="username")
    days = django_filters.ChoiceFilter(choices=PERIODS, method="filter_days")

    class Meta:
        model = AuditEvent
        fields = ("action", "result", "user", "days")

    def filter_action(self, queryset, name, value):
        if value.endswith(".") or "." not in value:
            prefix = value.rstrip(".") + "."
            return queryset.filter(Q(action=value.rstrip(".")) | Q(action__startswith=prefix))
        return queryset.filter(action=value)

    def filter_days(self, queryset, name, value):
        return queryset.filter(at__gte=timezone.now() - timedelta(days=int(value)))


def audit_facets():
    return [
        Facet("result", "result", dict(AuditEvent.Result.choices), _("结果")),
        Facet("days", title=_("24小时内"), q=Q(at__gte=timezone.now() - timedelta(days=1))),
    ]
