"""The adverse-event clock under a real Celery worker: a serious event is due at the
manufacturer 24 hours after awareness (DOMAIN.md §5.1, a setting); 6 hours before that the
sweep (``manage.py send_reminders``, its own process) stores the reminder and the worker
emails it to the doctor and the facilitator, once. Same machinery and requirements as
``test_reminder_worker.py`` (PostgreSQL, Redis), on Redis database 12 of its own."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
import redis
import time_machine
from django.db import connection
from django.utils import timezone

from cases.models import Channel, Notification
from cases.services import case_apply
from clinical.services import adverse_event_report
from tests.factories import CaseFactory, reweigh_on_infusion_day, walk_to

from .test_reminder_worker import Worker, _with_path, sweep, wait_until, worker_env

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL"),
        reason="needs Redis for a real Celery worker: set REDIS_URL",
    ),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: the worker process shares pytest's test database",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORKER_DB = int(os.environ.get("NPP_TEST_CLINICAL_REDIS_DB", "12"))


def env_for(email_url: str) -> dict[str, str]:
    broker = _with_path(os.environ["REDIS_URL"], f"/{WORKER_DB}")
    return {
        **worker_env(email_url),
        "REDIS_URL": broker,
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
    }


@pytest.fixture
def worker(tmp_path):
    client = redis.Redis.from_url(_with_path(os.environ["REDIS_URL"], f"/{WORKER_DB}"))
    client.flushdb()
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    env = env_for(f"filemail:///{outbox}")
    started = Worker(env, tmp_path / "worker.log")
    yield env, outbox
    started.stop()
    client.flushdb()


@pytest.fixture
def serious_event(doctor1, facilitator):
    """Infused three days ago; the doctor became aware of a serious event 19 hours ago, so
    its 24-hour clock has 5 hours left and its reminder (6 hours before) is due."""
    then = timezone.now() - dt.timedelta(days=3)
    with time_machine.travel(then, tick=False):
        case = walk_to(
            CaseFactory(doctor=doctor1.doctor, facilitator=facilitator),
            "infusion_scheduled",
            facilitator,
        )
        infused_at = then - dt.timedelta(hours=1)
        reweigh_on_infusion_day(case, infused_at)
        case = case_apply(
            case=case,
            transition="record_infusion",
            by=facilitator,
            infused_at=infused_at,
            kit_lot_numbers="AVX001A",
        )
    aware = timezone.now() - dt.timedelta(hours=19)
    return adverse_event_report(
        case=case,
        by=doctor1,
        aware_at=aware,
        onset_on=timezone.localdate(aware),
        description="Vomiting and ALT 600 U/L.",
        hospitalisation=True,
    )


def test_the_24_hour_clock_reminds_the_doctor_and_facilitator_once_through_the_worker(
    serious_event, worker
):
    env, outbox = worker
    assert serious_event.forward_due_at - serious_event.aware_at == dt.timedelta(hours=24)

    assert sweep(env).startswith("4 notification(s) created")  # 2 people x (in-app, email)
    emails = Notification.objects.filter(kind="ae_forward_due", channel=Channel.EMAIL)
    wait_until(lambda: emails.filter(sent_at__isnull=False).count() == 2, "the worker to send both")
    texts = [path.read_text() for path in outbox.iterdir()]
    assert len(texts) == 2
    ref = serious_event.case.reference
    due = timezone.localtime(serious_event.forward_due_at).strftime("%d %b %Y %H:%M")
    for text in texts:
        assert f"Subject: {ref}: forward the adverse event to the manufacturer" in text
        assert due in text
    assert {t.split("To: ")[1].split()[0] for t in texts} == {
        "doctor1@example.in",
        serious_event.case.facilitator.email,
    }

    assert sweep(env).startswith("0 notification(s) created")
    time.sleep(1)  # a wrongly enqueued duplicate would show up by now
    assert len(list(outbox.iterdir())) == 2
