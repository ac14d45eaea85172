from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("dispatch/", views.dispatch_console, name="dispatch"),
    path("dispatch/bulk/", views.bulk_dispatch, name="bulk_dispatch"),
    path("supervision/", views.supervision, name="supervision"),
    path("new/", views.new, name="new"),
    path("grids/", views.grids, name="grids"),
    path("triage/", views.triage_queue, name="triage"),
    path("triage/<int:pk>/place/", views.triage_place, name="triage_place"),
    path("figures/", views.figures_page, name="figures"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/act/<str:name>/", views.act, name="act"),
    path("<int:pk>/sms/<int:note_id>/retry/", views.sms_retry, name="sms_retry"),
    path("<int:pk>/dispute/", views.spawn_dispute, name="spawn_dispute"),
    path("<int:pk>/files/<int:attachment_id>/", views.attachment, name="attachment"),
]
