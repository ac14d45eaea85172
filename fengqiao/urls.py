"""URL map. Staff pages at /, resident pages under /r/, the JSON API at /api/v1/."""

from django.contrib import admin
from django.urls import include, path

from .api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

# Domain apps with pages: (url prefix, module). A missing module fails at start-up.
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
urlpatterns += [path(prefix, include(module_path)) for prefix, module_path in APP_URLS]

urlpatterns.append(path("", include("fengqiao.web.urls")))

handler400 = "fengqiao.web.errors.bad_request"
handler403 = "fengqiao.web.errors.forbidden"
handler404 = "fengqiao.web.errors.not_found"
handler500 = "fengqiao.web.errors.server_error"
