"""The API decides no access itself: no role check in api/ (tests/test_access_single_source.py
scans the other apps; this scans the API with the same patterns)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from tests.test_access_single_source import role_checks_in

API = Path(settings.BASE_DIR) / "api"


def test_no_role_check_in_the_api():
    modules = sorted(path for path in API.rglob("*.py") if "migrations" not in path.parts)
    found = [
        f"{path.relative_to(API.parent)}:{line}: {name}"
        for path in modules
        for line, name in role_checks_in(path.read_text())
    ]

    assert len(modules) > 10
    assert found == []
