from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldworkConfig(AppConfig):
    name = "fengqiao.fieldwork"
    label = "fieldwork"
    verbose_name = _("社区警务")

    def ready(self):
        from fengqiao.web.context import HOME_PANELS, NAVIGATION

        from .views import home_panel

        panel = ("fieldwork/_home_panel.html", home_panel)
        if panel not in HOME_PANELS:
            HOME_PANELS.append(panel)

        entries = [
            ("fieldwork:visits", _("走访"), "fieldwork.view_visit"),
            ("fieldwork:targets", _("走访目标"), "fieldwork.view_visit"),
            ("fieldwork:followups", _("待跟进"), "fieldwork.view_fieldnote"),
            ("fieldwork:patrols", _("巡防"), "fieldwork.view_patrollog"),
            ("fieldwork:activities", _("宣传活动"), "fieldwork.view_activity"),
        ]
        for entry in entries:
            if entry not in NAVIGATION:
                NAVIGATION.append(entry)
