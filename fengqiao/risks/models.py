"""The risk register (风险清单) with four-colour warning.

A :class:`Risk` belongs to a place (``ScopedModel``) and moves through ``RiskFlow``
(``workflow.py``) only by ``services``:

    applied ─approve→ approved ─file_city→ filed ─request_close→ closing ─approve_close→ closed
    applied ─return→ returned ─resubmit→ applied          closing ─reject_close→ filed
    closed ─reopen→ filed (recurrence)

Its colour (``level``) changes only through an approved :class:`LevelChange` (reason + approver),
so the history of colours is that table. Sources feed :class:`Suggestion` rows, never risks.
Reviews (会商) are :class:`ReviewSession` rows with one :class:`ReviewItem` per risk on the agenda;
the scheduler creates them (weekly; in wartime orange daily and red twice a day).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from fengqiao.core.models import DeadlineTracked
from fengqiao.core.pii import EncryptedField
from fengqiao.core.scoping import ScopedManager, ScopedModel, ScopedQuerySet


class Level(models.TextChoices):
    NONE = "none", _("已解除预警")
    GREEN = "green", _("绿色")
    BLUE = "blue", _("蓝色")
    ORANGE = "orange", _("橙色")
    RED = "red", _("红色")


RANK = {"none": 0, "green": 1, "blue": 2, "orange": 3, "red": 4}
COLOURS = ("red", "orange", "blue", "green")


# The default categories' names (migration 0002) as msgids, so the English catalog translates
# them; a category an administrator adds shows its name as entered.
DEFAULT_CATEGORY_NAMES = (
    gettext_noop("涉稳群体性苗头"),
    gettext_noop("个人极端倾向"),
    gettext_noop("严重精神障碍肇事肇祸风险"),
    gettext_noop("非正常上访"),
    gettext_noop("矛盾纠纷激化"),
    gettext_noop("涉众型经济/金融风险"),
    gettext_noop("电信网络诈骗高发"),
    gettext_noop("安全生产"),
    gettext_noop("消防"),
    gettext_noop("道路交通"),
    gettext_noop("校园及周边"),
    gettext_noop("重点人员漏管失控"),
    gettext_noop("网络舆情"),
    gettext_noop("公共卫生"),
    gettext_noop("其他"),
)


class RiskCategory(models.Model):
    """Reference data (default 15, editable in admin by the system admin). ``name`` is stored in
    Chinese; ``label`` (and ``str()``) is the name in the active language (msgid mapping)."""

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("风险类别")
        verbose_name_plural = _("风险类别")

    def __str__(self):
        return self.label

    @property
    def label(self):
        return gettext(self.name) if self.name else ""


class Risk(ScopedModel, DeadlineTracked):
    class State(models.TextChoices):
        APPLIED = "applied", _("已申报待审核")
        RETURNED = "returned", _("已退回")
        APPROVED = "approved", _("县局已审核")
        FILED = "filed", _("已报市局备案")
        CLOSING = "closing", _("销号审批中")
        CLOSED = "closed", _("已销号")

    class Source(models.TextChoices):
        SCREENING = "screening", _("排查发现")
        DISPUTE = "dispute", _("矛盾纠纷（民转刑风险）")
        REPEATED_CASES = "repeated_cases", _("同一地点反复发生事件")
        ASSISTANT_ALERT = "assistant_alert", _("智能助手预警")
        INSTRUCTION = "instruction", _("领导批示")

    ON_REGISTER = ("approved", "filed", "closing")

    number = models.CharField(_("编号"), max_length=32, unique=True)
    title = models.CharField(_("风险名称"), max_length=120)
    description = models.TextField(_("风险描述"))
    category = models.ForeignKey(
        RiskCategory, on_delete=models.PROTECT, related_name="risks", verbose_name=_("类别")
    )
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default="applied")
    level = models.CharField(_("预警等级"), max_length=8, choices=Level.choices, default="blue")
    proposed_level = models.CharField(
        _("申报等级"), max_length=8, choices=Level.choices, default="blue"
    )
    units_involved = models.CharField(_("涉及单位"), max_length=300, blank=True)
    # The registry's actual units involved (实有单位), chosen among those the applicant may see.
    units = models.ManyToManyField(
        "registry.Unit", blank=True, related_name="+", verbose_name=_("涉及实有单位")
    )
    unit = models.ForeignKey(
        "org.Station",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("申报单位"),
    )
    responsible_department = models.ForeignKey(
        "org.Department",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("责任单位"),
    )
    responsible_unit_name = models.CharField(_("责任单位（名称）"), max_length=100, blank=True)
    responsible_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("责任领导"),
    )
    responsible_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("责任人"),
    )
    plan = models.TextField(_("防范化解方案"), blank=True)
    disputes = models.ManyToManyField(
        "disputes.Dispute", blank=True, related_name="+", verbose_name=_("关联矛盾纠纷")
    )
    cases = models.ManyToManyField(
        "cases.Case", blank=True, related_name="+", verbose_name=_("关联事件")
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(_("申报时间"), default=timezone.now, db_index=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    # The place whose level approved the filing (the county): close-out is approved there too.
    filing_place = models.ForeignKey(
        "org.Place",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("审核层级"),
    )
    city_reference = models.CharField(_("市局备案号"), max_length=64, blank=True)
    filed_at = models.DateTimeField(_("备案时间"), null=True, blank=True)
    next_review_at = models.DateTimeField(_("下次会商"), null=True, blank=True, db_index=True)
    last_reviewed_at = models.DateTimeField(_("上次会商"), null=True, blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    recurrence_count = models.PositiveSmallIntegerField(_("反弹次数"), default=0)
    supervision_count = models.PositiveSmallIntegerField(_("督办次数"), default=0)

    objects = ScopedManager()

    class Meta:
        ordering = ["-applied_at", "-id"]
        verbose_name = _("风险")
        verbose_name_plural = _("风险")
        permissions = [
            ("apply_risk", "申报风险（派出所）"),
            ("review_risk", "审核风险申报、审批销号（县局）"),
            ("file_risk", "报市局备案"),
            ("propose_level", "提出预警等级调整"),
            ("approve_level", "审批预警等级调整"),
            ("manage_suggestion", "处理风险线索（采纳/不采纳）"),
            ("run_review", "组织风险会商、记录决定"),
            ("set_wartime", "启用/结束战时模式"),
            ("hand_over", "推送职能部门（登记、审核、告知、移送、归档）"),
            ("handle_handover", "职能部门反馈推送事项"),
            ("manage_task_force", "组建专班"),
            ("log_task_force", "填写专班日志"),
            ("request_close", "申请销号"),
            ("view_risk_figures", "查看风险考核统计"),
        ]
        indexes = [models.Index(fields=["state", "level"], name="risk_state_level")]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def on_register(self):
        return self.state in self.ON_REGISTER

    @property
    def rank(self):
        return RANK.get(self.level, 0)

    @classmethod
    def scope_assignment_q(cls, user, action="view"):
        """Department staff read the risks handed over to their department (never change them)."""
        if action != "view" or not getattr(user, "department_id", None):
            return Q(pk__in=[])
        return Q(pk__in=HandOver.objects.filter(department_id=user.department_id).values("risk"))


class RiskPersonQuerySet(ScopedQuerySet):
    def restrict(self, user, action="view"):
        """The people of the risks ``user`` may see (the risk's jurisdiction rule), and only for
        holders of ``risks.view_risk``: the generic reveal (``/reveal/risks.riskperson/…``) enters
        through this filter alone, and roles without risk access (grid workers, auxiliary officers)
        must not reach a risk's people by id."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        if not user.has_perm("risks.view_risk"):
            return self.none()
        return super().restrict(user, action)


class RiskPerson(models.Model):
    """A person involved in a risk; personal data encrypted, masked on display.

    ``person`` links the registry's actual resident (实有人口) when one is known: matched by the
    ID number's keyed hash among the people the adding user may see, or chosen explicitly (refused
    when out of the user's scope). Scoped through ``risk``: same rule as :class:`Risk`."""

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="people")
    person = models.ForeignKey(
        "registry.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="risk_links",
        verbose_name=_("实有人口"),
    )
    name = EncryptedField(_("姓名"), kind="name", hash_field="name_hash")
    name_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    id_number = EncryptedField(_("身份证号"), kind="id_number", hash_field="id_hash")
    id_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone = EncryptedField(_("联系电话"), kind="phone", hash_field="phone_hash")
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    role = models.CharField(_("身份/关系"), max_length=50, blank=True)

    objects = models.Manager.from_queryset(RiskPersonQuerySet)()
    scope_path_field = "risk__place_path"

    class Meta:
        ordering = ["risk_id", "id"]
        verbose_name = _("涉及人员")
        verbose_name_plural = _("涉及人员")

    def __str__(self):
        return str(self.name)

    @classmethod
    def scope_assignment_q(cls, user, action="view"):
        """The people of the risks assigned to ``user`` (department staff: handed-over risks)."""
        if action != "view" or not getattr(user, "department_id", None):
            return Q(pk__in=[])
        return Q(risk__in=HandOver.objects.filter(department_id=user.department_id).values("risk"))


