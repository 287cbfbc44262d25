from __future__ import annotations

from django.apps import AppConfig


class NppConfig(AppConfig):
    """The project as an app, listed after the domain apps: home of the commands that compose
    all of them (demo data, a patient's data export, backups)."""

    name = "npp"
    verbose_name = "NPP project"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks
