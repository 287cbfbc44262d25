from __future__ import annotations

from django.urls import path

from . import views
from .packets import views as packet_views

app_name = "documents"
urlpatterns = [
    path("<int:pk>/download/", views.download, name="download"),
    path(
        "packets/case/<int:case_pk>/build/<str:kind>/",
        packet_views.build,
        name="packet_build",
    ),
    path("packets/builds/<int:pk>/", packet_views.build_status, name="packet_build_status"),
]
