"""Forms of the settings staff can change: every value checked with a clear message before
``core.versioning.save`` stores it (the forms never save by themselves)."""

from django import forms
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.cases import workdays
from fengqiao.cases.models import Category, DispatchRule, Holiday, Urgency
from fengqiao.cases.workflow import DEFAULT_DEADLINES
from fengqiao.core import messages
from fengqiao.core.models import NotificationTemplate
from fengqiao.disputes.models import LEVELS, DisputeType
from fengqiao.org.models import Department, Place, Team

DEADLINE_KINDS = (
    ("accept", gettext_lazy("受理")),
    ("dispatch", gettext_lazy("派单")),
    ("claim", gettext_lazy("签收")),
    ("contact", gettext_lazy("联系反映人")),
    ("arrive", gettext_lazy("到场")),
    ("handle", gettext_lazy("办结")),
    ("verify", gettext_lazy("核查")),
)
# The longest a deadline may be: 60 working days, or the same in hours/minutes (a typo such as
# "4000d" is refused rather than silently switching supervision off).
MAX_SPAN = {"m": 60 * 24 * 60, "h": 60 * 24, "d": 60}
SPAN_HELP = gettext_lazy("数字加单位：m 分钟、h 小时、d 工作日，如 30m、4h、2d；留空则用默认值")


def clean_span(value):
    """'30m' / '4h' / '2d' (whitespace and case forgiven), or '' for the default."""
    value = (value or "").strip().lower().replace(" ", "")
    if not value:
        return ""
    number, unit = value[:-1], value[-1:]
    if unit not in MAX_SPAN or not number.isdigit():
        raise forms.ValidationError(
            _("“%(v)s”不是有效的时限：请写数字加单位 m（分钟）、h（小时）或 d（工作日），如 4h")
            % {"v": value}
        )
    amount = int(number)
    if amount <= 0:
        raise forms.ValidationError(_("时限必须大于0"))
    if amount > MAX_SPAN[unit]:
        raise forms.ValidationError(_("时限过长：最长60个工作日（或相当的小时、分钟数）"))
    return f"{amount}{unit}"


def deadline_field_name(urgency, kind):
    return f"dl_{urgency}_{kind}"


class CategoryForm(forms.ModelForm):
    """A category and its deadlines per urgency (one input per urgency × kind)."""

    class Meta:
        model = Category
        fields = [
            "code",
            "name",
            "parent",
            "urgency",
            "allow_anonymous",
            "description",
            "keywords",
            "active",
            "sort",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].label = _("上级类别")
        if self.instance.pk:
            self.fields["code"].disabled = True  # codes are referenced by API clients
            self.fields["parent"].queryset = Category.objects.filter(parent__isnull=True).exclude(
                pk=self.instance.pk
            )
        else:
            self.fields["parent"].queryset = Category.objects.filter(parent__isnull=True)
        current = self.instance.deadlines or {}
        self.deadline_rows = []
        for urgency, urgency_label in Urgency.choices:
            override = current.get(urgency) if isinstance(current.get(urgency), dict) else {}
            row = {"label": urgency_label, "fields": []}
            for kind, _label in DEADLINE_KINDS:
                name = deadline_field_name(urgency, kind)
                default = DEFAULT_DEADLINES.get(urgency, {}).get(kind, "")
                flat = current.get(kind) if isinstance(current.get(kind), str) else ""
                self.fields[name] = forms.CharField(
                    label=f"{urgency_label} · {_label}",
                    required=False,
                    max_length=8,
                    initial=override.get(kind) or flat or "",
                    help_text=SPAN_HELP,
                    widget=forms.TextInput(
                        attrs={"placeholder": default or "—", "size": 5, "class": "span"}
                    ),
                )
                row["fields"].append(name)
            self.deadline_rows.append(row)

    def deadline_table(self):
        """Rows for the template: (urgency label, [bound fields in kind order])."""
        return [
            (row["label"], [self[name] for name in row["fields"]]) for row in self.deadline_rows
        ]

    def clean(self):
        cleaned = super().clean()
        deadlines = {}
        for urgency, _label in Urgency.choices:
            values = {}
            for kind, _kind_label in DEADLINE_KINDS:
                name = deadline_field_name(urgency, kind)
                try:
                    value = clean_span(self.data.get(self.add_prefix(name), ""))
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
                    continue
                cleaned[name] = value
                if value:
                    values[kind] = value
            if values:
                deadlines[urgency] = values
        parent = cleaned.get("parent")
        if parent is not None and parent.parent_id:
            self.add_error("parent", _("上级类别只能是一级类别"))
        self.instance.deadlines = deadlines
        return cleaned


