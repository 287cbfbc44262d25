"""Hospital portal routes, included under ``/portal/hospital/`` in the ``portal`` namespace."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.hospital_case_list, name="hospital_cases"),
    path("cases/<int:pk>/", views.hospital_case, name="hospital_case"),
    path("cases/<int:pk>/upload/", views.hospital_upload, name="hospital_upload"),
    path(
        "cases/<int:pk>/confirm-delivery/",
        views.hospital_confirm_delivery,
        name="hospital_confirm_delivery",
    ),
]
