"""Faults: the broker down, the database lost during an upload.

The broker outage is real: the Celery app is pointed at a port where nothing listens, so
publishing fails the way it does in production (connection refused), not through a mock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import socket
import time
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from cases.models import Channel, Notification
from cases.reminders import RETRY_AFTER, reminders_sweep
from documents.demo import simple_pdf
from documents.models import Document, DocumentType
from documents.packets.models import BuildStatus, PacketBuild
from documents.services import document_upload
from npp.celery import app as celery_app
from tests.factories import give_documents, walk_to

pytestmark = pytest.mark.django_db

DEAD_BROKER = "redis://127.0.0.1:1/0"


@contextlib.contextmanager
def broker_down():
    """Point Celery at a closed port; forget pooled connections so the change takes effect."""
    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = DEAD_BROKER
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        yield
    finally:
        celery_app.conf.broker_url = saved
        celery_app._pool = None
        celery_app.amqp._producer_pool = None


def test_with_the_broker_down_an_admin_transition_still_commits_and_the_page_answers(
    client, case_a, facilitator, django_capture_on_commit_callbacks
):
    case = walk_to(case_a, "customs", facilitator)
    give_documents(case, "delivery", facilitator)
    client.force_login(facilitator)
    url = reverse("admin:cases_case_transition", args=[case.pk, "clear_customs"])
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "clear_customs-bill_of_entry_number": "7300999",
                "clear_customs-seen_state": "customs",
            },
        )
        page = client.get(response["Location"])
    assert response.status_code == 302
    assert page.status_code == 200
    case.refresh_from_db()
    assert case.state == "delivery"


def test_reminders_missed_while_the_broker_was_down_go_out_with_the_next_sweep(
    case_a, facilitator, doctor1, django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    walk_to(case_a, "documents", facilitator)
    later = case_a.created_at + dt.timedelta(days=20)
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        settings.CELERY_TASK_ALWAYS_EAGER = False
        created = reminders_sweep(now=later)  # must not raise
    assert created > 0
    unsent = Notification.objects.filter(channel=Channel.EMAIL, sent_at__isnull=True)
    assert unsent.exists()
    assert not mailoutbox

    settings.CELERY_TASK_ALWAYS_EAGER = True  # the broker is back (in-process worker)
    with (
        time_machine.travel(timezone.now() + RETRY_AFTER + dt.timedelta(minutes=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert reminders_sweep(now=later) == 0  # nothing new to create ...
    assert not Notification.objects.filter(channel=Channel.EMAIL, sent_at__isnull=True).exists()
    assert len(mailoutbox) == unsent.model.objects.filter(channel=Channel.EMAIL).count()


def test_with_the_broker_down_a_packet_build_says_so_and_can_be_retried(
    client, case_a, facilitator, django_capture_on_commit_callbacks
):
    case = walk_to(case_a, "documents", facilitator)
    give_documents(case, "regulatory_review", facilitator)  # ready to build
    client.force_login(facilitator)
    url = reverse("documents:packet_build", args=[case.pk, "application"])
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    build = PacketBuild.objects.get(case=case)
    assert build.status == BuildStatus.FAILED
    assert "task queue could not be reached" in build.error
    page = client.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert "task queue could not be reached" in page.content.decode()
    # Retrying once the broker is back queues a new build.
    with django_capture_on_commit_callbacks(execute=False):
        client.post(url)
    assert PacketBuild.objects.filter(case=case).exclude(status=BuildStatus.FAILED).exists()


def _stored_files() -> list[Path]:
    root = Path(settings.PRIVATE_STORAGE_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_losing_the_database_mid_upload_leaves_no_row_and_no_file(case_a, doctor1, monkeypatch):
    before = _stored_files()

    def lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(Document, "save", lost)
    with pytest.raises(OperationalError):
        document_upload(
            case=case_a,
            document_type=DocumentType.objects.get(code="cbc"),
            data=simple_pdf("CBC"),
            filename="cbc.pdf",
            by=doctor1,
            sample_taken_on=dt.date.today(),
        )
    monkeypatch.undo()
    assert not Document.objects.filter(case=case_a).exists()
    assert _stored_files() == before


# --- Redis down or not answering: no request and no sweep waits on it (issue 12, item 4) -------


class Hung(BaseException):
    """Raised by ``deadline``; a BaseException, so no ``except Exception`` swallows it."""


@contextlib.contextmanager
def deadline(seconds: int):
    """Fail (instead of hanging the suite) if the block is still running after ``seconds``."""

    def expired(signum, frame):
        raise Hung(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _forget_connections() -> None:
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app._backend_cache = None
    celery_app._local.__dict__.pop("backend", None)


@contextlib.contextmanager
def redis_at(url: str):
    """Celery's broker and result backend both at ``url`` (Redis down: both are on it)."""
    saved = celery_app.conf.broker_url, celery_app.conf.result_backend
    celery_app.conf.broker_url = celery_app.conf.result_backend = url
    _forget_connections()
    try:
        yield
    finally:
        celery_app.conf.broker_url, celery_app.conf.result_backend = saved
        _forget_connections()