class DispatchRuleForm(forms.ModelForm):
    class Meta:
        model = DispatchRule
        fields = ["category", "place", "department", "team", "auto_dispatch"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(active=True)
        self.fields["place"].queryset = Place.objects.order_by("path")
        self.fields["department"].queryset = Department.objects.order_by("name")
        self.fields["team"].queryset = Team.objects.order_by("name")

    def clean(self):
        cleaned = super().clean()
        department, team = cleaned.get("department"), cleaned.get("team")
        if bool(department) == bool(team):
            raise forms.ValidationError(_("责任部门和责任团队请选择且只选择一个"))
        category, place = cleaned.get("category"), cleaned.get("place")
        if category and place:
            clash = DispatchRule.objects.filter(category=category, place=place)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise forms.ValidationError(_("该类别在该区域已有派单规则，请修改原规则而不是新增"))
        return cleaned


class DisputeTypeForm(forms.ModelForm):
    class Meta:
        model = DisputeType
        fields = ["code", "name", "order", "active", "small_hours", "large_hours"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True
        current = self.instance.level_hours or {}
        self.level_rows = []
        for level, label in LEVELS.items():
            names = []
            for size, size_label in (("small", _("小事")), ("large", _("大事"))):
                name = f"lv_{level}_{size}"
                value = (current.get(str(level)) or {}).get(size)
                self.fields[name] = forms.IntegerField(
                    label=f"{label} · {size_label}",
                    required=False,
                    min_value=1,
                    max_value=24 * 90,
                    initial=value,
                )
                names.append(name)
            self.level_rows.append((label, names))

    def level_table(self):
        return [(label, [self[n] for n in names]) for label, names in self.level_rows]

    def clean_small_hours(self):
        return self._hours("small_hours")

    def clean_large_hours(self):
        return self._hours("large_hours")

    def _hours(self, name):
        value = self.cleaned_data.get(name)
        if value is None or value < 1 or value > 24 * 90:
            raise forms.ValidationError(_("时限须在1到2160小时之间"))
        return value

    def clean(self):
        cleaned = super().clean()
        small, large = cleaned.get("small_hours"), cleaned.get("large_hours")
        if small and large and large < small:
            self.add_error("large_hours", _("大事时限不能短于小事时限"))
        level_hours = {}
        for level in LEVELS:
            sizes = {}
            for size in ("small", "large"):
                value = cleaned.get(f"lv_{level}_{size}")
                if value:
                    sizes[size] = value
            if sizes:
                level_hours[str(level)] = sizes
        self.instance.level_hours = level_hours
        return cleaned


class HolidayForm(forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ["day", "kind", "name"]
        widgets = {"day": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def clean(self):
        cleaned = super().clean()
        day, kind = cleaned.get("day"), cleaned.get("kind")
        if not day:
            return cleaned
        # Only a change to the national calendar (or to Monday–Friday where it is unknown) is useful.
        working = workdays.base_working_day(day)
        if kind == Holiday.Kind.HOLIDAY and not working:
            if day.weekday() >= 5:
                self.add_error("day", _("周末本来就不计工作日，不必设为休息日"))
            else:
                self.add_error("day", _("该日按国家节假日安排已是休息日，不必再设"))
        if kind == Holiday.Kind.WORKDAY and working:
            if day.weekday() < 5:
                self.add_error("day", _("调休上班日必须是周六或周日"))
            else:
                self.add_error("day", _("该日按国家调休安排已是上班日，不必再设"))
        return cleaned


def message_default(key, language):
    """A message's built-in (title, body) text in ``language``, placeholders left in."""
    message = messages.MESSAGES.get(key)
    if message is None:
        return "", ""
    with translation.override(language):
        body = str(message.body or "")
        if not body and message.body_param:
            body = f"%({message.body_param})s"
        return str(message.title), body


def message_choices():
    return [
        (key, f"{key} · {message_default(key, translation.get_language() or 'zh-hans')[0]}")
        for key in sorted(messages.MESSAGES)
    ]


class NotificationTemplateForm(forms.ModelForm):
    """The wording of one notification, Chinese and English; empty = the built-in text (shown in
    grey). Only the message's own placeholders may be used."""

    TEXTS = ("title_zh", "body_zh", "title_en", "body_en")

    class Meta:
        model = NotificationTemplate
        fields = ["key", "title_zh", "body_zh", "title_en", "body_en", "active"]
        widgets = {
            "body_zh": forms.Textarea(attrs={"rows": 3}),
            "body_en": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"] = forms.ChoiceField(
            label=_("通知"), choices=message_choices(), initial=self.instance.key or None
        )
        if self.instance.pk:
            self.fields["key"].disabled = True
        key = self.instance.key or (self.data.get(self.add_prefix("key")) if self.data else "")
        message = messages.MESSAGES.get(key)
        if message is not None:
            allowed = _("、").join(f"%({n})s" for n in sorted(message.placeholders())) or "—"
            for name in self.TEXTS:
                language = "en" if name.endswith("_en") else "zh-hans"
                default = message_default(key, language)[0 if name.startswith("title") else 1]
                self.fields[name].widget.attrs["placeholder"] = default
                self.fields[name].help_text = _("可用的占位符：%(names)s") % {"names": allowed}

    def clean_key(self):
        key = self.cleaned_data.get("key")
        if key not in messages.MESSAGES:
            raise forms.ValidationError(_("没有这种通知"))
        clash = NotificationTemplate.objects.filter(key=key).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("该通知已有模板，请修改原模板"))
        return key

    def clean(self):
        cleaned = super().clean()
        key = cleaned.get("key") or self.instance.key
        message = messages.MESSAGES.get(key)
        if message is None:
            return cleaned
        allowed = _("、").join(f"%({n})s" for n in sorted(message.placeholders())) or "—"
        for name in self.TEXTS:
            text = (cleaned.get(name) or "").strip()
            cleaned[name] = text
            unknown = messages.check_template(key, text)
            if unknown:
                self.add_error(
                    name,
                    _("未知的占位符：%(bad)s。可用的占位符：%(names)s（百分号请写作 %%%%）")
                    % {"bad": _("、").join(unknown), "names": allowed},
                )
        return cleaned


class VillageCriterionForm(forms.ModelForm):
    """A 无案村 criterion: the values are checked against what its kind reads (category codes,
    risk colours, a mediation level …), so a typo cannot silently make every village 达标."""

    class Meta:
        from fengqiao.insights.models import VillageCriterion

        model = VillageCriterion
        fields = ["code", "name", "kind", "values", "allowed", "active", "sort"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True  # statuses keep the code they were evaluated with

    def clean_code(self):
        code = (self.cleaned_data.get("code") or "").strip()
        if not code.replace("_", "").isalnum() or not code.isascii():
            raise forms.ValidationError(_("代码只能包含英文字母、数字和下划线"))
        return code

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        values = [
            v.strip() for v in (data.get("values") or "").replace("，", ",").split(",") if v.strip()
        ]
        if kind and not values:
            self.add_error("values", _("请填写取值"))
            return data
        unknown = self._unknown(kind, values)
        if unknown:
            self.add_error("values", _("以下取值不正确：%(v)s") % {"v": "、".join(unknown)})
        data["values"] = ",".join(values)
        return data

    @staticmethod
    def _unknown(kind, values):
        from fengqiao.risks.models import RiskCategory

        if kind == "cases":
            known = set(Category.objects.values_list("code", flat=True))
        elif kind == "escalation":
            known = {"low", "medium", "high"}
        elif kind == "disputes_above":
            known = {str(level) for level in LEVELS} if len(values) == 1 else set()
            if len(values) != 1:
                return values
        elif kind == "risks":
            known = {"red", "orange", "blue", "green"}
        elif kind == "risk_categories":
            known = set(RiskCategory.objects.values_list("code", flat=True))
        else:
            return []  # alerts: the 警情类别 as imported (free text)
        return [v for v in values if v not in known]
