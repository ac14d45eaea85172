from django.urls import path

from . import views

app_name = "assistant"

urlpatterns = [
    path("chat/", views.chat, name="chat"),
    path("chat/ask/", views.chat_ask, name="chat_ask"),
    path("chat/handoff/", views.chat_handoff, name="chat_handoff"),
    path("answers/", views.answers, name="answers"),
    path("answers/new/", views.answer_edit, name="answer_new"),
    path("answers/export/", views.answers_export, name="answers_export"),
    path("answers/import/", views.answers_import, name="answers_import"),
    path("answers/<str:key>/", views.answer_edit, name="answer_edit"),
    path("answers/<str:key>/delete/", views.answer_delete, name="answer_delete"),
    path("unanswered/", views.unanswered, name="unanswered"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert"),
    path("alerts/<int:pk>/act/<str:name>/", views.alert_act, name="alert_act"),
    path("handoffs/", views.handoffs, name="handoffs"),
    path("handoffs/<int:pk>/", views.handoff_detail, name="handoff"),
    path("handoffs/<int:pk>/act/<str:name>/", views.handoff_act, name="handoff_act"),
]
