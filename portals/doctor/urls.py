"""Doctor portal routes, included under ``/portal/doctor/`` in the ``portal`` namespace."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.doctor_case_list, name="doctor_cases"),
    path("cases/<int:pk>/", views.doctor_case, name="doctor_case"),
    path("cases/<int:pk>/upload/", views.doctor_upload, name="doctor_upload"),
    path("cases/<int:pk>/actions/<slug:name>/", views.doctor_transition, name="doctor_transition"),
]
