from django.urls import path

from . import target_views, views

app_name = "fieldwork"

urlpatterns = [
    path("visits/", views.visits, name="visits"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("visits/<int:pk>/", views.visit_detail, name="visit"),
    path("followups/", views.followups, name="followups"),
    path("notes/new/", views.note_new, name="note_new"),
    path("notes/<int:pk>/act/<str:name>/", views.note_act, name="note_act"),
    path("patrols/", views.patrols, name="patrols"),
    path("patrols/<int:pk>/", views.patrol_detail, name="patrol"),
    path("patrols/<int:pk>/act/<str:name>/", views.patrol_act, name="patrol_act"),
    path("circles/new/", views.circle_new, name="circle_new"),
    path("circles/<int:pk>/", views.circle_detail, name="circle"),
    path("circles/<int:pk>/teams/", views.circle_teams, name="circle_teams"),
    path("circles/<int:pk>/rota/", views.circle_rota, name="circle_rota"),
    path("activities/", views.activities, name="activities"),
    path("activities/<int:pk>/", views.activity_detail, name="activity"),
    path("bulletin/", views.bulletin, name="bulletin"),
    path("targets/", target_views.targets_page, name="targets"),
    path("targets/<int:user_id>/", target_views.target_detail, name="target"),
]
