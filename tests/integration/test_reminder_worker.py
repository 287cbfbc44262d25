"""A real Celery worker on Redis delivers reminder emails, once, even when it is killed.

The worker and the sweep (``manage.py send_reminders``) run as subprocesses with nothing
patched: their environment points ``DATABASE_URL`` at pytest's test database, the broker at
Redis database 14 (flushed before and after, so nothing else interferes; another number with
``NPP_TEST_WORKER_REDIS_DB``) and ``EMAIL_URL`` at a folder (one file per email) or at an SMTP
server in this process: a small one that can hang, or a slow aiosmtpd one.
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
from celery import Celery
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from cases.delivery import RETRY_AFTER
from cases.models import Channel, Notification
from cases.tasks import CLAIM_LEASE_SECONDS
from tests.factories import CaseFactory, walk_to
from tests.smtp_sink import SMTPSink

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"),
        reason="needs Redis for a real Celery worker: set REDIS_URL",
    ),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: the worker process shares pytest's test "
        "database, which SQLite's in-memory test database cannot do",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CELERY = Path(sys.executable).with_name("celery")
WORKER_DB = int(os.environ.get("NPP_TEST_WORKER_REDIS_DB", "14"))  # this module's own
TIMEOUT = 30
Status = Notification.Status


# --- Subprocesses ---------------------------------------------------------------------------


def _with_path(url: str, path: str) -> str:
    return urlsplit(url)._replace(path=path).geturl()


def worker_env(email_url: str, **extra: str) -> dict[str, str]:
    """The environment of the worker and the sweep: pytest's database, Redis db 14."""
    broker = _with_path(os.environ["REDIS_URL"], f"/{WORKER_DB}")
    return {
        **os.environ,
        "DATABASE_URL": _with_path(
            os.environ["DATABASE_URL"], f"/{settings.DATABASES['default']['NAME']}"
        ),
        "REDIS_URL": broker,
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_URL": email_url,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


class Worker:
    """``celery -A npp worker`` in its own process group, logging to a file."""

    def __init__(self, env: dict[str, str], log: Path, concurrency: int = 1) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "npp",
                "worker",
                "-l",
                "info",
                "--concurrency",
                str(concurrency),
                "-n",
                f"npp-it-{uuid.uuid4().hex[:8]}@%h",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its pool child shares the group: one kill stops both
        )
        self.wait_for(" ready.")

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, count: int = 1) -> None:
        wait_until(lambda: self.output().count(text) >= count, f"worker log to show {text!r}", self)

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


