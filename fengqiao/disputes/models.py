"""Disputes (矛盾纠纷) and the five-level linked mediation ladder (五级联动).

A :class:`Dispute` belongs to a place (``ScopedModel``) and moves through ``DisputeFlow``
(``workflow.py``) only by ``services``. Each level's work is an :class:`Attempt`; L4 attempts carry
a :class:`Hearing`, L5 attempts :class:`JointTask` rows dispatched to departments. An agreement
(:class:`Agreement`) is versioned: a signed version is frozen, an edit makes a new version.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.core.models import DeadlineTracked
from fengqiao.core.pii import EncryptedField, clear_value
from fengqiao.core.scoping import ScopedManager, ScopedModel

LEVELS = {
    1: _("第一级 乡贤/五老 拉呱调"),
    2: _("第二级 警务助理 跟上调"),
    3: _("第三级 律师 介入调"),
    4: _("第四级 听证调"),
    5: _("第五级 联席调"),
}
LEVEL_SHORT = {1: _("拉呱调"), 2: _("跟上调"), 3: _("介入调"), 4: _("听证调"), 5: _("联席调")}
LEVEL_CHOICES = [(k, v) for k, v in LEVELS.items()]


class DisputeType(models.Model):
    """Reference data: a type from the national mediation statistics, editable in admin.

    ``small_hours`` / ``large_hours`` are the time limits of one level (小事1天、大事3天);
    ``level_hours`` may override them per level, e.g. ``{"4": {"small": 48, "large": 120}}``.
    """

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)
    small_hours = models.PositiveIntegerField(_("小事时限（小时）"), default=24)
    large_hours = models.PositiveIntegerField(_("大事时限（小时）"), default=72)
    level_hours = models.JSONField(_("分级时限"), default=dict, blank=True)
    # Raised by core.versioning.save on every change: a dispute keeps the version of its type's
    # time limits it started with (``Dispute.type_rule``), as a case keeps its deadline rule.
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("纠纷类型")
        verbose_name_plural = _("纠纷类型")

    def __str__(self):
        return self.name

    def rule(self) -> dict:
        """The time limits as a dispute registered now keeps them."""
        return {
            "version": self.version,
            "small_hours": self.small_hours,
            "large_hours": self.large_hours,
            "level_hours": self.level_hours or {},
        }

    def hours(self, size, level):
        return rule_hours(self.rule(), size, level)


def rule_hours(rule, size, level):
    """Hours of one mediation level from a type's rule (:meth:`DisputeType.rule`)."""
    small, large = rule.get("small_hours") or 24, rule.get("large_hours") or 72
    default = large if size == Dispute.Size.LARGE else small
    override = (rule.get("level_hours") or {}).get(str(level)) or {}
    try:
        return int(override.get(size, default))
    except (TypeError, ValueError):
        return default


