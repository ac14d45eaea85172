from django.urls import path

from . import views

app_name = "disputes"

urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("new/", views.register, name="register"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/act/<str:action>/", views.act, name="act"),
    path("<int:pk>/hearing/", views.hearing, name="hearing"),
    path("<int:pk>/joint/", views.joint_dispatch, name="joint_dispatch"),
    path("<int:pk>/agreement/", views.agreement_edit, name="agreement_edit"),
    path("<int:pk>/parties/<int:party_id>/", views.party_edit, name="party_edit"),
    path("joint/", views.joint_board, name="joint_board"),
    path("joint/<int:task_id>/<str:action>/", views.joint_task, name="joint_task"),
    path("agreements/<int:agreement_id>/", views.agreement, name="agreement"),
    path("agreements/<int:agreement_id>/sign/", views.agreement_sign, name="agreement_sign"),
    path(
        "agreements/<int:agreement_id>/download/<str:fmt>/",
        views.agreement_download,
        name="agreement_download",
    ),
    path(
        "hearings/<int:hearing_id>/minutes/<str:fmt>/",
        views.hearing_minutes,
        name="hearing_minutes",
    ),
    path("verify/", views.verify, name="verify"),
    path("figures/", views.figures, name="figures"),
    path("pools/", views.pools, name="pools"),
    path("track/", views.track_start, name="track_start"),
    path("track/<str:code>/", views.track, name="track"),
]
