from __future__ import annotations

from django.apps import AppConfig
from django.contrib.staticfiles.apps import StaticFilesConfig


class NppConfig(AppConfig):
    """The project as an app, listed after the domain apps: home of the commands that compose
    all of them (demo data, a patient's data export, backups)."""

    default = True  # the app "npp" in INSTALLED_APPS (this module holds two configs)
    name = "npp"
    verbose_name = "NPP project"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks


class NppStaticFilesConfig(StaticFilesConfig):
    """``django.contrib.staticfiles`` without ReDoc's bundle (drf-spectacular-sidecar ships it
    beside Swagger UI; the API's doc page uses only Swagger UI). Its 5 MB source map made
    ``collectstatic`` hash and compress for a minute on every production start."""

    ignore_patterns = [*StaticFilesConfig.ignore_patterns, "redoc"]