class MediatorPoolMember(models.Model):
    """A mediator (elder, assistant, lawyer on the roster, officer, coordinator) serving a place
    (and its subtree) at one level of the ladder. Workload is counted from open disputes."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mediator_pools"
    )
    place = models.ForeignKey("org.Place", on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(_("层级"), choices=LEVEL_CHOICES)
    speciality = models.CharField(_("擅长"), max_length=100, blank=True)
    active = models.BooleanField(_("在岗"), default=True)

    class Meta:
        ordering = ["level", "place__path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "place", "level"], name="pool_member_unique")
        ]
        verbose_name = _("调解员库")
        verbose_name_plural = _("调解员库")

    def __str__(self):
        return f"{self.user} · {self.place} · L{self.level}"


class Dispute(DeadlineTracked, ScopedModel):
    class State(models.TextChoices):
        REGISTERED = "registered", _("已登记")
        MEDIATING = "mediating", _("调解中")
        AGREED = "agreed", _("已达成协议")
        PERFORMING = "performing", _("履行中")
        PERFORMED = "performed", _("已履行")
        CLOSED = "closed", _("已办结")
        WITHDRAWN = "withdrawn", _("已撤回")
        REFERRED = "referred", _("已引导至其他途径")

    class Size(models.TextChoices):
        SMALL = "small", _("小事")
        LARGE = "large", _("大事")

    class Risk(models.TextChoices):
        LOW = "low", _("低")
        MEDIUM = "medium", _("中")
        HIGH = "high", _("高")

    class Outcome(models.TextChoices):
        NONE = "", _("—")
        AGREEMENT = "agreement", _("达成协议")
        WITHDRAWN = "withdrawn", _("撤回")
        REFERRED = "referred", _("引导至诉讼/仲裁/其他")

    OPEN_STATES = ("registered", "mediating", "agreed")

    number = models.CharField(_("编号"), max_length=32, unique=True)
    tracking_code = models.CharField(max_length=32, unique=True, editable=False)
    title = models.CharField(_("纠纷名称"), max_length=120)
    type = models.ForeignKey(
        DisputeType, on_delete=models.PROTECT, related_name="disputes", verbose_name=_("类型")
    )
    # the type's time limits as they were when the dispute was registered (DisputeType.rule);
    # later edits of the type apply to new disputes only. Empty for disputes registered before.
    type_rule = models.JSONField(null=True, blank=True, editable=False)
    size = models.CharField(_("规模"), max_length=8, choices=Size.choices, default=Size.SMALL)
    facts = models.TextField(_("主要事实"))
    claims = models.TextField(_("争议事项"), blank=True)
    amount = models.DecimalField(
        _("涉及金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=State.choices, default=State.REGISTERED
    )
    level = models.PositiveSmallIntegerField(_("当前层级"), choices=LEVEL_CHOICES, default=1)
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="disputes_mediating",
        verbose_name=_("当前调解员"),
    )
    outcome = models.CharField(
        _("结果"), max_length=16, choices=Outcome.choices, default="", blank=True
    )
    resolved_level = models.PositiveSmallIntegerField(_("化解层级"), null=True, blank=True)
    # 民转刑 risk assessment
    risk_factors = models.JSONField(_("风险因素"), default=dict, blank=True)
    risk_score = models.PositiveSmallIntegerField(_("风险分"), default=0)
    risk_level = models.CharField(
        _("民转刑风险"), max_length=8, choices=Risk.choices, default=Risk.LOW
    )
    on_risk_register = models.BooleanField(_("列入风险清单"), default=False)
    # Links
    # The 矛盾纠纷 case this dispute was spawned from (fengqiao.cases); an id, see docs/disputes.md.
    source_case_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    recurrence_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="recurrences",
        verbose_name=_("反复（前一起）"),
    )
    is_recurrence = models.BooleanField(_("反复纠纷"), default=False)
    supervision_count = models.PositiveSmallIntegerField(_("督办次数"), default=0)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    registered_at = models.DateTimeField(_("登记时间"), default=timezone.now, db_index=True)
    resolved_at = models.DateTimeField(_("化解时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-registered_at", "-id"]
        verbose_name = _("矛盾纠纷")
        verbose_name_plural = _("矛盾纠纷")
        permissions = [
            ("register_dispute", "登记矛盾纠纷"),
            ("mediate_dispute", "调解矛盾纠纷（记录调解、达成协议）"),
            ("assign_dispute", "指派调解员、升级层级"),
            ("hold_hearing", "主持听证调"),
            ("coordinate_joint", "组织联席调"),
            ("handle_joint_task", "办理联席调任务"),
            ("follow_up_dispute", "跟踪司法确认、履行与回访"),
            ("supervise_dispute", "督办矛盾纠纷"),
            ("view_dispute_figures", "查看矛盾纠纷统计"),
            ("verify_agreement", "核验调解协议书"),
            ("serve_level_1", "担任第一级调解（乡贤/五老）"),
            ("serve_level_2", "担任第二级调解（警务助理）"),
            ("serve_level_3", "担任第三级调解（律师）"),
            ("serve_level_4", "担任第四级调解（社区民警听证调）"),
            ("serve_level_5", "担任第五级调解（联席调）"),
            ("serve_any_pool", "可列入任一级调解员库"),
        ]
        indexes = [models.Index(fields=["state", "level"], name="dispute_state_level")]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def is_open(self):
        return self.state in self.OPEN_STATES

    @classmethod
    def scope_assignment_q(cls, user, action="view"):
        """Mediators and lawyers see the disputes given to them (now, or before for reading);
        department staff the disputes with a joint-mediation task for their department."""
        q = Q(mediator_id=user.pk)
        if action == "view":
            q |= Q(pk__in=Attempt.objects.filter(mediator_id=user.pk).values("dispute_id"))
        if getattr(user, "department_id", None):
            q |= Q(
                pk__in=JointTask.objects.filter(department_id=user.department_id).values(
                    "attempt__dispute_id"
                )
            )
        return q


class Party(ScopedModel):
    """A party (当事人) of a dispute: a person or an organisation, with a representative."""

    class Kind(models.TextChoices):
        PERSON = "person", _("自然人")
        ORGANISATION = "organisation", _("法人/其他组织")

    class Side(models.TextChoices):
        APPLICANT = "applicant", _("申请人")
        RESPONDENT = "respondent", _("被申请人")
        OTHER = "other", _("其他当事人")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices, default=Kind.PERSON)
    side = models.CharField(_("身份"), max_length=16, choices=Side.choices, default=Side.APPLICANT)
    name = EncryptedField(_("姓名/名称"), kind="name", hash_field="name_hash")
    name_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    id_number = EncryptedField(
        _("身份证号/统一社会信用代码"), kind="id_number", hash_field="id_hash"
    )
    id_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone = EncryptedField(_("联系电话"), kind="phone", hash_field="phone_hash")
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    address = EncryptedField(_("住址"), kind="text")
    gender = models.CharField(_("性别"), max_length=4, blank=True)
    legal_representative = EncryptedField(_("法定代表人"), kind="name")
    representative = EncryptedField(_("代理人"), kind="name")
    representative_relation = models.CharField(_("代理人关系"), max_length=30, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    objects = ScopedManager()

    class Meta:
        ordering = ["dispute_id", "order", "id"]
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")

    def __str__(self):
        return f"{self.get_side_display()} {self.name}"

    @classmethod
    def scope_assignment_q(cls, user, action="view"):
        return Q(dispute__in=Dispute.objects.filter(Dispute.scope_assignment_q(user, action)))


class Attempt(models.Model):
    """One level's mediation: who, when, where, what happened, and the outcome."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("进行中")
        AGREEMENT = "agreement", _("达成协议")
        FAILED = "failed", _("调解不成，转下一级")
        WITHDRAWN = "withdrawn", _("撤回")
        REFERRED = "referred", _("引导至诉讼/仲裁/其他")

    class Referral(models.TextChoices):
        NONE = "", _("—")
        COURT = "court", _("人民法院（诉讼）")
        ARBITRATION = "arbitration", _("仲裁机构")
        LABOUR_ARBITRATION = "labour_arbitration", _("劳动人事争议仲裁")
        ADMINISTRATIVE = "administrative", _("行政机关")
        OTHER = "other", _("其他机构")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="attempts")
    level = models.PositiveSmallIntegerField(_("层级"), choices=LEVEL_CHOICES)
    mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mediation_attempts",
        verbose_name=_("调解员"),
    )
    lawyer_choice = models.TextField(_("当事人选择律师的记录"), blank=True)
    skip_reason = models.TextField(_("越级理由"), blank=True)
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    location = models.CharField(_("地点"), max_length=200, blank=True)
    summary = models.TextField(_("调解经过"), blank=True)
    outcome = models.CharField(
        _("结果"), max_length=16, choices=Outcome.choices, default=Outcome.PENDING
    )
    referral = models.CharField(
        _("引导途径"), max_length=24, choices=Referral.choices, default="", blank=True
    )
    guidance = models.TextField(_("给当事人的指引"), blank=True)
    minutes = models.TextField(_("联席会议纪要"), blank=True)

    class Meta:
        ordering = ["dispute_id", "started_at", "id"]
        verbose_name = _("调解记录")
        verbose_name_plural = _("调解记录")

    def __str__(self):
        return f"{self.dispute.number} L{self.level}"


