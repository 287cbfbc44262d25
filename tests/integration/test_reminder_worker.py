"""A real Celery worker on Redis delivers reminder emails, once, even when it is killed.

The worker and the sweep (``manage.py send_reminders``) run as subprocesses with nothing
patched: their environment points ``DATABASE_URL`` at pytest's test database, the broker at
Redis database 14 (flushed before and after, so nothing else interferes) and ``EMAIL_URL`` at
a folder (one file per email) or at a small SMTP server in this process that can hang.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
import time_machine
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from cases.models import Channel, Notification
from cases.tasks import CLAIM_LEASE_SECONDS
from tests.factories import CaseFactory, walk_to

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"),
                       reason="needs Redis for a real Celery worker: set REDIS_URL"),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL: the worker process shares pytest's test "
                       "database, which SQLite's in-memory test database cannot do"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CELERY = Path(sys.executable).with_name("celery")
WORKER_DB = 14  # the Redis database this module owns
TIMEOUT = 30


# --- Subprocesses ---------------------------------------------------------------------------


def _with_path(url: str, path: str) -> str:
    return urlsplit(url)._replace(path=path).geturl()


def worker_env(email_url: str) -> dict[str, str]:
    """The environment of the worker and the sweep: pytest's database, Redis db 14."""
    broker = _with_path(os.environ["REDIS_URL"], f"/{WORKER_DB}")
    return {
        **os.environ,
        "DATABASE_URL": _with_path(os.environ["DATABASE_URL"],
                                   f"/{settings.DATABASES['default']['NAME']}"),
        "REDIS_URL": broker,
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_URL": email_url,
        "PYTHONUNBUFFERED": "1",
    }


class Worker:
    """``celery -A npp worker`` in its own process group, logging to a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [str(CELERY), "-A", "npp", "worker", "-l", "info", "--concurrency", "1",
             "-n", f"npp-it-{uuid.uuid4().hex[:8]}@%h",
             "--without-mingle", "--without-gossip", "--without-heartbeat"],
            cwd=settings.BASE_DIR, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True,  # its pool child shares the group: one kill stops both
        )
        self.wait_for(" ready.")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, count: int = 1) -> None:
        wait_until(lambda: self.output().count(text) >= count,
                   f"worker log to show {text!r}", self)

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a lost machine would: no cleanup at all."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(TIMEOUT)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # warm shutdown
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()


def wait_until(condition, what: str, worker: Worker | None = None) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            log = worker.output()[-3000:] if worker else ""
            pytest.fail(f"timed out waiting for {what}\n{log}")
        time.sleep(0.1)


def sweep(env: dict[str, str]) -> str:
    """``manage.py send_reminders`` in its own process, as of now; returns its output."""
    done = subprocess.run(
        [sys.executable, "manage.py", "send_reminders", "--now", timezone.now().isoformat()],
        cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr  # with its traceback, unlike check=True
    return done.stdout


# --- A mail server that can hang ------------------------------------------------------------


class SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for Django's backend. A message counts as sent only once this server
    has answered 250 to its DATA, as a real server accepts it."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 mail.npp.test ESMTP")
        while line := self.rfile.readline():
            command = line.decode("ascii", "replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 mail.npp.test")
            elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                self.reply("250 OK")
            elif command == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                message = self.read_message()
                if message is None or self.server.hang_here():
                    return  # connection dropped, never answered: not accepted
                self.server.accepted.append(message)
                self.reply("250 OK queued")
            elif command == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")

    def read_message(self) -> bytes | None:
        lines = []
        while line := self.rfile.readline():
            if line.rstrip(b"\r\n") == b".":
                return b"".join(lines)
            lines.append(line)
        return None


class HangingSMTPServer(socketserver.ThreadingTCPServer):
    """Hangs before answering the first message's DATA until ``release()``; accepts the rest."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), SMTPHandler)
        self.accepted: list[bytes] = []
        self.hanging = threading.Event()
        self._released = threading.Event()
        self._hung_once = False
        self._lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.server_address[1]}"

    def hang_here(self) -> bool:
        with self._lock:
            if self._hung_once:
                return False
            self._hung_once = True
        self.hanging.set()
        self._released.wait(TIMEOUT)
        return True

    def release(self) -> None:
        self._released.set()

    def close(self) -> None:
        self.release()
        self.shutdown()
        self.server_close()


