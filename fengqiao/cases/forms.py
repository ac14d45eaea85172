"""Forms of the resident report page and of the staff entry page."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Case, Urgency


def category_choices(groups):
    """Grouped choices from services.categories(): parents with children become optgroups."""
    choices = [("", _("请选择类别"))]
    for parent, children in groups:
        if children:
            choices.append((parent.name, [(c.code, c.name) for c in children]))
        else:
            choices.append((parent.code, parent.name))
    return choices


class ReportForm(forms.Form):
    client_id = forms.CharField(widget=forms.HiddenInput, max_length=64)
    category = forms.ChoiceField(label=_("类别"))
    description = forms.CharField(
        label=_("情况描述"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("发生了什么？在哪里？")}),
    )
    location_text = forms.CharField(label=_("地点"), max_length=200, required=False)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    share_location = forms.BooleanField(label=_("同意保留照片中的位置信息"), required=False)
    anonymous = forms.BooleanField(label=_("匿名反映"), required=False)
    reporter_name = forms.CharField(label=_("姓名（选填）"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=_("手机号（选填）"), max_length=20, required=False)
    consent = forms.BooleanField(
        label=_("我已阅读上方个人信息告知"),
        error_messages={"required": _("请先阅读并勾选个人信息告知")},
    )
    # PIPL Art. 29: sensitive personal information (a precise location, voice, images of people)
    # needs its own, separate consent; asked only when such data is sent (checked in the view).
    sensitive_consent = forms.BooleanField(
        label=_("我单独同意处理我提供的敏感个人信息（地图位置、照片、语音）"), required=False
    )

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices(groups)
        if not self.is_bound:
            self.initial.setdefault("client_id", uuid.uuid4().hex)


class StaffReportForm(ReportForm):
    source = forms.ChoiceField(
        label=_("来源"),
        choices=[
            (Case.Source.HOTLINE, Case.Source.HOTLINE.label),
            (Case.Source.WALK_IN, Case.Source.WALK_IN.label),
            (Case.Source.GRID_WORKER, Case.Source.GRID_WORKER.label),
            (Case.Source.PATROL, Case.Source.PATROL.label),
            (Case.Source.TRANSFER_110, Case.Source.TRANSFER_110.label),
        ],
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"), choices=[("", _("按类别默认"))] + list(Urgency.choices), required=False
    )
    grid = forms.TypedChoiceField(label=_("网格"), coerce=int)
    consent = None
    sensitive_consent = None

    def __init__(self, *args, grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = [(g.pk, g.full_name) for g in grids]


class TrackForm(forms.Form):
    code = forms.CharField(label=_("查询码"), max_length=12)


PARTY_ROWS = (1, 2, 3)


class SpawnDisputeForm(forms.Form):
    """转矛盾纠纷调解: the dispute type, two parties (a third optional) and a note."""

    type = forms.ChoiceField(label=_("纠纷类型"))
    note = forms.CharField(
        label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", _("请选择纠纷类型"))] + [
            (t.code, t.name) for t in types
        ]
        for n in PARTY_ROWS:
            required = n <= 2
            self.fields[f"party{n}_name"] = forms.CharField(
                label=_("姓名/名称"), max_length=100, required=required
            )
            self.fields[f"party{n}_kind"] = forms.ChoiceField(
                label=_("类别"),
                choices=[("person", _("自然人")), ("organisation", _("法人/其他组织"))],
                required=False,
            )
            self.fields[f"party{n}_phone"] = forms.CharField(
                label=_("联系电话（选填）"), max_length=30, required=False
            )
            self.fields[f"party{n}_id_number"] = forms.CharField(
                label=_("身份证号/统一社会信用代码（选填）"), max_length=30, required=False
            )
            self.fields[f"party{n}_address"] = forms.CharField(
                label=_("住址（选填）"), max_length=200, required=False
            )

    def party_rows(self):
        """[(n, name, kind, phone, id_number, address fields)] for the template."""
        return [
            (
                n,
                self[f"party{n}_name"],
                self[f"party{n}_kind"],
                self[f"party{n}_phone"],
                self[f"party{n}_id_number"],
                self[f"party{n}_address"],
            )
            for n in PARTY_ROWS
        ]

    def parties(self):
        data = self.cleaned_data
        return [
            {
                "name": data.get(f"party{n}_name", ""),
                "kind": data.get(f"party{n}_kind") or "person",
                "phone": data.get(f"party{n}_phone", ""),
                "id_number": data.get(f"party{n}_id_number", ""),
                "address": data.get(f"party{n}_address", ""),
            }
            for n in PARTY_ROWS
        ]
