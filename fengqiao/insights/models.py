"""The command centre's own records. Figures read other apps' tables; only insights services
write here."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CommandCentre(models.Model):
    """Holds the command centre's permissions (no table)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_command_centre", "查看指挥中心一张图"),
            ("export_figures", "导出统计报表"),
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
