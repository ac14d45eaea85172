"""系统设置: the settings the system administrator changes in the staff shell (not the Django admin):
categories and their deadlines per urgency, dispatch rules, dispute types, notification templates,
the 无案村 criteria, the holiday calendar.

Each section is a list (exportable to xlsx), an add/edit form with the record's version history,
and for some a delete. Every save goes through ``core.versioning.save`` (validated by the form,
versioned, audited); the role's permissions come from each app's ``permissions.py``.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fengqiao.cases.models import Category, DispatchRule, Holiday
from fengqiao.core import exports, versioning
from fengqiao.core.authz import authorize, has_perm, require_perm
from fengqiao.core.errors import NotFound
from fengqiao.core.models import NotificationTemplate
from fengqiao.disputes.models import DisputeType
from fengqiao.insights.models import VillageCriterion

from . import settings_forms as forms


def _deadline_summary(category):
    parts = []
    for urgency, spans in (category.deadlines or {}).items():
        if isinstance(spans, dict):
            parts.append(f"{urgency}: " + ", ".join(f"{k}={v}" for k, v in spans.items()))
    return "; ".join(parts) or "—"


def _village_criteria():
    from fengqiao.insights import villages

    villages.install_defaults()
    return VillageCriterion.objects.all()


@dataclass
class Section:
    key: str
    title: str
    model: type
    form: type
    columns: list = field(default_factory=list)  # [(header, accessor)] for the list and export
    topics: tuple = ()
    deletable: bool = False
    queryset: object = None

    def perm(self, verb):
        meta = self.model._meta
        return f"{meta.app_label}.{verb}_{meta.model_name}"

    def rows(self):
        qs = self.queryset() if self.queryset else self.model._default_manager.all()
        return qs


SECTIONS = {
    s.key: s
    for s in (
        Section(
            "categories",
            gettext_lazy("事件类别与时限"),
            Category,
            forms.CategoryForm,
            [
                (gettext_lazy("代码"), "code"),
                (gettext_lazy("名称"), lambda c: str(c)),
                (gettext_lazy("默认紧急程度"), "get_urgency_display"),
                (gettext_lazy("时限（覆盖默认值）"), _deadline_summary),
                (gettext_lazy("版本"), "version"),
                (gettext_lazy("启用"), "active"),
            ],
            queryset=lambda: Category.objects.select_related("parent"),
        ),
        Section(
            "dispatch-rules",
            gettext_lazy("派单规则"),
            DispatchRule,
            forms.DispatchRuleForm,
            [
                (gettext_lazy("类别"), "category"),
                (gettext_lazy("适用区域（含下级）"), "place.name"),
                (gettext_lazy("责任单位"), "unit"),
                (gettext_lazy("受理后自动派单"), "auto_dispatch"),
            ],
            deletable=True,
            queryset=lambda: DispatchRule.objects.select_related(
                "category__parent", "place", "department", "team"
            ).order_by("category__sort", "place__path"),
        ),
        Section(
            "dispute-types",
            gettext_lazy("纠纷类型与时限"),
            DisputeType,
            forms.DisputeTypeForm,
            [
                (gettext_lazy("代码"), "code"),
                (gettext_lazy("名称"), "name"),
                (gettext_lazy("小事时限（小时）"), "small_hours"),
                (gettext_lazy("大事时限（小时）"), "large_hours"),
                (gettext_lazy("版本"), "version"),
                (gettext_lazy("启用"), "active"),
            ],
        ),
        Section(
            "notification-templates",
            gettext_lazy("通知模板"),
            NotificationTemplate,
            forms.NotificationTemplateForm,
            [
                (gettext_lazy("通知"), "key"),
                (gettext_lazy("标题（中文）"), lambda t: t.title_zh or "—"),
                (gettext_lazy("标题（英文）"), lambda t: t.title_en or "—"),
                (gettext_lazy("版本"), "version"),
                (gettext_lazy("启用"), "active"),
            ],
            topics=("notification_templates",),
        ),
        Section(
            "village-criteria",
            gettext_lazy("无案村评定标准"),
            VillageCriterion,
            forms.VillageCriterionForm,
            [
                (gettext_lazy("代码"), "code"),
                (gettext_lazy("名称"), "name"),
                (gettext_lazy("依据"), "get_kind_display"),
                (gettext_lazy("取值"), "values"),
                (gettext_lazy("允许条数"), "allowed"),
                (gettext_lazy("版本"), "version"),
                (gettext_lazy("启用"), "active"),
            ],
            queryset=lambda: _village_criteria(),
        ),
        Section(
            "holidays",
            gettext_lazy("节假日与调休"),
            Holiday,
            forms.HolidayForm,
            [
                (gettext_lazy("日期"), lambda h: h.day.isoformat()),
                (gettext_lazy("类型"), "get_kind_display"),
                (gettext_lazy("名称"), "name"),
            ],
            topics=("holidays",),
            deletable=True,
        ),
    )
}


def _section(key, verb="view"):
    section = SECTIONS.get(key)
    if section is None:
        raise NotFound(_("没有这项设置"))
    return section


def sections_for(user):
    return [s for s in SECTIONS.values() if has_perm(user, s.perm("view"))]


def _cells(section, row):
    values = []
    for _label, accessor in section.columns:
        if callable(accessor):
            value = accessor(row)
        else:
            value = row
            for part in accessor.split("."):
                value = getattr(value, part, None) if value is not None else None
            if callable(value):
                value = value()
        values.append(exports.cell_value(value))
    return values


@authorize(perm=None)
def index(request):
    sections = sections_for(request.user)
    if not sections:
        require_perm(request.user, "cases.view_category")
    return render(request, "web/settings/index.html", {"sections": sections})


@authorize(perm=None)
def section_list(request, section):
    section = _section(section)
    require_perm(request.user, section.perm("view"))
    rows = section.rows()
    if request.GET.get("format") == "xlsx":
        return exports.list_xlsx(
            request,
            rows,
            section.columns,
            kind=f"settings.{section.key}",
            filename=f"settings-{section.key}.xlsx",
            sheet_title=str(section.title),
        )
    table = [(row, _cells(section, row)) for row in rows]
    return render(
        request,
        "web/settings/list.html",
        {
            "section": section,
            "headers": [label for label, _a in section.columns],
            "table": table,
            "can_add": has_perm(request.user, section.perm("add")),
            "sections": sections_for(request.user),
        },
    )


@authorize(perm=None)
def edit(request, section, pk=None):
    section = _section(section)
    if pk is None:
        require_perm(request.user, section.perm("add"))
        instance = section.model()
    else:
        require_perm(request.user, section.perm("view"))
        instance = get_object_or_404(section.model, pk=pk)
    before = versioning.snapshot(instance) if pk is not None else {}
    can_change = has_perm(request.user, section.perm("change" if pk else "add"))
    form = section.form(request.POST or None, instance=instance)
    status = 200
    if request.method == "POST":
        require_perm(request.user, section.perm("change" if pk else "add"))
        if form.is_valid():
            record = form.save(commit=False)
            version = versioning.save(
                request.user,
                record,
                before=before,
                note=request.POST.get("note", ""),
                topics=section.topics,
            )
            if version is None:
                messages.info(request, _("没有修改"))
            else:
                messages.success(
                    request,
                    _("已保存：%(what)s（第%(n)s版）") % {"what": record, "n": version.version},
                )
            return redirect("web:settings_list", section=section.key)
        status = 400
    context = {
        "section": section,
        "form": form,
        "instance": instance if pk else None,
        "history": versioning.history(instance) if pk else [],
        "can_change": can_change,
        "can_delete": section.deletable and pk and has_perm(request.user, section.perm("delete")),
        "sections": sections_for(request.user),
    }
    return render(request, "web/settings/edit.html", context, status=status)


@require_POST
@authorize(perm=None)
def delete(request, section, pk):
    section = _section(section)
    if not section.deletable:
        raise NotFound(_("这项设置不能删除"))
    require_perm(request.user, section.perm("delete"))
    instance = get_object_or_404(section.model, pk=pk)
    label = str(instance)
    versioning.delete(request.user, instance, topics=section.topics)
    messages.success(request, _("已删除：%(what)s") % {"what": label})
    return redirect("web:settings_list", section=section.key)