def wait_until(
    condition, what: str, worker: Worker | None = None, timeout: float = TIMEOUT
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            log = worker.output()[-3000:] if worker else ""
            what = what() if callable(what) else what
            pytest.fail(f"timed out waiting for {what}\n{log}")
        time.sleep(0.1)


def sweep(env: dict[str, str]) -> str:
    """``manage.py send_reminders`` in its own process, as of now; returns its output."""
    done = subprocess.run(
        [sys.executable, "manage.py", "send_reminders", "--now", timezone.now().isoformat()],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
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
        if self.server.hang_here("greeting"):
            return  # connection dropped before the greeting: nothing was handed over
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
                if message is None or self.server.hang_here("data"):
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
    """Hangs once at ``hang_at`` until ``release()``, then drops that connection: before its
    greeting ("greeting"), or after receiving the message, before answering its DATA
    ("data"). Accepts everything else."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, hang_at: str = "data") -> None:
        super().__init__(("127.0.0.1", 0), SMTPHandler)
        self.hang_at = hang_at
        self.accepted: list[bytes] = []
        self.hanging = threading.Event()
        self._released = threading.Event()
        self._hung_once = False
        self._lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.server_address[1]}"

    def hang_here(self, step: str) -> bool:
        with self._lock:
            if self._hung_once or step != self.hang_at:
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

    def start(env: dict[str, str], concurrency: int = 1) -> Worker:
        started.append(Worker(env, tmp_path / f"worker-{len(started) + 1}.log", concurrency))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def documents_overdue(doctor1, facilitator):
    """A case in `documents` for 4 days with nothing uploaded: one email reminder is due, to
    doctor1 (plus its in-app copy)."""
    with time_machine.travel(timezone.now() - dt.timedelta(days=4), tick=False):
        return walk_to(
            CaseFactory(doctor=doctor1.doctor, facilitator=facilitator), "documents", facilitator
        )


def the_email() -> Notification:
    return Notification.objects.get(kind="documents_missing", channel=Channel.EMAIL)


# --- Tests ----------------------------------------------------------------------------------


def test_a_sweep_enqueues_and_the_worker_sends_the_email_once(documents_overdue, workers, tmp_path):
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


@pytest.mark.parametrize(("hang_at", "ends"), [("greeting", "sent"), ("data", "uncertain")])
def test_a_worker_killed_mid_delivery_is_replaced_and_the_email_goes_out_at_most_once(
    documents_overdue, workers, hang_at, ends
):
    """Killed while connecting (nothing handed over), the email goes out once after the lease.
    Killed after transmitting the message but before the server's answer, it may have been
    delivered: it becomes uncertain for a person to check, and is never sent again."""
    smtp = HangingSMTPServer(hang_at)
    try:
        env = worker_env(smtp.url)
        first = workers(env)
        sweep(env)
        assert smtp.hanging.wait(TIMEOUT), first.output()[-3000:]
        claimed = the_email()
        step = {"greeting": Status.CONNECTING, "data": Status.HANDED_OVER}[hang_at]
        assert (claimed.status, claimed.sent_at) == (step, None)

        first.kill()  # mid-SMTP
        smtp.release()
        second = workers(env)

        # The dead worker's claim holds for the lease: the sweep enqueues nothing meanwhile,
        # and nothing is sent.
        sweep(env)
        time.sleep(2)
        assert (smtp.accepted, the_email().status) == ([], step)

        # Stand in for waiting out the lease (120 s) by ageing the claim in the database.
        Notification.objects.filter(pk=claimed.pk).update(
            claimed_at=F("claimed_at") - dt.timedelta(seconds=CLAIM_LEASE_SECONDS)
        )
        sweep(env)
        wait_until(lambda: the_email().status == ends, f"the email to end {ends}", second)

        time.sleep(1)  # give a wrongly enqueued duplicate the time to show up
        if ends == "sent":
            assert len(smtp.accepted) == 1
            assert b"To: doctor1@example.in" in smtp.accepted[0]
            assert the_email().attempts == 2
        else:
            assert smtp.accepted == []
            assert the_email().attempts == 1
            assert "Check the mail server's log" in the_email().last_error
    finally:
        smtp.close()


# --- Many emails, a slow mail server, a worker killed mid-send ------------------------------

CRASH_EMAILS = 60
KILLS = 3
# Short SMTP waits make the lease 24 s and the broker's visibility timeout 26 s (see the
# settings), so the dead worker's messages come back within this test; the server's 0.7 s is
# well within the timeout.
CRASH_EMAIL_TIMEOUT = "2"


def crash_notifications(count: int) -> list[Notification]:
    case = CaseFactory()
    return Notification.objects.bulk_create(
        Notification(
            case=case,
            recipient_email=f"guardian{i}@example.in",
            kind="crash_test",
            channel=Channel.EMAIL,
            due_at=timezone.now(),
            subject=f"Reminder {i}",
            body="Please book the liver panel.",
            dedupe_key=f"crash-test:{i}",
        )
        for i in range(count)
    )


def enqueue(env: dict[str, str], ids: list[int]) -> None:
    """Publish one delivery task per id, as the sweep does, to the workers' broker."""
    sender = Celery("crash-test-sender", broker=env["CELERY_BROKER_URL"], set_as_current=False)
    try:
        for pk in ids:
            sender.send_task("cases.deliver_notification", args=[pk])
    finally:
        sender.close()


def statuses(ids: list[int]) -> dict[int, str]:
    return dict(Notification.objects.filter(pk__in=ids).values_list("pk", "status"))


def test_a_worker_killed_mid_send_sends_each_message_id_at_most_once_and_loses_nothing(
    workers, tmp_path
):
    """kill -9, three times, while a slow mail server (0.7 s to accept each message) is being
    sent to by four processes: the messages the dead workers held come back from the broker by
    themselves (late acks, visibility timeout), one the broker itself lost is enqueued by the
    sweep, and no Message-ID reaches the server twice. A message handed over when its worker died ends uncertain (the
    server received it once, or not at all); every other one ends sent, received exactly
    once."""
    rows = crash_notifications(CRASH_EMAILS)
    ids = [row.pk for row in rows]
    message_ids = {row.pk: row.message_id for row in rows}
    kills: list[dict[int, str]] = []  # the in-flight rows at each kill, with their status
    with SMTPSink(delay=0.7) as sink:
        env = worker_env(sink.url, EMAIL_TIMEOUT=CRASH_EMAIL_TIMEOUT)
        current = workers(env, concurrency=4)
        enqueue(env, ids)

        tries = 0
        while len(kills) < KILLS:
            tries += 1
            assert tries <= 2 * KILLS, f"only {len(kills)} kills cut a send in {tries - 1} tries"
            # Kill while messages are being handed over, a quarter further each time.
            target = CRASH_EMAILS * (len(kills) + 1) // (KILLS + 1)
            wait_until(
                lambda t=target: len(sink.accepted) >= t,
                f"{target} to be sent",
                current,
                timeout=60,
            )
            earlier = {pk for kill in kills for pk in kill}
            wait_until(
                lambda earlier=earlier: any(
                    status == Status.HANDED_OVER and pk not in earlier
                    for pk, status in statuses(ids).items()
                ),
                "a message being handed over by the live workers",
                current,
                timeout=60,
            )
            current.kill()
            time.sleep(0.5)  # a statement the dead processes sent just before still lands
            at_kill = statuses(ids)
            in_flight = {
                pk: status
                for pk, status in at_kill.items()
                if status in (Status.CONNECTING, Status.HANDED_OVER) and pk not in earlier
            }
            # A kill that landed between two sends cut nothing; it does not count.
            if in_flight:
                kills.append(in_flight)
            current = workers(env, concurrency=4)

        undelivered = Notification.objects.filter(pk__in=ids, status__in=Notification.UNDELIVERED)
        # The broker redelivers what the dead workers held (late acks, visibility timeout).
        deadline = time.monotonic() + 90
        while undelivered.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        # A message can still vanish inside the broker: Kombu's Redis transport pops it and
        # records it as unacknowledged in two steps, and a kill between them loses it. Such an
        # email is still pending, never tried; the sweep enqueues it RETRY_AFTER later
        # (cases.delivery.lost). Ten minutes are simulated by backdating the row.
        never_tried = undelivered.filter(status=Status.PENDING, attempts=0, claimed_at=None)
        lost_in_the_broker = list(never_tried.values_list("pk", flat=True))
        assert undelivered.count() == len(lost_in_the_broker), list(
            undelivered.values_list(
                "pk", "status", "attempts", "claimed_at", "next_attempt_at", "last_error"
            )
        )
        if lost_in_the_broker:
            never_tried.update(created_at=timezone.now() - RETRY_AFTER - dt.timedelta(minutes=1))
        # A sweep enqueues exactly those (creating nothing), and then nothing is undelivered.
        assert sweep(env).startswith("0 notification(s) created")
        wait_until(
            lambda: not undelivered.exists(),
            lambda: (
                "every email to end sent or uncertain; still undelivered: "
                + repr(
                    list(
                        undelivered.values_list(
                            "pk",
                            "status",
                            "attempts",
                            "claimed_at",
                            "next_attempt_at",
                            "last_error",
                        )
                    )
                )
            ),
            current,
            timeout=60,
        )
        time.sleep(1.5)  # nothing arrives late
        final, received = statuses(ids), sink.counts()

    handed_over_at_a_kill = {
        pk
        for in_flight in kills
        for pk, status in in_flight.items()
        if status == Status.HANDED_OVER
    }
    assert len(kills) == KILLS
    assert set(received) <= set(message_ids.values())  # nothing but these notifications
    assert max(received.values()) == 1, received.most_common(3)  # never twice: no duplicate
    for pk, status in final.items():
        if status == Status.SENT:  # no loss: a sent row reached the server exactly once
            assert received[message_ids[pk]] == 1, (pk, status)
        else:  # only a hand-over cut by a kill is left for a person to check
            assert (status, pk in handed_over_at_a_kill) == (Status.UNCERTAIN, True), (pk, status)
            assert received[message_ids[pk]] <= 1
    # A delivery killed before its hand-over was sent again.
    for in_flight in kills:
        for pk, status in in_flight.items():
            if status == Status.CONNECTING and pk not in handed_over_at_a_kill:
                assert final[pk] == Status.SENT, (pk, final[pk])
    print(
        f"\n{CRASH_EMAILS} emails, {KILLS} kills; lost in the broker and recovered by the "
        f"sweep: {len(lost_in_the_broker)}; in flight at each kill: "
        f"{[sorted(kill.values()) for kill in kills]}; "
        f"{sum(s == Status.SENT for s in final.values())} sent, "
        f"{sum(s == Status.UNCERTAIN for s in final.values())} uncertain "
        f"({sum(received[message_ids[pk]] for pk, s in final.items() if s == Status.UNCERTAIN)}"
        " of them received by the server)"
    )
