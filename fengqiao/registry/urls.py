from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("", views.search, name="search"),
    path("addresses/new/", views.address_new, name="address_new"),
    path("addresses/<int:pk>/", views.address_detail, name="address"),
    path("addresses/<int:pk>/retire/", views.address_retire, name="address_retire"),
    path("people/new/", views.person_new, name="person_new"),
    path("people/<int:pk>/", views.person_detail, name="person"),
    path("people/<int:pk>/tags/", views.person_tag, name="person_tag"),
    path("houses/new/", views.house_new, name="house_new"),
    path("houses/<int:pk>/", views.house_detail, name="house"),
    path("houses/<int:pk>/tenancies/<int:tenancy_id>/end/", views.tenancy_end, name="tenancy_end"),
    path("units/new/", views.unit_new, name="unit_new"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
    path("imports/", views.imports, name="imports"),
    path("imports/template/", views.import_template, name="import_template"),
    path("imports/<int:pk>/", views.import_job, name="import_job"),
    path("imports/<int:pk>/report/", views.import_report, name="import_report"),
    path("export/", views.export, name="export"),
    path("stays/", views.stays, name="stays"),
    path("stays/new/", views.stay_new, name="stay_new"),
    path("stays/<int:pk>/", views.stay_detail, name="stay"),
    path("stays/<int:pk>/act/<str:action>/", views.stay_act, name="stay_act"),
    path("addresses/<int:pk>/doorplate/", views.doorplate, name="doorplate"),
    path("p/<str:token>/", views.public_place, name="public_place"),
    path("p/<str:token>/stay/", views.public_stay, name="public_stay"),
]
