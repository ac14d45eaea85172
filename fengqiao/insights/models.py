"""The command centre's own records. Figures read other apps' tables; only insights services
write here."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fengqiao.core.scoping import ScopedModel


class CommandCentre(models.Model):
    """Holds the command centre's permissions (no table)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_command_centre", "查看指挥中心一张图"),
            ("export_figures", "导出统计报表"),
            ("view_evaluation", "查看绩效考核"),
        ]
        verbose_name = _("指挥中心")

    def __str__(self):
        return str(self._meta.verbose_name)


class CaseDay(models.Model):
    """Daily roll-up of the case counters (see ``insights.figures``) per place and dimension.

    Each counter is attributed to the day of its own event: accepted/extended to the acceptance
    day, closed/reworked/rated/satisfied/close_seconds to the closure day, due/due_closed/
    due_on_time to the handling deadline's day (closed as of the refresh), urgent_* to the dispatch
    day. ``dim`` is "" (all cases of the place), "c<id>" (category), "d<id>" (department) or
    "t<id>" (team, for cases without a department). Written only by ``insights.rollup``.
    """

    day = models.DateField()
    place = models.ForeignKey("org.Place", on_delete=models.CASCADE, related_name="+")
    place_path = models.CharField(max_length=255)
    dim = models.CharField(max_length=24, default="", blank=True)
    accepted = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    due = models.PositiveIntegerField(default=0)
    due_closed = models.PositiveIntegerField(default=0)
    due_on_time = models.PositiveIntegerField(default=0)
    reworked = models.PositiveIntegerField(default=0)
    extended = models.PositiveIntegerField(default=0)
    urgent_base = models.PositiveIntegerField(default=0)
    urgent_in_time = models.PositiveIntegerField(default=0)
    rated = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    close_seconds = models.FloatField(default=0)

    class Meta:
        verbose_name = _("事件日汇总")
        verbose_name_plural = _("事件日汇总")
        constraints = [
            models.UniqueConstraint(fields=["day", "place", "dim"], name="caseday_unique")
        ]
        indexes = [models.Index(fields=["dim", "day", "place_path"], name="caseday_board")]

    def __str__(self):
        return f"{self.day} {self.place_id} {self.dim}"


class DirtyDay(models.Model):
    """A (day, place) slice of the roll-up to recompute, marked by the case flow's listener."""

    day = models.DateField()
    place = models.ForeignKey("org.Place", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "place"], name="dirtyday_unique")]

    def __str__(self):
        return f"{self.day} {self.place_id}"


class RollupState(models.Model):
    """One row: whether the roll-up has been built (the board reads it only then)."""

    built_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"rollup built {self.built_at}"


