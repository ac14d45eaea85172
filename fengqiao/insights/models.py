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
