"""The apps form layers, top to bottom: npp, then the portals, the dashboard and webhooks
(independent of each other), then documents, then cases. The contract is in pyproject.toml; ``lint-imports``
checks it. An import that points up, or across the portals/dashboard layer, fails here, and
so does any cycle between apps, since a cycle needs one."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from django.apps import apps
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _import_linter_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def _project_apps() -> set[str]:
    """Installed apps whose package sits at the top of this repository."""
    return {
        config.name
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == ROOT.resolve()
    }


def test_no_app_imports_one_above_it_or_beside_it():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_project_app_is_checked_and_has_a_layer():
    config = _import_linter_config()
    (contract,) = config["contracts"]
    layered = {
        name.strip().strip("()") for layer in contract["layers"] for name in layer.split("|")
    }

    assert _project_apps() <= set(config["root_packages"])
    assert _project_apps() <= layered
