from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from fengqiao.core.errors import ServiceError

from . import moves, services
from .models import (
    Department,
    Jurisdiction,
    Place,
    RoleRequest,
    Station,
    Team,
    TeamMember,
    User,
)
from .roles import BUSINESS_ROLES, ROLES


class PlaceMoveForm(forms.Form):
    parent_code = forms.CharField(label=_("新上级代码"), max_length=24, required=False)
    code = forms.CharField(label=_("新代码"), max_length=24, required=False)


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    """Code and parent are set when a place is created; afterwards they change only through
    ``org.moves`` (the "move / recode" page here, or ``fengqiao place``), which rewrites every
    stored path in the same transaction."""

    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    raw_id_fields = ("parent",)

    def get_readonly_fields(self, request, obj=None):
        return ("code", "parent", "level", "move_link") if obj else ()

    @admin.display(description=_("调整"))
    def move_link(self, obj):
        url = reverse("admin:org_place_move", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("迁移上级 / 更改代码"))

    def get_urls(self):
        move = self.admin_site.admin_view(self.move_view)
        return [path("<int:pk>/move/", move, name="org_place_move"), *super().get_urls()]

    def move_view(self, request, pk):
        place = get_object_or_404(Place, pk=pk)
        if not self.has_change_permission(request, place):
            raise PermissionDenied
        form = PlaceMoveForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                place = _move_or_recode(place, form.cleaned_data, request.user)
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, _("已调整：%(path)s") % {"path": place.path})
                return redirect("admin:org_place_change", place.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": place,
            "form": form,
            "title": _("迁移上级 / 更改代码：%(name)s") % {"name": place.name},
        }
        return TemplateResponse(request, "admin/org/place/move.html", context)


def _move_or_recode(place, data, actor):
    parent_code, code = data["parent_code"].strip(), data["code"].strip()
    if not parent_code and not code:
        raise ServiceError(_("请填写新上级代码或新代码"), code="required")
    with transaction.atomic():
        if parent_code:
            parent = Place.objects.filter(code=parent_code).first()
            if parent is None:
                raise ServiceError(_("未知上级代码：%(code)s") % {"code": parent_code})
            place = moves.move_place(place, parent, actor)
        if code:
            place = moves.recode_place(place, code, actor)
    return place


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent")
    list_filter = ("kind",)
    search_fields = ("code", "name")
    filter_horizontal = ("places",)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "place")
    list_filter = ("kind",)
    search_fields = ("code", "name")
    filter_horizontal = ("places",)


class JurisdictionInline(admin.TabularInline):
    """Jurisdictions can be taken away here; they are given only by an approved role request."""

    model = Jurisdiction
    extra = 0
    raw_id_fields = ("place", "station")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StaffChangeForm(UserChangeForm):
    """Roles can be taken away here, never given: 三员分立 (see ``org.signals``)."""

    def clean_groups(self):
        groups = self.cleaned_data.get("groups")
        if self.instance.pk is None or groups is None:
            return groups
        before = set(self.instance.groups.values_list("pk", flat=True))
        if {g.pk for g in groups} - before:
            raise forms.ValidationError(
                _("此处只能撤销角色。授予业务角色请提交“角色授权申请”，由第二人审批后生效；")
                + _("管理员角色只能由运维人员在服务器上授予。")
            )
        return groups


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = StaffChangeForm
    list_display = ("username", "display_name", "department", "is_active", "last_login")
    search_fields = ("username", "display_name")
    inlines = [JurisdictionInline]

    def save_model(self, request, obj, form, change):
        if change and obj.pk == request.user.pk and form.changed_data:
            # Password and name are changed by the person themself outside the admin.
            watched = {"is_active", "groups", "department", "station"}
            if watched & set(form.changed_data):
                raise ServiceError(_("不能修改自己的账户状态、角色或所属单位"), code="self_change")
        super().save_model(request, obj, form, change)

    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("display_name", "department", "station")}),
        (_("角色与权限"), {"fields": ("is_active", "groups")}),
        (_("时间"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "place")
    inlines = [TeamMemberInline]


class RoleRequestForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("申请的角色"),
        choices=[(code, ROLES[code].label) for code in BUSINESS_ROLES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = RoleRequest
        fields = ("user", "roles", "places", "stations", "reason")


@admin.register(RoleRequest)
class RoleRequestAdmin(admin.ModelAdmin):
    """The security admin proposes; a leader (staff page) or a second security admin approves."""

    form = RoleRequestForm
    list_display = ("user", "roles", "state", "proposed_by", "proposed_at", "decided_by")
    list_filter = ("state",)
    raw_id_fields = ("user",)
    filter_horizontal = ("places", "stations")
    actions = ["approve", "reject"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        created = services.propose_role_request(
            user=data["user"],
            roles=data["roles"],
            places=data["places"],
            stations=data["stations"],
            reason=data["reason"],
            actor=request.user,
        )
        obj.pk = created.pk

    def save_related(self, request, form, formsets, change):
        pass  # the service set places and stations

    def _decide(self, request, queryset, approve):
        done = 0
        for row in queryset:
            try:
                services.decide_role_request(row, actor=request.user, approve=approve)
                done += 1
            except ServiceError as exc:
                self.message_user(request, f"{row}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, _("已处理 %(n)d 项申请") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("批准所选申请"), permissions=["approve"])
    def approve(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description=_("驳回所选申请"), permissions=["approve"])
    def reject(self, request, queryset):
        self._decide(request, queryset, False)

    def has_approve_permission(self, request):
        return request.user.has_perm("org.approve_rolerequest")
