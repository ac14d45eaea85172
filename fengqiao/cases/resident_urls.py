from django.urls import path, re_path

from . import resident_views as views

app_name = "resident"

urlpatterns = [
    path("report/", views.report, name="report_any"),
    path("p/<uuid:token>/", views.pending, name="pending"),
    path("g/<str:grid_code>/", views.report, name="report"),
    path("g/<str:grid_code>/qr.png", views.qr_png, name="qr"),
    re_path(r"^g/(?P<grid_code>[^/]+)/poster\.(?P<fmt>pdf|png)$", views.poster, name="poster"),
    path("t/", views.track_lookup, name="lookup"),
    path("t/<str:code>/", views.track, name="track"),
    path("t/<str:code>/do/<str:action>/", views.track_action, name="track_action"),
    path("t/<str:code>/files/<int:attachment_id>/", views.track_file, name="track_file"),
]