class Hearing(models.Model):
    """听证调 (L4): chaired by the community officer with cadres, neighbours and relatives."""

    attempt = models.OneToOneField(Attempt, on_delete=models.CASCADE, related_name="hearing")
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("主持人"),
    )
    held_at = models.DateTimeField(_("听证时间"))
    location = models.CharField(_("地点"), max_length=200)
    statements = models.TextField(_("陈述"))
    defence = models.TextField(_("申辩"))
    deliberation = models.TextField(_("评议"))
    decision = models.TextField(_("听证意见"))
    minutes = models.TextField(_("听证笔录"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager()
    # In scope where its dispute is (core.authz.authorize / scoped).
    scope_path_field = "attempt__dispute__place_path"

    class Meta:
        verbose_name = _("听证")
        verbose_name_plural = _("听证")

    def __str__(self):
        return f"{self.attempt} 听证 {self.held_at:%Y-%m-%d}"

    @classmethod
    def scope_assignment_q(cls, user, action="view"):
        return Q(
            attempt__dispute__in=Dispute.objects.filter(Dispute.scope_assignment_q(user, action))
        )


class HearingParticipant(models.Model):
    class Role(models.TextChoices):
        CHAIR = "chair", _("主持人")
        CADRE = "cadre", _("村（社区）干部")
        NEIGHBOUR = "neighbour", _("邻居")
        RELATIVE = "relative", _("亲属")
        PARTY = "party", _("当事人")
        REPRESENTATIVE = "representative", _("群众代表")
        RECORDER = "recorder", _("记录人")
        OTHER = "other", _("其他")

    hearing = models.ForeignKey(Hearing, on_delete=models.CASCADE, related_name="participants")
    # Encrypted like the parties' names: masked on pages and in the API, clear only in the
    # generated hearing minutes (services.hearing_minutes_document, audited).
    name = EncryptedField(_("姓名"), kind="name")
    role = models.CharField(_("身份"), max_length=16, choices=Role.choices)

    class Meta:
        ordering = ["hearing_id", "id"]
        verbose_name = _("听证参加人")
        verbose_name_plural = _("听证参加人")

    def __str__(self):
        return f"{self.get_role_display()} {self.name}"


class JointTask(DeadlineTracked, models.Model):
    """联席调 (L5): a task dispatched (派单) to one department with a deadline."""

    class State(models.TextChoices):
        DISPATCHED = "dispatched", _("已派单")
        CLAIMED = "claimed", _("已签收")
        DONE = "done", _("已反馈")

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="tasks")
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("部门")
    )
    task = models.TextField(_("任务"))
    due_at = models.DateTimeField(_("办理期限"))
    state = models.CharField(
        _("状态"), max_length=12, choices=State.choices, default=State.DISPATCHED
    )
    result = models.TextField(_("办理结果"), blank=True)
    dispatched_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()
    # A task is in scope where its dispute is (and, for department staff, when it is theirs).
    scope_path_field = "attempt__dispute__place_path"

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("联席调任务")
        verbose_name_plural = _("联席调任务")

    def __str__(self):
        return f"{self.department}: {self.task[:20]}"

    @classmethod
    def scope_assignment_q(cls, user, action="view"):
        """The tasks of the disputes given to the user, and their department's tasks; staff of a
        department without a place jurisdiction see only their department's tasks."""
        department_id = getattr(user, "department_id", None)
        if department_id and not user.has_place_scope():
            return Q(department_id=department_id)
        q = Q(attempt__dispute__in=Dispute.objects.filter(Dispute.scope_assignment_q(user, action)))
        if department_id:
            q |= Q(department_id=department_id)
        return q

    @property
    def place_path(self):
        """The dispute's place (copied onto the task's deadline for scoped figures)."""
        return self.attempt.dispute.place_path

    @property
    def overdue(self):
        end = self.done_at or timezone.now()
        return end > self.due_at