@contextlib.contextmanager
def port_that(behaviour: str):
    """A local port that never answers: ``blackhole`` drops connection attempts (its listen
    queue is full, as behind a firewall), ``silent`` accepts them and never says a word (a
    hung Redis)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0 if behaviour == "blackhole" else 16)
    held = []
    if behaviour == "blackhole":
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(listener.getsockname())
            held.append(filler)
    try:
        yield listener.getsockname()[1]
    finally:
        for sock in (listener, *held):
            sock.close()


def test_with_redis_down_the_first_email_of_a_sweep_does_not_wait_for_the_result_store(
    case_a, facilitator, django_capture_on_commit_callbacks
):
    """It waited 19 s: publishing a task whose result is kept subscribes to the result
    store first, retried 20 times a second apart. Results live on the rows, not in Celery."""
    walk_to(case_a, "documents", facilitator)
    later = case_a.created_at + dt.timedelta(days=20)
    started = time.monotonic()
    with redis_at(DEAD_BROKER), deadline(30), django_capture_on_commit_callbacks(execute=True):
        created = reminders_sweep(now=later)
    elapsed = time.monotonic() - started  # the emails are enqueued as the block commits

    assert created > 0
    assert elapsed < 2
    assert Notification.objects.filter(channel=Channel.EMAIL, sent_at__isnull=True).exists()


@pytest.mark.parametrize("behaviour", ["blackhole", "silent"])
def test_with_redis_not_answering_a_packet_build_says_so_within_seconds(
    client, case_a, facilitator, django_capture_on_commit_callbacks, behaviour
):
    case = walk_to(case_a, "documents", facilitator)
    give_documents(case, "regulatory_review", facilitator)  # ready to build
    client.force_login(facilitator)
    url = reverse("documents:packet_build", args=[case.pk, "application"])
    with port_that(behaviour) as port, redis_at(f"redis://127.0.0.1:{port}/0"), deadline(30):
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url)
        elapsed = time.monotonic() - started

    assert response.status_code == 302
    assert elapsed < settings.NPP_BROKER_TIMEOUT + 1.5
    build = PacketBuild.objects.get(case=case)
    assert build.status == BuildStatus.FAILED
    assert "task queue could not be reached" in build.error


def test_a_closed_broker_port_answers_a_packet_build_within_two_seconds(
    client, case_a, facilitator, django_capture_on_commit_callbacks
):
    case = walk_to(case_a, "documents", facilitator)
    give_documents(case, "regulatory_review", facilitator)  # ready to build
    client.force_login(facilitator)
    url = reverse("documents:packet_build", args=[case.pk, "application"])
    started = time.monotonic()
    with redis_at(DEAD_BROKER), deadline(30), django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    elapsed = time.monotonic() - started
    page = client.get(reverse("admin:cases_case_change", args=[case.pk]))

    assert elapsed < 2
    assert "The task queue could not be reached; try again in a minute." in page.content.decode()
