"""A stand-in for ``collectstatic``'s manifest, for tests of the production profile.

It names every static file the finders know (each mapped to itself), which is all the
production profile's startup check (``npp.checks``) asks of it; a real collectstatic takes
seconds, and ``tests/test_static_files.py`` runs one through ``make web``.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.apps import apps
from django.contrib.staticfiles import finders


def write_static_manifest(root: Path, *, leave_out: tuple[str, ...] = ()) -> Path:
    ignore = apps.get_app_config("staticfiles").ignore_patterns
    paths = {
        path: path
        for finder in finders.get_finders()
        for path, _ in finder.list(ignore)
        if path not in leave_out
    }
    root.mkdir(parents=True, exist_ok=True)
    manifest = root / "staticfiles.json"
    manifest.write_text(json.dumps({"paths": paths, "version": "1.1", "hash": "test"}))
    return manifest