# --- Fixtures -------------------------------------------------------------------------------


@pytest.fixture
def broker():
    client = redis.Redis.from_url(_with_path(os.environ["REDIS_URL"], f"/{WORKER_DB}"))
    client.flushdb()
    yield client
    client.flushdb()  # the killed worker's unacknowledged message must not linger


@pytest.fixture
def workers(broker, tmp_path):
    """Start workers with ``workers(env)``; every one is stopped at the end, whatever happens."""
    started: list[Worker] = []

    def start(env: dict[str, str]) -> Worker:
        started.append(Worker(env, tmp_path / f"worker-{len(started) + 1}.log"))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def documents_overdue(doctor1, facilitator):
    """A case in `documents` for 4 days with nothing uploaded: one email reminder is due, to
    doctor1 (plus its in-app copy)."""
    with time_machine.travel(timezone.now() - dt.timedelta(days=4), tick=False):
        return walk_to(CaseFactory(doctor=doctor1.doctor, facilitator=facilitator), "documents",
                       facilitator)


def the_email() -> Notification:
    return Notification.objects.get(kind="documents_missing", channel=Channel.EMAIL)


# --- Tests ----------------------------------------------------------------------------------


def test_a_sweep_enqueues_and_the_worker_sends_the_email_once(documents_overdue, workers,
                                                              tmp_path):
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    env = worker_env(f"filemail:///{outbox}")  # an absolute path needs the fourth slash
    workers(env)

    assert sweep(env).startswith("2 notification(s) created")
    wait_until(lambda: the_email().sent_at is not None, "the worker to mark the email sent")

    [email] = outbox.iterdir()
    text = email.read_text()
    assert "To: doctor1@example.in" in text
    assert f"Subject: {documents_overdue.reference}: documents still missing or rejected" in text
    assert the_email().attempts == 1
    assert sweep(env).startswith("0 notification(s) created")
    time.sleep(1)  # give a wrongly enqueued duplicate the time to show up
    assert len(list(outbox.iterdir())) == 1


def test_a_worker_killed_mid_delivery_is_replaced_and_the_email_goes_out_once(
    documents_overdue, workers
):
    smtp = HangingSMTPServer()
    try:
        env = worker_env(smtp.url)
        first = workers(env)
        sweep(env)
        assert smtp.hanging.wait(TIMEOUT), first.output()[-3000:]
        claimed = the_email()
        assert (claimed.claimed_at is not None, claimed.sent_at) == (True, None)

        first.kill()  # mid-SMTP: the message was transmitted but never accepted
        smtp.release()
        second = workers(env)

        # The dead worker's claim holds for the lease: the sweep enqueues nothing meanwhile,
        # and nothing is sent.
        sweep(env)
        time.sleep(2)
        assert (smtp.accepted, the_email().sent_at) == ([], None)

        # Stand in for waiting out the lease (120 s) by ageing the claim in the database.
        Notification.objects.filter(pk=claimed.pk).update(
            claimed_at=F("claimed_at") - dt.timedelta(seconds=CLAIM_LEASE_SECONDS))
        sweep(env)
        wait_until(lambda: the_email().sent_at is not None, "the new worker to send", second)

        assert len(smtp.accepted) == 1
        assert b"To: doctor1@example.in" in smtp.accepted[0]
        assert the_email().attempts == 2
        time.sleep(1)
        assert len(smtp.accepted) == 1
    finally:
        smtp.close()
