"""The production profile prepares its static files or refuses to start (issue 12, item 3).

Its pages link hashed files through WhiteNoise's manifest, which only ``collectstatic``
writes; without it every page answered 500. ``make web`` now collects them first, and the
server refuses to start, saying what to run, when ``STATIC_ROOT`` has no usable manifest.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from npp.checks import static_files_collected
from tests.manifest import write_static_manifest

ROOT = Path(__file__).resolve().parent.parent
MANIFEST_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "CELERY_"))
    }
    return {
        **clean,
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": "x" * 30 + "-not-a-real-secret-but-long-and-random-enough-9fj2K",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,npp.example.in",
        "NPP_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_STATIC_ROOT": str(tmp_path / "staticfiles"),
        **extra,
    }


@pytest.fixture
def manifest_storage(settings, tmp_path):
    settings.STORAGES = MANIFEST_STORAGE
    settings.STATIC_ROOT = tmp_path / "staticfiles"
    return settings.STATIC_ROOT


def test_development_storage_needs_no_manifest():
    assert static_files_collected() == []


def test_the_check_refuses_a_static_root_without_a_manifest(manifest_storage):
    [error] = static_files_collected()

    assert error.id == "npp.E001"
    assert "Static files are not collected" in error.msg
    assert "collectstatic --noinput" in error.msg


def test_the_check_passes_once_the_manifest_names_every_static_file(manifest_storage):
    write_static_manifest(manifest_storage)

    assert static_files_collected() == []


def test_the_check_refuses_a_manifest_older_than_the_code(manifest_storage):
    write_static_manifest(manifest_storage, leave_out=("npp/portal.css",))

    [error] = static_files_collected()

    assert error.id == "npp.E002"
    assert "npp/portal.css" in error.msg
    assert "collectstatic --noinput" in error.msg


def test_the_production_server_refuses_to_start_without_collected_static_files(tmp_path):
    env = production_env(tmp_path)
    started = subprocess.run(
        [sys.executable, "-c", "import npp.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    checked = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert started.returncode != 0
    assert "ImproperlyConfigured: Static files are not collected" in started.stderr
    assert "collectstatic --noinput" in started.stderr
    assert checked.returncode != 0
    assert "npp.E001" in checked.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_make_web_collects_static_files_and_serves_styled_pages(tmp_path):
    """The README's production-shaped command, from a checkout where nothing was collected."""
    port = _free_port()
    env = production_env(tmp_path)
    # -o: never rebuild the virtualenv from here, whatever the files' times say.
    server = subprocess.Popen(
        ["make", "-o", ".venv/.installed", "web", "HOST=127.0.0.1", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, page = _get(f"http://127.0.0.1:{port}/accounts/login/")
                break
            except OSError:
                time.sleep(0.3)
        assert status == 200, server.stdout.read() if server.poll() is not None else status
        stylesheet = next(line for line in page.splitlines() if "stylesheet" in line)
        href = stylesheet.split('href="')[1].split('"')[0]
        assert href.startswith("/static/npp/portal.")
        assert href != "/static/npp/portal.css"
        css_status, _ = _get(f"http://127.0.0.1:{port}{href}")
        assert css_status == 200
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
