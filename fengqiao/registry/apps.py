from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "fengqiao.registry"
    label = "registry"
    verbose_name = _("基础信息（一标三实）")

    def ready(self):
        from fengqiao.web.context import NAVIGATION

        from . import workflow  # noqa: F401 — registers the foreigners' stay flow

        entries = [
            ("registry:search", _("一标三实"), "registry.view_person"),
            ("registry:imports", _("数据导入"), "registry.import_registry"),
            ("registry:stays", _("境外人员住宿"), "registry.view_foreignerstay"),
        ]
        for entry in entries:
            if entry not in NAVIGATION:
                NAVIGATION.append(entry)
