"""Cold-chain routes, included under ``/cold-chain/``."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "coldchain"

urlpatterns = [
    path("cases/<int:pk>/logger/", views.logger_upload_view, name="logger_upload"),
]
