"""The embedded default's Celery broker keeps everything under NPP_VAR_DIR."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PUBLISH = """
import django
django.setup()
from cases.tasks import send_due_reminders_task
send_due_reminders_task.delay()
"""


def test_publishing_on_the_filesystem_broker_writes_only_under_the_var_dir(tmp_path):
    """kombu's filesystem transport keeps its exchange table in ``control/`` of the working
    directory unless told otherwise: `make run` left one in the checkout."""
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "CELERY_"))
    }
    result = subprocess.run(
        [sys.executable, "-c", PUBLISH],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **clean,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "npp.settings",
            "NPP_VAR_DIR": str(tmp_path / "var"),
        },
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert list(workdir.iterdir()) == []
    assert list((tmp_path / "var" / "celery" / "queue").iterdir())
