"""Portal routes under ``/portal/``, all in the ``portal`` namespace (``portal:doctor_case``).

The shared pages are here; each portal brings its own routes. Their included modules have no
``app_name`` of their own, so every name stays ``portal:<name>``.
"""

from __future__ import annotations

from django.urls import include, path

from . import common

app_name = "portal"
urlpatterns = [
    path("", common.home, name="home"),
    path("reminders/", common.notifications, name="notifications"),
    path("doctor/", include("portals.doctor.urls")),
    path("hospital/", include("portals.hospital.urls")),
]
