"""Cases (事件/工单): categories, dispatch rules, the case itself and its supervision cards.

The case's state changes only through ``cases.services`` (on the shared workflow kernel); the
timeline, deadlines, attachments and notifications live in ``core``.
"""

import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.core.models import DeadlineTracked
from fengqiao.core.pii import EncryptedField
from fengqiao.core.scoping import ScopedModel

TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(10))


class Urgency(models.TextChoices):
    URGENT = "urgent", _("紧急")
    ORDINARY = "ordinary", _("一般")
    COMPLEX = "complex", _("复杂")


class Category(models.Model):
    """A node of the category tree (editable in admin). Leaves are what residents pick."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    urgency = models.CharField(
        _("默认紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.ORDINARY
    )
    allow_anonymous = models.BooleanField(_("允许匿名"), default=True)
    deadlines = models.JSONField(
        _("时限（覆盖默认值）"),
        default=dict,
        blank=True,
        help_text='e.g. {"handle": "2d"} working days, {"claim": "5m"} minutes, {"accept": "4h"} hours',
    )
    description = models.CharField(_("说明"), max_length=200, blank=True)
    keywords = models.CharField(_("关键词"), max_length=200, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)
    # The version of the deadline rule (``deadlines`` over the urgency defaults); a case keeps the
    # version it started with (``Case.deadline_rule``). Bumped by ``core.versioning.save``.
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    # Separation of duties (核查): who may verify what someone resolved. The one who resolved a
    # case never verifies it; "role" also asks for a verifier holding none of the resolver's roles.
    verification = models.CharField(
        _("核查要求"),
        max_length=10,
        choices=[("person", _("另一人核查")), ("role", _("另一角色核查"))],
        default="person",
    )

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = _("事件类别")
        verbose_name_plural = _("事件类别")

    def __str__(self):
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name

    def deadline_rule(self):
        """The rule a case starting now keeps for its whole life (its deadlines per urgency)."""
        return {"version": self.version, "deadlines": self.deadlines or {}}


class DispatchRule(models.Model):
    """Category × place → the responsible department or team. The most specific rule wins."""

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="rules", verbose_name=_("类别")
    )
    place = models.ForeignKey(
        "org.Place",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("适用区域（含下级）"),
    )
    department = models.ForeignKey(
        "org.Department",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("责任部门"),
    )
    team = models.ForeignKey(
        "org.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("责任团队"),
    )
    auto_dispatch = models.BooleanField(_("受理后自动派单"), default=False)

    class Meta:
        verbose_name = _("派单规则")
        verbose_name_plural = _("派单规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(department__isnull=False, team__isnull=True)
                | Q(department__isnull=True, team__isnull=False),
                name="dispatch_rule_one_target",
            )
        ]

    def __str__(self):
        return f"{self.category} @ {self.place} → {self.unit}"

    @property
    def unit(self):
        return self.department or self.team


class Holiday(models.Model):
    """The holiday calendar (节假日与调休): a day off on a weekday, or a working weekend day.
    Working-day deadlines skip the days off and count the make-up days (``cases.workdays``);
    the ``FENGQIAO_HOLIDAYS`` / ``FENGQIAO_WORKDAYS`` settings still add to it."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("休息日")
        WORKDAY = "workday", _("调休上班日")

    day = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.HOLIDAY)
    name = models.CharField(_("名称"), max_length=40, blank=True)

    class Meta:
        ordering = ["day"]
        verbose_name = _("节假日")
        verbose_name_plural = _("节假日")

    def __str__(self):
        return f"{self.day:%Y-%m-%d} {self.get_kind_display()} {self.name}".strip()