class AlertImport(ScopedModel):
    """One upload of 110 / 12345 alerts (警情) for a place: counts and the refused rows."""

    class Source(models.TextChoices):
        POLICE = "110", _("110报警")
        HOTLINE = "12345", _("12345热线")

    source = models.CharField(_("来源"), max_length=8, choices=Source.choices)
    filename = models.CharField(_("文件名"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    total_rows = models.PositiveIntegerField(default=0)
    created_rows = models.PositiveIntegerField(default=0)
    duplicate_rows = models.PositiveIntegerField(default=0)
    error_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        default_permissions = ("view",)
        permissions = [("import_alerts", "导入110/12345警情")]
        verbose_name = _("警情导入")
        verbose_name_plural = _("警情导入")

    def __str__(self):
        return f"{self.source} {self.filename}"


class Alert(ScopedModel):
    """One 110 / 12345 alert from an import: when, what kind, where. ``fingerprint`` (the source
    and the alert number, or the source, time, category, place and address when there is no
    number) is unique, so importing the same rows again adds nothing."""

    source = models.CharField(_("来源"), max_length=8, choices=AlertImport.Source.choices)
    number = models.CharField(_("警情编号"), max_length=40, blank=True)
    occurred_at = models.DateTimeField(_("报警时间"))
    category = models.CharField(_("警情类别"), max_length=60)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    summary = models.TextField(_("简要情况"), blank=True)
    batch = models.ForeignKey(AlertImport, on_delete=models.PROTECT, related_name="alerts")
    fingerprint = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        default_permissions = ("view",)
        verbose_name = _("警情")
        verbose_name_plural = _("警情")
        indexes = [models.Index(fields=["occurred_at", "place_path"], name="alert_period")]

    def __str__(self):
        return f"{self.source} {self.occurred_at:%Y-%m-%d %H:%M} {self.category}"


class IndicatorWeight(models.Model):
    """The weight of one indicator in the performance evaluation (``insights.evaluation``); an
    indicator without a row uses its default weight. Written only by ``services.set_weights``."""

    key = models.CharField(_("指标"), max_length=32, unique=True)
    weight = models.PositiveSmallIntegerField(_("权重"))

    class Meta:
        default_permissions = ("view", "change")
        verbose_name = _("考核指标权重")
        verbose_name_plural = _("考核指标权重")

    def __str__(self):
        return f"{self.key}: {self.weight}"


class VillageCriterion(models.Model):
    """One criterion of 无案村 (case-free village) status (``insights.villages``): a village meets
    it in a period when it has at most ``allowed`` offending records of its ``kind``. Edited on
    /settings/ through ``core.versioning.save`` (versioned, audited); a status keeps the versions
    it was evaluated with."""

    class Kind(models.TextChoices):
        CASES = "cases", _("事件（按类别代码）")
        ALERTS = "alerts", _("110/12345警情（按警情类别）")
        ESCALATION = "escalation", _("民转刑风险纠纷（按风险等级）")
        DISPUTES_ABOVE = "disputes_above", _("未在村级化解的纠纷（超过的层级）")
        RISKS = "risks", _("在册风险（按预警颜色）")
        RISK_CATEGORIES = "risk_categories", _("在册风险（按风险类别代码）")

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    kind = models.CharField(_("依据"), max_length=20, choices=Kind.choices)
    values = models.CharField(
        _("取值"),
        max_length=200,
        blank=True,
        help_text=_(
            "逗号分隔：事件类别代码、警情类别、纠纷风险等级（high/medium/low）、"
            "村级层级上限（如 2）、预警颜色（red/orange/blue/green）或风险类别代码"
        ),
    )
    allowed = models.PositiveSmallIntegerField(_("允许条数"), default=0)
    active = models.BooleanField(_("启用"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = _("无案村评定标准")
        verbose_name_plural = _("无案村评定标准")

    def __str__(self):
        return self.name

    def value_list(self):
        return [v.strip() for v in self.values.replace("，", ",").split(",") if v.strip()]


class VillageStatus(ScopedModel):
    """The 无案村 status of one village (``place``) for one period (a month, quarter or year):
    达标 or 未达标 with the offending records behind each unmet criterion (``reasons``), and the
    nomination / confirmation by leaders through the kernel (``insights.villages.flow``).
    Written only by ``insights.villages``."""

    class Period(models.TextChoices):
        MONTH = "month", _("月度")
        QUARTER = "quarter", _("季度")
        YEAR = "year", _("年度")

    class State(models.TextChoices):
        ASSESSED = "assessed", _("已评估")
        NOMINATED = "nominated", _("已提名")
        CONFIRMED = "confirmed", _("已确认")

    period = models.CharField(_("周期"), max_length=8, choices=Period.choices)
    start = models.DateField(_("开始"))
    end = models.DateField(_("结束"))
    met = models.BooleanField(_("达标"), default=False)
    reasons = models.JSONField(default=list, blank=True)
    criteria = models.JSONField(default=dict, blank=True)  # code → version evaluated with
    evaluated_at = models.DateTimeField(_("评估时间"))
    state = models.CharField(
        _("状态"), max_length=10, choices=State.choices, default=State.ASSESSED
    )
    nominated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    nominated_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start", "place_path"]
        default_permissions = ("view",)
        permissions = [
            ("evaluate_villagestatus", "评估无案村"),
            ("nominate_villagestatus", "提名无案村"),
            ("confirm_villagestatus", "确认无案村"),
        ]
        verbose_name = _("无案村评定")
        verbose_name_plural = _("无案村评定")
        constraints = [
            models.UniqueConstraint(
                fields=["place", "period", "start"], name="villagestatus_unique"
            )
        ]
        indexes = [models.Index(fields=["period", "start", "place_path"], name="village_period")]

    def __str__(self):
        return f"{self.place_id} {self.period} {self.start}"