class LevelChange(models.Model):
    """One proposed or decided change of colour: the level history is the approved rows."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("未批准")

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="level_changes")
    from_level = models.CharField(_("原等级"), max_length=8, choices=Level.choices, blank=True)
    to_level = models.CharField(_("新等级"), max_length=8, choices=Level.choices)
    reason = models.TextField(_("理由"))
    state = models.CharField(max_length=10, choices=State.choices, default="proposed")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    review_item = models.ForeignKey(
        "ReviewItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["risk_id", "proposed_at", "id"]
        verbose_name = _("预警等级调整")
        verbose_name_plural = _("预警等级调整")
        constraints = [
            # One open proposal per risk: a second one is refused, never silently stacked.
            models.UniqueConstraint(
                fields=["risk"], condition=Q(state="proposed"), name="risk_one_open_proposal"
            )
        ]

    def __str__(self):
        return f"{self.risk_id}: {self.from_level}→{self.to_level} ({self.state})"

    @property
    def direction(self):
        up = RANK.get(self.to_level, 0) - RANK.get(self.from_level, 0)
        if not self.from_level:
            return "initial"
        if self.to_level == "none":
            return "release"
        return "raise" if up > 0 else "lower" if up < 0 else "keep"


class Suggestion(ScopedModel):
    """A possible risk found in a source; accepted into the register or dismissed with a reason."""

    class Source(models.TextChoices):
        DISPUTE = "dispute", _("民转刑高风险纠纷")
        REPEATED_CASES = "repeated_cases", _("同一地点同类事件30日内3起以上")
        ASSISTANT_ALERT = "assistant_alert", _("智能助手预警")

    class State(models.TextChoices):
        PENDING = "pending", _("待处理")
        ACCEPTED = "accepted", _("已采纳")
        DISMISSED = "dismissed", _("不予采纳")

    source = models.CharField(_("来源"), max_length=20, choices=Source.choices)
    key = models.CharField(max_length=120, unique=True)
    title = models.CharField(_("线索"), max_length=200)
    detail = models.TextField(_("说明"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    category = models.ForeignKey(
        RiskCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default="pending")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("不予采纳理由"), blank=True)
    risk = models.ForeignKey(
        Risk, null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestions"
    )

    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("风险线索")
        verbose_name_plural = _("风险线索")

    def __str__(self):
        return self.title


class WartimePeriod(ScopedModel):
    """战时模式 for a county over a period (重大安保节点): orange reviewed daily, red twice a day."""

    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))
    reason = models.CharField(_("安保节点"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    ended_early_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("战时模式")
        verbose_name_plural = _("战时模式")

    def __str__(self):
        return f"{self.place} {self.reason}"

    @property
    def effective_end(self):
        return self.ended_early_at or self.ends_at


class ReviewSession(ScopedModel):
    """One review meeting (会商): the scheduler's slot or an ad-hoc meeting of a unit."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("待召开")
        OPEN = "open", _("进行中")
        DONE = "done", _("已结束")
        MISSED = "missed", _("未按时召开")

    class Kind(models.TextChoices):
        WEEKLY = "weekly", _("每周例行会商")
        WARTIME = "wartime", _("战时会商")
        AD_HOC = "ad_hoc", _("临时会商")

    slot_at = models.DateTimeField(_("会商时间"), db_index=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default="weekly")
    state = models.CharField(max_length=10, choices=State.choices, default="scheduled")
    title = models.CharField(_("名称"), max_length=120)
    attendees = models.TextField(_("参会人员"), blank=True)
    minutes = models.TextField(_("会议纪要"), blank=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-slot_at", "-id"]
        verbose_name = _("风险会商")
        verbose_name_plural = _("风险会商")
        constraints = [
            models.UniqueConstraint(
                fields=["place", "slot_at"],
                condition=~Q(kind="ad_hoc"),
                name="review_session_slot",
            )
        ]

    def __str__(self):
        return self.title


class ReviewItem(models.Model):
    """One risk on a session's agenda and the decision taken on it (once)."""

    class Decision(models.TextChoices):
        KEEP = "keep", _("维持")
        RAISE = "raise", _("升级")
        LOWER = "lower", _("降级")
        RELEASE = "release", _("解除预警")
        HAND_OVER = "hand_over", _("推送职能部门")

    session = models.ForeignKey(ReviewSession, on_delete=models.CASCADE, related_name="items")
    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="review_items")
    order = models.PositiveSmallIntegerField(default=0)
    level_at_agenda = models.CharField(max_length=8, choices=Level.choices)
    decision = models.CharField(
        _("决定"), max_length=10, choices=Decision.choices, blank=True, default=""
    )
    new_level = models.CharField(max_length=8, choices=Level.choices, blank=True, default="")
    note = models.TextField(_("会商意见"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "risk"], name="review_item_unique")
        ]
        verbose_name = _("会商议题")
        verbose_name_plural = _("会商议题")

    def __str__(self):
        return f"{self.session_id}: {self.risk_id}"


