"""Community-police fieldwork: visits (走访), field notes (民情笔记), patrols (巡防), publicity.

Every record belongs to a place (``ScopedModel``) — the grid of the address visited, or the town of a
patrol circle — so the one jurisdiction filter applies. Only ``services`` write these tables.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fengqiao.core.scoping import ScopedModel

DEFAULT_WEEKLY_TARGET = 20


class Visit(ScopedModel):
    """A household or unit visit (走访)."""

    class Purpose(models.TextChoices):
        ROUTINE = "routine", _("日常走访")
        RENTAL_CHECK = "rental_check", _("出租房屋检查")
        CARE = "care", _("关爱帮扶")
        KEY_PERSON = "key_person", _("重点人员管控")
        ANTI_FRAUD = "anti_fraud", _("反诈宣传")
        SAFETY = "safety", _("安全检查")
        DISPUTE = "dispute", _("矛盾排查")

    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits"
    )
    address = models.ForeignKey(
        "registry.Address", on_delete=models.PROTECT, related_name="visits", verbose_name=_("地址")
    )
    household = models.ForeignKey(
        "registry.Household",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visits",
    )
    house = models.ForeignKey(
        "registry.House", null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    unit = models.ForeignKey(
        "registry.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    visited_on = models.DateField(_("走访日期"), db_index=True)
    purpose = models.CharField(_("走访目的"), max_length=16, choices=Purpose.choices)
    findings = models.TextField(_("走访情况"))
    follow_up = models.TextField(_("后续跟进"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        indexes = [models.Index(fields=["officer", "visited_on"], name="visit_officer_day")]

    def __str__(self):
        return f"{self.visited_on} {self.address}"


class VisitTarget(models.Model):
    """An officer's weekly visit target when it differs from the default (20 households)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="visit_target"
    )
    weekly = models.PositiveSmallIntegerField(
        _("每周走访目标（户）"), default=DEFAULT_WEEKLY_TARGET
    )

    class Meta:
        verbose_name = _("走访目标")
        verbose_name_plural = _("走访目标")

    def __str__(self):
        return f"{self.user}: {self.weekly}"


class FieldNote(ScopedModel):
    """民情笔记: a free note on a household or a place; starred ones need a follow-up."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="field_notes"
    )
    address = models.ForeignKey(
        "registry.Address", on_delete=models.PROTECT, related_name="field_notes"
    )
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.SET_NULL, related_name="notes"
    )
    text = models.TextField(_("笔记内容"))
    starred = models.BooleanField(_("需跟进"), default=False)
    followed_up_at = models.DateTimeField(_("跟进完成时间"), null=True, blank=True)
    follow_up_result = models.TextField(_("跟进结果"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("民情笔记")
        verbose_name_plural = _("民情笔记")
        indexes = [
            models.Index(
                fields=["author", "created_at"],
                condition=Q(starred=True, followed_up_at__isnull=True),
                name="fieldnote_open_followup",
            )
        ]

    def __str__(self):
        return self.text[:30]

    @property
    def open_follow_up(self):
        return self.starred and self.followed_up_at is None


class PatrolCircle(ScopedModel):
    """巡防圈: two or three neighbouring villages patrolled together. ``place`` is their town."""

    name = models.CharField(_("名称"), max_length=100)
    villages = models.ManyToManyField("org.Place", related_name="patrol_circles")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("巡防圈")
        verbose_name_plural = _("巡防圈")

    def __str__(self):
        return self.name

    @classmethod
    def scope_assignment_q(cls, user, action="view"):
        """Team members (volunteers, grid workers of the villages) see their circle, its rota and
        its logs; organising it stays with the town's jurisdiction."""
        if action != "view" or not getattr(user, "pk", None):
            return Q(pk__in=[])
        return Q(
            pk__in=PatrolTeam.members.through.objects.filter(user_id=user.pk).values(
                "patrolteam__circle_id"
            )
        )


class PatrolTeam(models.Model):
    circle = models.ForeignKey(PatrolCircle, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("名称"), max_length=100)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="patrol_teams")

    class Meta:
        ordering = ["circle_id", "name", "id"]
        verbose_name = _("巡防队")
        verbose_name_plural = _("巡防队")

    def __str__(self):
        return self.name


class PatrolShift(models.Model):
    """One rota slot: a team patrols a circle on a day in a shift."""

    class Shift(models.IntegerChoices):
        MORNING = 1, _("早班")
        AFTERNOON = 2, _("中班")
        NIGHT = 3, _("夜班")

    circle = models.ForeignKey(PatrolCircle, on_delete=models.CASCADE, related_name="shifts")
    team = models.ForeignKey(PatrolTeam, on_delete=models.CASCADE, related_name="shifts")
    day = models.DateField(_("日期"))
    shift = models.PositiveSmallIntegerField(_("班次"), choices=Shift.choices)

    class Meta:
        ordering = ["day", "shift", "id"]
        verbose_name = _("巡防排班")
        verbose_name_plural = _("巡防排班")
        constraints = [
            models.UniqueConstraint(fields=["circle", "day", "shift"], name="patrol_shift_unique")
        ]

    def __str__(self):
        return f"{self.day} {self.get_shift_display()} {self.team}"


class PatrolLog(ScopedModel):
    """巡防日志: what a patrol saw. A finding may become a case (through cases.services)."""

    circle = models.ForeignKey(PatrolCircle, on_delete=models.PROTECT, related_name="logs")
    team = models.ForeignKey(
        PatrolTeam, null=True, blank=True, on_delete=models.SET_NULL, related_name="logs"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patrol_logs"
    )
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    route = models.CharField(_("巡防路线"), max_length=200, blank=True)
    findings = models.TextField(_("发现情况"), blank=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("巡防日志")
        verbose_name_plural = _("巡防日志")

    def __str__(self):
        return f"{self.circle} {self.started_at:%Y-%m-%d}"

    @classmethod
    def scope_assignment_q(cls, user, action="view"):
        """A patrol team's members see the logs of their circle (read only)."""
        if action != "view" or not getattr(user, "pk", None):
            return Q(pk__in=[])
        return Q(
            circle_id__in=PatrolCircle.objects.filter(
                PatrolCircle.scope_assignment_q(user, action)
            ).values("pk")
        )


class Activity(ScopedModel):
    """A publicity activity (反诈, 普法, 消防 …) with its attendance."""

    class Topic(models.TextChoices):
        ANTI_FRAUD = "anti_fraud", _("反诈宣传")
        LAW = "law", _("普法宣传")
        FIRE = "fire", _("消防宣传")
        DRUGS = "drugs", _("禁毒宣传")
        TRAFFIC = "traffic", _("交通安全")
        OTHER = "other", _("其他")

    topic = models.CharField(_("主题"), max_length=12, choices=Topic.choices)
    title = models.CharField(_("活动名称"), max_length=150)
    held_on = models.DateField(_("活动日期"), db_index=True)
    location = models.CharField(_("地点"), max_length=200, blank=True)
    attendance = models.PositiveIntegerField(_("参加人数"), default=0)
    summary = models.TextField(_("活动情况"), blank=True)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("宣传活动")
        verbose_name_plural = _("宣传活动")

    def __str__(self):
        return self.title
