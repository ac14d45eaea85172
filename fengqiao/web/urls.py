from django.urls import path

from . import settings_views, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("login/second-factor/", views.second_factor, name="second_factor"),
    path("logout/", views.logout, name="logout"),
    path("inbox/", views.inbox, name="inbox"),
    path("audit/", views.audit_log, name="audit"),
    path("role-requests/", views.role_requests, name="role_requests"),
    path("role-requests/<int:pk>/decide/", views.role_request_decide, name="role_request_decide"),
    path("settings/", settings_views.index, name="settings"),
    path("settings/<slug:section>/", settings_views.section_list, name="settings_list"),
    path("settings/<slug:section>/new/", settings_views.edit, name="settings_add"),
    path("settings/<slug:section>/<int:pk>/", settings_views.edit, name="settings_edit"),
    path(
        "settings/<slug:section>/<int:pk>/delete/",
        settings_views.delete,
        name="settings_delete",
    ),
    path("reveal/<str:model_label>/<int:pk>/<str:field>/", views.reveal, name="reveal"),
]
