"""``django.contrib.staticfiles`` as this project installs it (``npp/settings.py``)."""

from __future__ import annotations

from django.contrib.staticfiles.apps import StaticFilesConfig


class CollectedStaticFilesConfig(StaticFilesConfig):
    """Leaves out of ``collectstatic`` what the API's doc page never loads from
    drf-spectacular-sidecar: Redoc (5 of its 9 MB with its source map; compressing it for
    whitenoise cost every image build about 15 s of CPU). The source maps of Swagger UI stay:
    its files name them, and the manifest storage refuses a missing one."""

    ignore_patterns = [*StaticFilesConfig.ignore_patterns, "redoc"]
