"""The administrative tree, the police tree, departments, staff and their jurisdictions."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from fengqiao.core.pii import EncryptedField
from fengqiao.core.scoping import ScopedManager

from . import roles


class Place(models.Model):
    """A node of city → county/district → town/street → village/community → grid.

    ``path`` is the chain of codes from the root, e.g. ``/339900/339901/339901001/``; a subtree is
    a path prefix, which is how jurisdiction scoping works everywhere.
    """

    class Level(models.IntegerChoices):
        CITY = 1, _("市")
        COUNTY = 2, _("县（区）")
        TOWN = 3, _("乡镇（街道）")
        VILLAGE = 4, _("村（社区）")
        GRID = 5, _("网格")

    code = models.CharField(_("区划/网格代码"), max_length=24, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    boundary = models.JSONField(_("边界（GeoJSON）"), null=True, blank=True)
    centre_lat = models.FloatField(_("中心纬度"), null=True, blank=True)
    centre_lng = models.FloatField(_("中心经度"), null=True, blank=True)

    objects = ScopedManager()
    scope_path_field = "path"

    class Meta:
        ordering = ["path"]
        verbose_name = _("行政区划/网格")
        verbose_name_plural = _("行政区划/网格")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.path = f"{self.parent.path if self.parent_id else '/'}{self.code}/"
        super().save(*args, **kwargs)

    def ancestor_paths(self) -> list[str]:
        """Paths of this place and every ancestor, root first."""
        parts = self.path.strip("/").split("/")
        return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]

    @property
    def full_name(self):
        return self.name if not self.parent_id else f"{self.parent.full_name} {self.name}"


class Station(models.Model):
    """Police tree: county bureau → station (派出所) → post (警务室/警务站)."""

    class Kind(models.TextChoices):
        BUREAU = "bureau", _("公安局")
        STATION = "station", _("派出所")
        POST = "post", _("警务室")

    code = models.CharField(_("代码"), max_length=24, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    places = models.ManyToManyField(
        Place, blank=True, related_name="stations", verbose_name=_("辖区")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("公安机构")
        verbose_name_plural = _("公安机构")

    def __str__(self):
        return self.name


class Department(models.Model):
    """A functional department (城管, 司法所, 市场监管, 消防 …) and the places it serves."""

    class Kind(models.TextChoices):
        URBAN_MANAGEMENT = "urban_management", _("综合行政执法（城管）")
        JUSTICE = "justice", _("司法所")
        MARKET = "market", _("市场监管")
        FIRE = "fire", _("消防救援")
        CIVIL_AFFAIRS = "civil_affairs", _("民政")
        HOUSING = "housing", _("住建")
        HEALTH = "health", _("卫健")
        GOVERNANCE_CENTRE = "governance_centre", _("综治中心")
        ENVIRONMENT = "environment", _("生态环境")
        HUMAN_RESOURCES = "human_resources", _("人社（劳动监察）")
        OTHER = "other", _("其他")

    code = models.CharField(_("代码"), max_length=24, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=24, choices=Kind.choices)
    place = models.ForeignKey(
        Place, on_delete=models.PROTECT, related_name="departments", verbose_name=_("所属区划")
    )
    places = models.ManyToManyField(
        Place, blank=True, related_name="served_by", verbose_name=_("服务范围")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("职能部门")
        verbose_name_plural = _("职能部门")

    def __str__(self):
        return self.name


class User(AbstractUser):
    """A staff account. Roles are groups named by role code (see ``roles.py``)."""

    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = EncryptedField(_("手机号"), kind="phone", hash_field="phone_hash")
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name=_("所属部门"),
    )
    station = models.ForeignKey(
        Station,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name=_("所属公安机构"),
    )

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")

    def __str__(self):
        return self.display_name or self.username

    @cached_property
    def role_codes(self) -> frozenset[str]:
        return frozenset(self.groups.values_list("name", flat=True))

    def has_role(self, *codes) -> bool:
        return bool(self.role_codes.intersection(codes))

    def role_labels(self) -> list[str]:
        return [str(roles.ROLES[c].label) for c in roles.ROLES if c in self.role_codes]

    def has_place_scope(self) -> bool:
        return any(roles.ROLES[c].scope == roles.PLACE for c in self.role_codes if c in roles.ROLES)

    def needs_second_factor(self) -> bool:
        required = any(roles.ROLES[c].second_factor for c in self.role_codes if c in roles.ROLES)
        return required or self.has_confirmed_device

    @cached_property
    def has_confirmed_device(self) -> bool:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        return TOTPDevice.objects.filter(user=self, confirmed=True).exists()

    @cached_property
    def _scope_paths(self) -> tuple[str, ...]:
        paths = set(Place.objects.filter(jurisdictions__user=self).values_list("path", flat=True))
        paths.update(
            Place.objects.filter(stations__jurisdictions__user=self).values_list("path", flat=True)
        )
        # Drop paths already covered by a shorter one.
        ordered = sorted(paths, key=len)
        kept = [p for i, p in enumerate(ordered) if not any(p.startswith(q) for q in ordered[:i])]
        return tuple(kept)

    def scope_paths(self) -> tuple[str, ...]:
        return self._scope_paths if self.has_place_scope() else ()

    def covers(self, place) -> bool:
        return any(place.path.startswith(p) for p in self.scope_paths())


class Jurisdiction(models.Model):
    """One place (with its subtree) or one police unit (with its places) a staff member serves."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="jurisdictions")
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.PROTECT, related_name="jurisdictions"
    )
    station = models.ForeignKey(
        Station, null=True, blank=True, on_delete=models.PROTECT, related_name="jurisdictions"
    )

    class Meta:
        verbose_name = _("辖区")
        verbose_name_plural = _("辖区")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(place__isnull=False, station__isnull=True)
                    | Q(place__isnull=True, station__isnull=False)
                ),
                name="jurisdiction_place_xor_station",
            ),
            models.UniqueConstraint(fields=["user", "place"], name="jurisdiction_unique_place"),
            models.UniqueConstraint(fields=["user", "station"], name="jurisdiction_unique_station"),
        ]

    def __str__(self):
        return f"{self.user} → {self.place or self.station}"


