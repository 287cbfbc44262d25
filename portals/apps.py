"""The portals app: no models, only the doctor and hospital portals' pages."""

from __future__ import annotations

from django.apps import AppConfig


class PortalsConfig(AppConfig):
    name = "portals"
    verbose_name = "Portals"
