from django.urls import path

from . import views

app_name = "fieldwork"

urlpatterns = [
    path("visits/", views.visits, name="visits"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("visits/<int:pk>/", views.visit_detail, name="visit"),
    path("followups/", views.followups, name="followups"),
    path("notes/new/", views.note_new, name="note_new"),
    path("notes/<int:pk>/done/", views.note_done, name="note_done"),
    path("patrols/", views.patrols, name="patrols"),
    path("activities/", views.activities, name="activities"),
    path("bulletin/", views.bulletin, name="bulletin"),
]
