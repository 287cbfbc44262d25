"""Delivering one webhook to a real HTTP receiver on 127.0.0.1: signed as Standard Webhooks
(the receiver verifies with the library's verifier), the same webhook-id on every attempt,
retries on 408, 429, 5xx and no answer, no retry on another 4xx or a redirect, every attempt
in the log; the endpoint is switched off after N failed deliveries in a row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db.models import F
from django.utils import timezone
from standardwebhooks import Webhook

from webhooks import delivery as delivery_module
from webhooks import events
from webhooks.delivery import LEASE, MAX_ATTEMPTS, RETRY_AFTER, deliver, lost, sweep
from webhooks.models import EventType, WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_endpoint_save

from .receiver import Receiver

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """Tasks that would be sent are collected here instead."""
    sent: list[int] = []
    monkeypatch.setattr(events, "enqueue", lambda ids: sent.extend(ids))
    return sent


def queue(endpoint: WebhookEndpoint, reference: str = "NPP-2026-0001") -> WebhookDelivery:
    [pk] = events.record_event(
        EventType.CASE_TRANSITIONED,
        {
            "reference": reference,
            "transition": "dispatch",
            "from": "approved",
            "to": "customs",
            "at": "2026-12-01T03:30:00Z",
        },
    )
    return WebhookDelivery.objects.get(pk=pk)


def refreshed(row):
    row.refresh_from_db()
    return row


def test_a_delivery_is_signed_and_verifies_with_the_standard_webhooks_verifier(endpoint, receiver):
    row = queue(endpoint)

    assert deliver(row.pk).result == "sent"

    [request] = receiver.received
    assert request.verified
    assert request.path == "/hooks"
    assert request.webhook_id == row.webhook_id
    assert request.payload == row.payload
    # Verified again here, independently, with the library and the endpoint's secret.
    headers = {
        "webhook-id": request.webhook_id,
        "webhook-timestamp": request.timestamp,
        "webhook-signature": Webhook(endpoint.secret).sign(
            request.webhook_id,
            dt.datetime.fromtimestamp(int(request.timestamp), tz=dt.UTC),
            request.body.decode(),
        ),
    }
    assert Webhook(endpoint.secret).verify(request.body, headers) == row.payload
    assert abs(int(request.timestamp) - timezone.now().timestamp()) < 5
    row = refreshed(row)
    assert (row.status, row.attempts, row.last_response_code) == (Status.SENT, 1, 200)
    assert row.sent_at is not None
    [attempt] = row.attempt_log.all()
    assert (attempt.number, attempt.response_code, attempt.outcome) == (1, 200, "sent")
    assert '"ok": true' in attempt.response_body


def test_another_secret_does_not_verify(endpoint, receiver):
    receiver.secret = WebhookEndpoint.objects.create(name="x", url=receiver.url).secret

    deliver(queue(endpoint).pk)

    assert receiver.received[0].verified is False


@pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
def test_a_temporary_answer_is_retried_later_with_the_same_webhook_id(endpoint, receiver, status):
    receiver.answers = [status]
    row = queue(endpoint)

    outcome = deliver(row.pk)

    assert outcome.result == "retry"
    assert 8 <= outcome.retry_in <= 10
    row = refreshed(row)
    assert (row.status, row.attempts, row.claimed_at, row.last_response_code) == (
        Status.PENDING,
        1,
        None,
        status,
    )
    assert row.next_attempt_at > timezone.now() + RETRY_AFTER
    assert deliver(row.pk).result == "sent"
    first, second = receiver.received
    assert first.webhook_id == second.webhook_id == row.webhook_id
    assert first.verified
    assert second.verified
    assert [a.response_code for a in refreshed(row).attempt_log.all()] == [status, 200]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_another_4xx_is_final_and_not_retried(endpoint, receiver, status):
    receiver.answers = [status]
    row = queue(endpoint)

    assert deliver(row.pk).result == "failed"

    row = refreshed(row)
    assert (row.status, row.last_response_code) == (Status.FAILED, status)
    assert "not retried" in row.last_error
    assert deliver(row.pk).result == "nothing to send"
    assert len(receiver.received) == 1


def test_a_redirect_is_not_followed(endpoint, receiver):
    with Receiver(endpoint.secret) as elsewhere:
        receiver.answers = [(302, {"Location": elsewhere.url})]

        assert deliver(queue(endpoint).pk).result == "failed"

        assert elsewhere.received == []


def test_no_answer_in_time_is_retried(endpoint, monkeypatch):
    monkeypatch.setattr(delivery_module, "TIMEOUT", 0.3)
    with Receiver(endpoint.secret, delay=1.5) as slow:
        endpoint.url = slow.url
        endpoint.save()
        row = queue(endpoint)

        outcome = deliver(row.pk)

    assert outcome.result == "retry"
    assert "timed out" in refreshed(row).last_error.lower()


def test_a_refused_connection_is_retried(endpoint, receiver):
    endpoint.url = "http://127.0.0.1:9/nothing-listens"
    endpoint.save()
    row = queue(endpoint)

    assert deliver(row.pk).result == "retry"
    assert refreshed(row).last_response_code is None


def test_later_retries_wait_in_the_database_for_the_sweep(endpoint, receiver):
    receiver.answers = [503] * 3
    row = queue(endpoint)
    deliver(row.pk)
    WebhookDelivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    deliver(row.pk)
    WebhookDelivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())

    outcome = deliver(row.pk)  # the third failure waits about 5 minutes

    assert outcome.result == "retry"
    assert outcome.retry_in is None
    wait = refreshed(row).next_attempt_at - timezone.now()
    assert dt.timedelta(minutes=3) < wait <= dt.timedelta(minutes=5)


def test_retry_after_is_honoured(endpoint, receiver):
    receiver.answers = [(429, {"Retry-After": "600"})]
    row = queue(endpoint)

    assert deliver(row.pk).retry_in is None  # 10 minutes: the sweep's job
    assert refreshed(row).next_attempt_at > timezone.now() + dt.timedelta(minutes=7)


def test_the_last_attempt_gives_up(endpoint, receiver):
    receiver.answers = [503]
    row = queue(endpoint)
    WebhookDelivery.objects.filter(pk=row.pk).update(attempts=MAX_ATTEMPTS - 1)

    assert deliver(row.pk).result == "failed"
    assert refreshed(row).last_error.startswith(f"Gave up after {MAX_ATTEMPTS} attempts")


def test_a_claim_is_held_for_its_lease_then_taken_over_with_the_same_webhook_id(endpoint, receiver):
    row = queue(endpoint)
    claimed_at = timezone.now()
    WebhookDelivery.objects.filter(pk=row.pk).update(
        status=Status.CONNECTING, claimed_at=claimed_at, attempts=1
    )

    held = deliver(row.pk)  # a live (or just killed) delivery holds it
    assert held.result == "nothing to send"
    assert 0 < held.held_for <= LEASE.total_seconds()
    assert receiver.received == []

    WebhookDelivery.objects.filter(pk=row.pk).update(claimed_at=F("claimed_at") - LEASE)
    assert deliver(row.pk).result == "sent"
    assert [r.webhook_id for r in receiver.received] == [row.webhook_id]
    assert refreshed(row).attempts == 2


def test_a_delivery_killed_at_the_last_attempt_is_settled_as_failed(endpoint, receiver):
    row = queue(endpoint)
    WebhookDelivery.objects.filter(pk=row.pk).update(
        status=Status.CONNECTING,
        attempts=MAX_ATTEMPTS,
        claimed_at=timezone.now() - LEASE - dt.timedelta(seconds=1),
    )

    assert deliver(row.pk).result == "nothing to send"
    assert refreshed(row).status == Status.FAILED
    assert refreshed(endpoint).consecutive_failures == 1


def test_the_sweep_enqueues_lost_due_and_abandoned_deliveries_only(endpoint, no_broker):
    now = timezone.now()
    fresh, never_tried, due, backing_off, abandoned, live, done = (
        queue(endpoint) for _ in range(7)
    )
    no_broker.clear()
    rows = WebhookDelivery.objects.filter
    rows(pk__in=[never_tried.pk, due.pk, backing_off.pk, abandoned.pk]).update(
        created_at=now - RETRY_AFTER - dt.timedelta(seconds=1)
    )
    rows(pk=due.pk).update(next_attempt_at=now - dt.timedelta(seconds=1))
    rows(pk=backing_off.pk).update(next_attempt_at=now + dt.timedelta(minutes=5))
    rows(pk=abandoned.pk).update(
        status=Status.CONNECTING, attempts=1, claimed_at=now - LEASE - dt.timedelta(seconds=1)
    )
    rows(pk=live.pk).update(status=Status.CONNECTING, attempts=1, claimed_at=now)
    rows(pk=done.pk).update(status=Status.SENT, sent_at=now)

    assert set(WebhookDelivery.objects.filter(lost(now)).values_list("pk", flat=True)) == {
        never_tried.pk,
        due.pk,
        abandoned.pk,
    }
    assert sweep(now) == 3
    assert sorted(no_broker) == sorted([never_tried.pk, due.pk, abandoned.pk])
    assert fresh.pk not in no_broker  # its own task was sent a moment ago


def test_an_endpoint_is_disabled_after_n_failed_deliveries_in_a_row_and_facilitators_emailed(
    settings, endpoint, receiver, facilitator, django_capture_on_commit_callbacks
):
    settings.NPP_WEBHOOK_DISABLE_AFTER_FAILURES = 3
    receiver.answers = [410, 410, 200, 410, 410, 410]
    for _ in range(5):
        deliver(queue(endpoint).pk)
    assert refreshed(endpoint).active  # the success in between reset the count
    assert refreshed(endpoint).consecutive_failures == 2

    with django_capture_on_commit_callbacks(execute=True):
        deliver(queue(endpoint).pk)

    endpoint = refreshed(endpoint)
    assert (endpoint.active, endpoint.consecutive_failures) == (False, 3)
    assert endpoint.disabled_at is not None
    assert "after 3 failed deliveries in a row" in endpoint.disabled_reason
    [email] = mail.outbox
    assert email.to == [facilitator.email]
    assert email.subject == "Webhook endpoint disabled: Funder"
    assert f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/" in email.body

    # Off: no new events for it, and what was queued waits.
    assert events.record_event(EventType.CASE_TRANSITIONED, {"reference": "x"}) == []
    held = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type="case.transitioned",
        event_id="8a0c2f36-9d3f-4b6f-8d55-0f4f7f6b1c11",
        payload={"type": "case.transitioned", "data": {}},
    )
    assert deliver(held.pk).result == "nothing to send"
    assert not WebhookDelivery.objects.filter(lost(timezone.now() + RETRY_AFTER * 2)).exists()


def test_switching_an_endpoint_back_on_clears_its_failures_and_sends_what_waited(
    endpoint, facilitator, no_broker, django_capture_on_commit_callbacks
):
    held = queue(endpoint)
    no_broker.clear()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        active=False, consecutive_failures=5, disabled_at=timezone.now(), disabled_reason="x"
    )
    endpoint = refreshed(endpoint)

    endpoint.active = True
    with django_capture_on_commit_callbacks(execute=True):
        webhook_endpoint_save(endpoint=endpoint, by=facilitator)

    endpoint = refreshed(endpoint)
    assert (endpoint.consecutive_failures, endpoint.disabled_at, endpoint.disabled_reason) == (
        0,
        None,
        "",
    )
    assert no_broker == [held.pk]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_deliveries_of_one_row_post_it_once(endpoint, receiver):
    """Four tasks for one delivery at once (a duplicate from the sweep, a redelivery): the
    claim is one conditional UPDATE, so one of them posts and the others find nothing."""
    import threading

    from django.db import connection

    row = queue(endpoint)
    barrier = threading.Barrier(4)
    results: list[str] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(deliver(row.pk).result)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results) == ["nothing to send"] * 3 + ["sent"]
    assert [r.webhook_id for r in receiver.received] == [row.webhook_id]
