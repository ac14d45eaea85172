from django.urls import path

from . import views

app_name = "risks"

urlpatterns = [
    path("", views.board, name="board"),
    path("list/", views.register_list, name="list"),
    path("new/", views.apply, name="apply"),
    path("export.xlsx", views.export, name="export"),
    path("figures/", views.figures, name="figures"),
    path("suggestions/", views.suggestion_list, name="suggestions"),
    path("suggestions/<int:pk>/", views.suggestion, name="suggestion"),
    path("reviews/", views.session_list, name="sessions"),
    path("reviews/<int:pk>/", views.session, name="session"),
    path("reviews/<int:pk>/items/<int:item_id>/", views.decide, name="decide"),
    path("reviews/<int:pk>/close/", views.close_session, name="close_session"),
    path("reviews/<int:pk>/pack/<str:fmt>/", views.session_pack, name="session_pack"),
    path("handovers/<int:pk>/<str:step>/", views.handover_step, name="handover_step"),
    path("measures/<int:pk>/complete/", views.complete_action, name="complete_action"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/act/<str:action>/", views.act, name="act"),
    path("<int:pk>/task-force/", views.task_force, name="task_force"),
    path("<int:pk>/people/", views.add_person, name="add_person"),
]
