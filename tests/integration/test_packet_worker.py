"""A real Celery worker on Redis builds a packet against the test database.

Skipped without ``REDIS_URL`` (CI sets it, with PostgreSQL). The worker is a subprocess, so it
needs a database it can reach: the pytest-django test database on PostgreSQL, passed to it as
``DATABASE_URL``. It listens on a queue of its own, so a developer's running worker on the same
Redis never takes the task.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from documents.packets.models import BuildStatus, PacketBuild
from documents.tasks import build_packet_task
from tests.documents.test_packets import demo_case

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 120

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"),
        reason="needs REDIS_URL: a Redis broker for a real Celery worker (CI sets it)",
    ),
]


def database_url(settings_dict: dict) -> str:
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'], safe='')}"


def start_worker(queue: str, env: dict, log: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "npp",
        "worker",
        "-Q",
        queue,
        "-n",
        f"{queue}@%h",
        "-P",
        "solo",
        "-l",
        "info",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    with log.open("wb") as handle:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)


def stop(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def watch(build_id: int) -> list[tuple[str, int]]:
    """Every (status, progress) seen until the build ends or the time is up."""
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        build = PacketBuild.objects.get(pk=build_id)
        if not seen or seen[-1] != (build.status, build.progress):
            seen.append((build.status, build.progress))
        if build.status in (BuildStatus.DONE, BuildStatus.FAILED):
            break
        time.sleep(0.05)
    return seen


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_builds_the_packet_and_reports_progress_to_100(facilitator, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the worker must share the test database: run on PostgreSQL (DATABASE_URL)")
    case = demo_case(facilitator)
    build = PacketBuild.objects.create(case=case, kind="application", requested_by=facilitator)
    queue = f"npp-test-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "npp.settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "NPP_PRIVATE_STORAGE_ROOT": str(settings.PRIVATE_STORAGE_ROOT),
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    log = tmp_path / "worker.log"
    worker = start_worker(queue, env, log)
    try:
        build_packet_task.apply_async(args=[build.pk], queue=queue)
        seen = watch(build.pk)
    finally:
        stop(worker)
        with build_packet_task.app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)  # no message of ours is left behind
    assert seen[-1] == (BuildStatus.DONE, 100), (seen, log.read_text()[-3000:])
    running = [progress for status, progress in seen if status == BuildStatus.RUNNING]
    assert running == sorted(running)
    build.refresh_from_db()
    packets = case.documents.filter(document_type__code="application_packet")
    assert [d.pk for d in packets] == [build.document_id]
    assert build.document.page_count > 10
    assert build.document.sha256
