from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The versioned JSON API (``/api/v1/``): the portals' scope and services, for programs.

    It sits beside the portals and the dashboard: it reads and writes only through the
    selectors and services of ``documents`` and ``cases``, and ``cases.access`` decides who
    sees what, as for every other door."""

    name = "api"
    verbose_name = "API"

    def ready(self) -> None:
        # drf-spectacular finds the token scheme through this extension's registration.
        from . import schema  # noqa: F401