class SignedAgreementError(Exception):
    """A signed agreement's content may not change; revise it into a new version instead."""


class Agreement(models.Model):
    """调解协议书. ``content`` is the canonical content (JSON, encrypted at rest: it holds the
    parties' names and ID numbers); ``integrity_code`` is an HMAC over it with a server key.
    A signed version is frozen: edits create a new version (``supersedes``)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SIGNED = "signed", _("已签署生效")
        SUPERSEDED = "superseded", _("已被新版本取代")

    FROZEN = (
        "content",
        "integrity_code",
        "integrity_key_id",
        "number",
        "version",
        "dispute_id",
        "signed_at",
    )

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="agreements")
    number = models.CharField(_("协议编号"), max_length=48, unique=True)
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.DRAFT)
    content = EncryptedField(_("协议内容"), kind="text")
    integrity_code = models.CharField(_("完整性校验码"), max_length=64, blank=True)
    integrity_key_id = models.CharField(_("签名密钥编号"), max_length=16, blank=True)
    performance_due = models.DateField(_("履行期限"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(_("生效时间"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ScopedManager()
    # In scope where its dispute is (core.authz.authorize / scoped).
    scope_path_field = "dispute__place_path"

    class Meta:
        ordering = ["dispute_id", "version"]
        constraints = [
            models.UniqueConstraint(fields=["dispute", "version"], name="agreement_version_unique")
        ]
        verbose_name = _("调解协议书")
        verbose_name_plural = _("调解协议书")

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        if self.pk and not self._state.adding:
            stored = Agreement.objects.filter(pk=self.pk).first()
            if stored is not None and stored.state != self.State.DRAFT:
                changed = [
                    f
                    for f in self.FROZEN
                    if f != "content" and getattr(stored, f) != getattr(self, f)
                ]
                if stored.content.clear != clear_value(self.content):
                    changed.append("content")
                if changed:
                    raise SignedAgreementError(f"signed agreement {self.number}: {changed}")
        super().save(*args, **kwargs)

    @classmethod
    def scope_assignment_q(cls, user, action="view"):
        return Q(dispute__in=Dispute.objects.filter(Dispute.scope_assignment_q(user, action)))


class JudicialConfirmation(models.Model):
    """司法确认: applied for within 30 days of the agreement taking effect (人民调解法 第三十三条)."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("审查中")
        CONFIRMED = "confirmed", _("确认有效")
        REJECTED = "rejected", _("确认无效/驳回")

    agreement = models.OneToOneField(
        Agreement, on_delete=models.PROTECT, related_name="judicial_confirmation"
    )
    court = models.CharField(_("受理法院"), max_length=100)
    applied_on = models.DateField(_("申请日期"))
    window_ends_on = models.DateField(_("申请期限届满日"))
    outcome = models.CharField(
        _("结果"), max_length=12, choices=Outcome.choices, default=Outcome.PENDING
    )
    decided_on = models.DateField(_("裁定日期"), null=True, blank=True)
    confirmation_number = models.CharField(_("裁定书文号"), max_length=60, blank=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("司法确认")
        verbose_name_plural = _("司法确认")

    def __str__(self):
        return f"{self.court} {self.get_outcome_display()}"


class Performance(models.Model):
    """履行: one agreed term with its deadline, performed or not."""

    class State(models.TextChoices):
        PENDING = "pending", _("待履行")
        PERFORMED = "performed", _("已履行")
        BREACHED = "breached", _("未按期履行")

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="performances")
    term_index = models.PositiveSmallIntegerField()
    term = models.TextField(_("条款"))
    due_on = models.DateField(_("履行期限"))
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.PENDING)
    performed_on = models.DateField(_("履行日期"), null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        ordering = ["agreement_id", "term_index"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "term_index"], name="performance_term")
        ]
        verbose_name = _("履行情况")
        verbose_name_plural = _("履行情况")

    def __str__(self):
        return f"{self.term[:20]} {self.get_state_display()}"

    @property
    def on_time(self):
        return self.performed_on is not None and self.performed_on <= self.due_on


class ReturnVisit(models.Model):
    """回访: scheduled when the agreement takes effect, recorded by staff."""

    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", _("满意")
        BASIC = "basic", _("基本满意")
        UNSATISFIED = "unsatisfied", _("不满意")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="return_visits")
    due_on = models.DateField(_("计划回访日期"))
    visited_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    method = models.CharField(_("方式"), max_length=20, blank=True)
    satisfaction = models.CharField(
        _("满意度"), max_length=12, choices=Satisfaction.choices, blank=True
    )
    performed = models.BooleanField(_("协议已履行"), null=True)
    note = models.TextField(_("回访情况"), blank=True)

    class Meta:
        ordering = ["dispute_id", "due_on"]
        verbose_name = _("回访")
        verbose_name_plural = _("回访")

    def __str__(self):
        return f"回访 {self.due_on}"
