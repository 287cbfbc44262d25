"""The guardian's status page (no login: the signed link is the key) and the portal users'
language choice."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "family"
urlpatterns = [
    path("status/<str:token>/", views.guardian_status_page, name="guardian_status"),
    path("language/", views.choose_language, name="language"),
]