class Team(models.Model):
    """A "2+N" team of a grid or village: grid worker + community officer + N helpers."""

    name = models.CharField(_("名称"), max_length=100)
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="teams")
    members = models.ManyToManyField(User, through="TeamMember", related_name="teams")

    class Meta:
        ordering = ["place__path", "name"]
        verbose_name = _("2+N 团队")
        verbose_name_plural = _("2+N 团队")

    def __str__(self):
        return self.name


class TeamMember(models.Model):
    class Duty(models.TextChoices):
        GRID_WORKER = "grid_worker", _("网格员")
        COMMUNITY_OFFICER = "community_officer", _("社区民警")
        PATROL = "patrol", _("巡防队员")
        LEGAL_AID = "legal_aid", _("法律援助")
        VOLUNTEER = "volunteer", _("志愿者")
        ELDER = "elder", _("乡贤/五老")
        LAWYER = "lawyer", _("律师")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="team_memberships")
    duty = models.CharField(_("职责"), max_length=20, choices=Duty.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="team_member_unique")]
        verbose_name = _("团队成员")
        verbose_name_plural = _("团队成员")

    def __str__(self):
        return f"{self.team}: {self.user} ({self.get_duty_display()})"


class RoleRequest(models.Model):
    """三员分立: a proposal to give a staff member business roles and jurisdictions.

    The security admin proposes; a second person — a leader whose jurisdiction covers the
    requested places, or another security admin — approves, and only then are the roles and
    jurisdictions given (``services.approve_role_request``). Admin roles are never granted here.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="role_requests", verbose_name=_("工作人员")
    )
    roles = models.JSONField(_("申请的角色"), default=list)
    places = models.ManyToManyField(Place, blank=True, related_name="+", verbose_name=_("区划"))
    stations = models.ManyToManyField(
        Station, blank=True, related_name="+", verbose_name=_("公安机构")
    )
    reason = models.CharField(_("理由"), max_length=200)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    proposed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("申请人")
    )
    proposed_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("审批人"),
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("角色授权申请")
        verbose_name_plural = _("角色授权申请")
        permissions = [("approve_rolerequest", "可审批角色授权申请（双人审批）")]
        default_permissions = ("add", "view")

    def __str__(self):
        return f"{self.user} ← {', '.join(self.roles)}"
