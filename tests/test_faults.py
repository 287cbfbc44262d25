"""Faults: the broker down, the database lost during an upload.

The broker outage is real: the Celery app is pointed at a port where nothing listens, so
publishing fails the way it does in production (connection refused), not through a mock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
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
        response = client.post(url, {"clear_customs-bill_of_entry_number": "7300999",
                                     "clear_customs-seen_state": "customs"})
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
    assert unsent.exists() and not mailoutbox

    settings.CELERY_TASK_ALWAYS_EAGER = True  # the broker is back (in-process worker)
    with time_machine.travel(timezone.now() + RETRY_AFTER + dt.timedelta(minutes=1)), \
            django_capture_on_commit_callbacks(execute=True):
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
        document_upload(case=case_a, document_type=DocumentType.objects.get(code="cbc"),
                        data=simple_pdf("CBC"), filename="cbc.pdf", by=doctor1,
                        sample_taken_on=dt.date.today())
    monkeypatch.undo()
    assert not Document.objects.filter(case=case_a).exists()
    assert _stored_files() == before