class ReviewAction(ScopedModel, DeadlineTracked):
    """A measure decided in a review: owner and deadline on the kernel (supervised when late)."""

    class State(models.TextChoices):
        OPEN = "open", _("办理中")
        DONE = "done", _("已完成")

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="actions")
    item = models.ForeignKey(
        ReviewItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    title = models.CharField(_("措施"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("责任人"),
    )
    due_at = models.DateTimeField(_("完成时限"))
    state = models.CharField(max_length=8, choices=State.choices, default="open")
    result = models.TextField(_("完成情况"), blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager()

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("会商措施")
        verbose_name_plural = _("会商措施")

    def __str__(self):
        return self.title


class TaskForce(models.Model):
    """专班 of a red risk: leader, members, plan and a daily log."""

    risk = models.OneToOneField(Risk, on_delete=models.CASCADE, related_name="task_force")
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("组长")
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("成员")
    )
    plan = models.TextField(_("工作方案"))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("工作专班")
        verbose_name_plural = _("工作专班")

    def __str__(self):
        return f"{self.risk} 专班"


class TaskForceLog(models.Model):
    task_force = models.ForeignKey(TaskForce, on_delete=models.CASCADE, related_name="logs")
    day = models.DateField(_("日期"))
    text = models.TextField(_("工作情况"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day", "-id"]
        verbose_name = _("专班日志")
        verbose_name_plural = _("专班日志")

    def __str__(self):
        return f"{self.day} {self.text[:30]}"


class HandOver(ScopedModel, DeadlineTracked):
    """推送: a risk handed to a responsible department, 登记→审核→告知→移送→反馈→归档."""

    class State(models.TextChoices):
        REGISTERED = "registered", _("已登记")
        REVIEWED = "reviewed", _("已审核")
        NOTIFIED = "notified", _("已告知")
        TRANSFERRED = "transferred", _("已移送")
        ANSWERED = "answered", _("已反馈")
        ARCHIVED = "archived", _("已归档")

    risk = models.ForeignKey(Risk, on_delete=models.CASCADE, related_name="handovers")
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("职能部门")
    )
    matter = models.TextField(_("推送事项"))
    state = models.CharField(max_length=12, choices=State.choices, default="registered")
    feedback = models.TextField(_("部门反馈"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("推送职能部门")
        verbose_name_plural = _("推送职能部门")

    def __str__(self):
        return f"{self.risk.number} → {self.department}"

    @classmethod
    def scope_assignment_q(cls, user, action="view"):
        if not getattr(user, "department_id", None):
            return Q(pk__in=[])
        return Q(department_id=user.department_id)
