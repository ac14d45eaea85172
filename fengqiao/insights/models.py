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