class Case(DeadlineTracked, ScopedModel):
    class State(models.TextChoices):
        REPORTED = "reported", _("待受理")
        ACCEPTED = "accepted", _("已立案")
        REJECTED = "rejected", _("不予受理")
        MERGED = "merged", _("已合并")
        DISPATCHED = "dispatched", _("已派单")
        RETURNED = "returned", _("已退单")
        CLAIMED = "claimed", _("已签收")
        IN_PROGRESS = "in_progress", _("处置中")
        RESOLVED = "resolved", _("处置完毕")
        VERIFIED = "verified", _("已核查")
        CLOSED = "closed", _("已结案")

    class Source(models.TextChoices):
        RESIDENT = "resident", _("群众扫码")
        GRID_WORKER = "grid_worker", _("网格员采集")
        HOTLINE = "hotline", _("热线")
        WALK_IN = "walk_in", _("来访")
        ASSISTANT = "assistant", _("智能助手转办")
        TRANSFER_110 = "transfer_110", _("110非警务警情转办")
        PATROL = "patrol", _("巡防发现")
        API = "api", _("接口")
        OPEN311 = "open311", _("Open311")

    class Satisfaction(models.IntegerChoices):
        VERY_SATISFIED = 5, _("非常满意")
        SATISFIED = 4, _("满意")
        FAIRLY_SATISFIED = 3, _("基本满意")
        DISSATISFIED = 2, _("不满意")
        VERY_DISSATISFIED = 1, _("非常不满意")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tracking_code = models.CharField(max_length=12, unique=True, default=new_tracking_code)
    client_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="cases", verbose_name=_("类别")
    )
    urgency = models.CharField(_("紧急程度"), max_length=10, choices=Urgency.choices)
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.REPORTED
    )
    description = models.TextField(_("情况描述"))
    location_text = models.CharField(_("地点"), max_length=200, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    share_location = models.BooleanField(_("同意保留照片位置信息"), default=False)
    anonymous = models.BooleanField(_("匿名"), default=False)
    reporter_name = EncryptedField(_("反映人"), kind="name")
    reporter_phone = EncryptedField(_("联系电话"), kind="phone", hash_field="reporter_phone_hash")
    reporter_phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    reporter_email = EncryptedField(_("电子邮箱"), kind="text", blank=True, default="")
    # the language the reporter wrote in (the resident pages' language): replies sent by SMS
    reporter_language = models.CharField(max_length=16, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        "org.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("承办部门"),
    )
    team = models.ForeignKey(
        "org.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("承办团队"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
        verbose_name=_("承办人"),
    )
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_cases",
        verbose_name=_("合并至"),
    )
    likely_duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_at = models.DateTimeField(_("反映时间"), default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    contacted_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The nearest open deadline (for "my queue" sorting and countdowns) and the handling one.
    # next_due_at (DeadlineTracked): the nearest open deadline, kept by the kernel.
    handle_due_at = models.DateTimeField(_("办结时限"), null=True, blank=True)
    # The category's deadline rule when the case was reported ({"version": n, "deadlines": {...}}):
    # every deadline of the case is computed from it, so later edits affect only new cases.
    deadline_rule = models.JSONField(null=True, blank=True, editable=False)
    on_time = models.BooleanField(null=True, blank=True)
    rejected_reason = models.CharField(max_length=300, blank=True)
    result = models.TextField(_("处置结果"), blank=True)
    # who resolved it (处置完毕 / 答复咨询): the verifier must be someone else (Category.verification)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("处置人"),
    )
    rework_count = models.PositiveSmallIntegerField(default=0)
    extension_count = models.PositiveSmallIntegerField(default=0)
    extension_pending = models.JSONField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    supervision_level = models.PositiveSmallIntegerField(default=0)  # 0, 1 yellow, 2 red, 3, 4
    satisfaction = models.PositiveSmallIntegerField(
        _("满意度"), choices=Satisfaction.choices, null=True, blank=True
    )
    satisfaction_note = models.CharField(max_length=300, blank=True)
    return_visited_at = models.DateTimeField(null=True, blank=True)
    # The dispute (矛盾纠纷) this case was turned into; the dispute keeps ``source_case_id``.
    dispute = models.ForeignKey(
        "disputes.Dispute",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="source_cases",
        verbose_name=_("矛盾纠纷"),
    )

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("事件")
        verbose_name_plural = _("事件")
        permissions = [
            ("accept_case", "可受理/不予受理/合并事件"),
            ("dispatch_case", "可派单"),
            ("claim_case", "可签收/退单"),
            ("handle_case", "可处置事件"),
            ("verify_case", "可核查事件"),
            ("close_case", "可结案"),
            ("supervise_case", "可督办"),
            ("approve_extension", "可审批延期"),
            ("return_visit_case", "可回访"),
            ("view_figures", "可查看事件统计"),
            # Which channels a staff member may record as a case's source (issue 14, #9):
            # cases.services.intake.SOURCE_PERMISSIONS.
            ("record_source_grid_worker", "可登记来源：网格员采集"),
            ("record_source_patrol", "可登记来源：巡防发现"),
            ("record_source_walk_in", "可登记来源：来访"),
            ("record_source_hotline", "可登记来源：热线"),
            ("record_source_transfer_110", "可登记来源：110非警务警情转办"),
            ("record_source_assistant", "可登记来源：智能助手转办"),
        ]
        indexes = [
            models.Index(fields=["state", "next_due_at"], name="case_state_due"),
            models.Index(fields=["department", "state", "next_due_at"], name="case_dept_queue"),
            models.Index(fields=["assignee", "state", "next_due_at"], name="case_assignee_queue"),
            models.Index(fields=["place_path", "state", "next_due_at"], name="case_place_queue"),
            models.Index(fields=["category", "place", "reported_at"], name="case_duplicates"),
            models.Index(fields=["reported_at"], name="case_reported"),
            # "My queue" at scale: walk the open cases in deadline order and stop after a page.
            models.Index(
                fields=["next_due_at", "id"],
                name="case_open_due",
                condition=Q(
                    state__in=[
                        "reported",
                        "accepted",
                        "dispatched",
                        "returned",
                        "claimed",
                        "in_progress",
                        "resolved",
                        "verified",
                    ]
                ),
            ),
        ]

    OPEN_STATES = (
        "reported",
        "accepted",
        "dispatched",
        "returned",
        "claimed",
        "in_progress",
        "resolved",
        "verified",
    )
    FINAL_STATES = ("rejected", "merged", "closed")

    def __str__(self):
        return f"{self.number} {self.category.name}"

    @property
    def history_since(self):
        """Nothing of this case's history (timeline, deadlines) is older than this: lets
        PostgreSQL skip the months before it (``core.workflow.timeline``, ``core.partitions``).
        A day's margin for entries written with a clock slightly behind the report's."""
        return self.reported_at - timedelta(days=1) if self.reported_at else None

    @property
    def number(self):
        return f"FQ{self.pk:08d}" if self.pk else "FQ—"

    @property
    def unit(self):
        return self.department or self.team

    @property
    def is_open(self):
        return self.state in self.OPEN_STATES

    @classmethod
    def scope_assignment_q(cls, user, action="view"):
        q = Q(assignee_id=user.pk)
        if user.department_id:
            q |= Q(department_id=user.department_id)
        team_ids = list(user.team_memberships.values_list("team_id", flat=True))
        if team_ids:
            q |= Q(team_id__in=team_ids)
        return q


