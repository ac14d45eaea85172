from django.urls import path

from . import views

app_name = "insights"

urlpatterns = [
    path("", views.board, name="board"),
    path("disputes/", views.disputes, name="disputes"),
    path("export.<str:fmt>", views.export, name="export"),
    path("map/", views.map_page, name="map"),
    path("map/layers.json", views.map_layers, name="map_layers"),
    path("map/places/<int:pk>.json", views.grid_card, name="grid_card"),
    path("alerts/", views.alerts_page, name="alerts"),
    path("alerts/template.csv", views.alert_template, name="alert_template"),
    path("alerts/imports/<int:pk>/", views.alert_import, name="alert_import"),
    path("evaluation/", views.evaluation_page, name="evaluation"),
    path("evaluation/export.xlsx", views.evaluation_export, name="evaluation_export"),
    path("reports/", views.reports_page, name="reports"),
    path("reports/<str:kind>.<str:fmt>", views.report_download, name="report"),
    path("villages/", views.villages_page, name="villages"),
    path("villages/export.xlsx", views.villages_export, name="villages_export"),
    path("villages/<int:pk>/", views.village_detail, name="village"),
    path("villages/<int:pk>/act/<str:name>", views.village_act, name="village_act"),
]
