from __future__ import annotations

from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("<int:pk>/download/", views.download, name="download"),
]
