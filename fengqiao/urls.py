"""URL map. Staff pages at /, resident pages under /r/, the JSON API at /api/v1/."""

import importlib

from django.contrib import admin
from django.urls import include, path

from .api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

# Domain apps with pages: (url prefix, module). An app not written yet is skipped.
APP_URLS = [
    ("cases/", "fengqiao.cases.urls"),
    ("r/", "fengqiao.cases.resident_urls"),
    ("open311/", "fengqiao.cases.open311"),
    ("disputes/", "fengqiao.disputes.urls"),
    ("assistant/", "fengqiao.assistant.urls"),
    ("risks/", "fengqiao.risks.urls"),
    ("registry/", "fengqiao.registry.urls"),
    ("fieldwork/", "fengqiao.fieldwork.urls"),
    ("insights/", "fengqiao.insights.urls"),
]
for prefix, module_path in APP_URLS:
    try:
        importlib.import_module(module_path)
    except ModuleNotFoundError as exc:
        if exc.name != module_path:
            raise
        continue
    urlpatterns.append(path(prefix, include(module_path)))

urlpatterns.append(path("", include("fengqiao.web.urls")))

handler400 = "fengqiao.web.errors.bad_request"
handler403 = "fengqiao.web.errors.forbidden"
handler404 = "fengqiao.web.errors.not_found"
handler500 = "fengqiao.web.errors.server_error"
