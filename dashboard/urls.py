from __future__ import annotations

from django.urls import path

from . import views

# Included at /dashboard/ without a namespace: templates and tests use these bare names.
urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("deadlines/", views.deadlines_view, name="dashboard-deadlines"),
    path("help/", views.help_view, name="dashboard-help"),
]
