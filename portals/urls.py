from __future__ import annotations

from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("reminders/", views.notifications, name="notifications"),
    path("doctor/", views.doctor_case_list, name="doctor_cases"),
    path("doctor/cases/<int:pk>/", views.doctor_case, name="doctor_case"),
    path("doctor/cases/<int:pk>/upload/", views.doctor_upload, name="doctor_upload"),
    path(
        "doctor/cases/<int:pk>/actions/<slug:name>/",
        views.doctor_transition,
        name="doctor_transition",
    ),
    path("hospital/", views.hospital_case_list, name="hospital_cases"),
    path("hospital/cases/<int:pk>/", views.hospital_case, name="hospital_case"),
    path("hospital/cases/<int:pk>/upload/", views.hospital_upload, name="hospital_upload"),
    path(
        "hospital/cases/<int:pk>/confirm-delivery/",
        views.hospital_confirm_delivery,
        name="hospital_confirm_delivery",
    ),
]
