from django.urls import path

from . import views

app_name = "insights"

urlpatterns = [
    path("", views.board, name="board"),
    path("disputes/", views.disputes, name="disputes"),
    path("export.<str:fmt>", views.export, name="export"),
]
