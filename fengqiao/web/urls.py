from django.urls import path

from . import views

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
    path("reveal/<str:model_label>/<int:pk>/<str:field>/", views.reveal, name="reveal"),
]