class SupervisionCard(models.Model):
    """督办: a yellow or red card, or a place on the town/county review list, for a late case."""

    class Level(models.IntegerChoices):
        YELLOW = 1, _("黄牌督办")
        RED = 2, _("红牌督办")
        TOWN_REVIEW = 3, _("乡镇（街道）会商")
        COUNTY_REVIEW = 4, _("县级会商")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="cards")
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    deadline_kind = models.CharField(max_length=32, blank=True)
    department = models.ForeignKey(
        "org.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    place_path = models.CharField(max_length=255, db_index=True, default="")

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("督办")
        verbose_name_plural = _("督办")
        indexes = [models.Index(fields=["level", "issued_at"], name="card_level")]

    def __str__(self):
        return f"{self.get_level_display()} {self.case_id}"


class Open311Changeset(models.Model):
    """The first time each version of the Open311 service catalogue was seen (its ``changeset``)."""

    signature = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("Open311 服务目录版本")
        verbose_name_plural = _("Open311 服务目录版本")

    def __str__(self):
        return f"{self.seen_at:%Y-%m-%d %H:%M} {self.signature[:8]}"


class PendingReport(ScopedModel):
    """待定位: a report that could not be placed in a grid (an address only, a point between grid
    polygons, an address id that is not a grid code). It waits in its county's triage queue until
    a dispatcher places it (a grid, or a point on the map); then the case is made and the normal
    flow starts. ``place`` is the county; ``uid`` is the Open311 token of the report."""

    class State(models.TextChoices):
        PENDING = "pending", _("待定位")
        PLACED = "placed", _("已定位")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    source = models.CharField(_("来源"), max_length=16, choices=Case.Source.choices)
    channel = models.CharField(max_length=40, blank=True)
    client_id = models.CharField(max_length=100, blank=True, default="")
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("类别")
    )
    urgency = models.CharField(_("紧急程度"), max_length=10, blank=True)
    description = models.TextField(_("情况描述"), blank=True)
    location_text = models.CharField(_("地点"), max_length=200, blank=True)
    address_id = models.CharField(_("地址编码"), max_length=100, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    lng = models.FloatField(_("经度"), null=True, blank=True)
    anonymous = models.BooleanField(_("匿名"), default=False)
    reporter_name = EncryptedField(_("反映人"), kind="name")
    reporter_phone = EncryptedField(_("联系电话"), kind="phone")
    reporter_email = EncryptedField(_("电子邮箱"), kind="text")
    reported_at = models.DateTimeField(_("反映时间"), default=timezone.now)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    placed_at = models.DateTimeField(null=True, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # a staff member who entered the report (JSON API, hotline, the assistant's hand-over); None
    # for a resident's or an Open311 client's report
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["reported_at", "id"]
        verbose_name = _("待定位反映")
        verbose_name_plural = _("待定位反映")
        indexes = [models.Index(fields=["state", "place_path"], name="pending_queue")]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "client_id"],
                condition=~Q(client_id=""),
                name="pending_client_id",
            )
        ]

    def __str__(self):
        return f"{self.get_state_display()} {self.category_id} {self.location_text}"
