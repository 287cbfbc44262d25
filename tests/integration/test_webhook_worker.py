"""A real Celery worker on Redis delivers webhooks to a slow receiver on 127.0.0.1, and a
worker killed mid-delivery still gets each event processed once.

The worker runs as a subprocess with nothing patched (the helpers and fixtures are the
reminder worker test's: pytest's test database, a Redis database of its own, flushed before
and after; ``NPP_TEST_WORKER_REDIS_DB`` picks it). This process stands in for the web server:
the tasks it would enqueue on commit are published to the worker's broker. The receiver
verifies each request with the standardwebhooks library and, as the contract asks of
receivers, processes a webhook-id only the first time it sees it.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections import Counter

import pytest
import redis
from celery import Celery
from django.db import connection, transaction
from django.utils import timezone

from cases.services import case_apply
from tests.integration.test_reminder_worker import (
    WORKER_DB,
    Worker,
    _with_path,
    wait_until,
    worker_env,
)
from tests.webhooks.receiver import Receiver
from webhooks import events
from webhooks.delivery import RETRY_AFTER
from webhooks.models import EventType, WebhookDelivery, WebhookEndpoint

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

Status = WebhookDelivery.Status
# Short waits: a delivery's lease is 10 s and the broker's visibility timeout 13 s (see the
# settings), so what a killed worker held comes back within the test by itself. The
# receiver's 0.4 s is well within the 2 s timeout.
SHORT_WAITS = {"NPP_WEBHOOK_TIMEOUT": "2", "EMAIL_TIMEOUT": "1"}
EVENTS = 30
KILLS = 2


class QuietReceiver(Receiver):
    def handle_error(self, request, client_address) -> None:
        pass  # answering a killed worker fails; that is the point of the test


def publish(env: dict[str, str], task: str, args_list: list[list]) -> None:
    """Send tasks to the workers' broker, as the web server's on-commit hook would."""
    sender = Celery("webhook-test-sender", broker=env["CELERY_BROKER_URL"], set_as_current=False)
    try:
        for args in args_list:
            sender.send_task(task, args=args)
    finally:
        sender.close()


@pytest.fixture
def workers(tmp_path):
    """Start workers with ``workers(env)`` on a flushed Redis database; every one is stopped
    at the end, whatever happens."""
    client = redis.Redis.from_url(_with_path(os.environ["REDIS_URL"], f"/{WORKER_DB}"))
    client.flushdb()
    started: list[Worker] = []

    def start(env: dict[str, str], concurrency: int = 1) -> Worker:
        started.append(Worker(env, tmp_path / f"worker-{len(started) + 1}.log", concurrency))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()
    client.flushdb()  # a killed worker's unacknowledged message must not linger


@pytest.fixture
def env():
    return worker_env("consolemail://", **SHORT_WAITS)


@pytest.fixture
def on_commit_to_the_worker(monkeypatch, env):
    monkeypatch.setattr(
        events, "enqueue", lambda ids: publish(env, "webhooks.deliver", [[pk] for pk in ids])
    )


def statuses() -> Counter:
    return Counter(WebhookDelivery.objects.values_list("status", flat=True))


def test_a_transition_reaches_the_receiver_signed_through_a_real_worker(
    case_a, facilitator, env, workers, on_commit_to_the_worker
):
    with Receiver() as receiver:
        endpoint = WebhookEndpoint.objects.create(
            name="Funder", url=receiver.url, events=[EventType.CASE_TRANSITIONED]
        )
        receiver.secret = endpoint.secret
        worker = workers(env)

        case_apply(case=case_a, transition="start_document_collection", by=facilitator)

        wait_until(
            lambda: statuses() == Counter({Status.SENT: 1}), "the delivery to be sent", worker
        )
        [request] = receiver.received
    row = WebhookDelivery.objects.get()
    assert request.verified
    assert request.webhook_id == row.webhook_id
    assert request.payload["data"]["to"] == "documents"
    assert (row.attempts, row.last_response_code) == (1, 200)


def test_a_worker_killed_mid_delivery_still_gets_each_event_processed_once(
    env, workers, on_commit_to_the_worker
):
    """kill -9, twice, while the receiver is answering: the request it was answering is sent
    again with the same webhook-id once the lease has run out (the broker hands the task out
    again), the receiver sees that id twice and processes it once, and nothing is lost."""
    with QuietReceiver(delay=0.4) as receiver:
        endpoint = WebhookEndpoint.objects.create(
            name="Funder", url=receiver.url, events=[EventType.PACKET_READY]
        )
        receiver.secret = endpoint.secret
        current = workers(env, concurrency=2)
        with transaction.atomic():
            for n in range(EVENTS):
                events.record_event(
                    EventType.PACKET_READY, {"reference": f"NPP-2026-{n:04d}", "kind": "customs"}
                )
        webhook_ids = set(WebhookDelivery.objects.values_list("webhook_id", flat=True))

        cut: set[str] = set()  # webhook-ids being answered when a worker was killed
        for kill in range(1, KILLS + 1):
            target = EVENTS * kill // (KILLS + 1)
            wait_until(
                lambda t=target: len(receiver.processed) >= t and receiver.in_flight,
                f"{target} events processed and one being answered",
                current,
            )
            current.kill()
            cut |= set(
                WebhookDelivery.objects.filter(status=Status.CONNECTING).values_list(
                    "webhook_id", flat=True
                )
            )
            current = workers(env, concurrency=2)

        unsent = WebhookDelivery.objects.exclude(status=Status.SENT)
        # The killed workers' tasks come back from the broker after its visibility timeout.
        deadline = time.monotonic() + 35
        while (
            unsent.exclude(status=Status.PENDING, attempts=0).exists()
            and time.monotonic() < deadline
        ):
            time.sleep(0.2)
        # A task Kombu lost between its pop and its unacked record leaves a row never tried;
        # the sweep enqueues it RETRY_AFTER later (backdated here instead of waited for).
        never_tried = unsent.filter(status=Status.PENDING, attempts=0)
        lost_in_the_broker = never_tried.count()
        never_tried.update(created_at=timezone.now() - RETRY_AFTER - dt.timedelta(seconds=1))
        publish(env, "webhooks.sweep", [[]])
        wait_until(
            lambda: not unsent.exists(),
            lambda: f"every delivery sent: {statuses()}",
            current,
            timeout=30,
        )
        time.sleep(1)  # nothing arrives late
        received = Counter(r.webhook_id for r in receiver.received)

    assert all(r.verified for r in receiver.received)
    assert receiver.processed == Counter(dict.fromkeys(webhook_ids, 1))  # each event once
    assert set(received) == webhook_ids  # nothing else was sent
    duplicates = {webhook_id for webhook_id, count in received.items() if count > 1}
    assert duplicates, (duplicates, cut)
    assert duplicates <= cut, (duplicates, cut)  # resent: only what was cut
    assert max(received.values()) <= 1 + KILLS
    for row in WebhookDelivery.objects.filter(webhook_id__in=cut):
        assert 2 <= row.attempts <= 1 + KILLS, (row.webhook_id, row.attempts)
    print(
        f"\n{EVENTS} events, {KILLS} kills; cut mid-answer and sent again: {len(duplicates)}; "
        f"claimed at a kill: {len(cut)}; lost in the broker and swept: {lost_in_the_broker}"
    )
