"""Facilitators configure endpoints and sources, read the delivery log with its response
codes, replay a delivery with the same webhook-id, and see inbound events on the case page."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from documents.admin import CaseWithDocumentsAdmin
from webhooks import events
from webhooks.delivery import deliver
from webhooks.models import (
    EventType,
    InboundEvent,
    InboundSource,
    WebhookDelivery,
    WebhookEndpoint,
)

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status


@pytest.fixture
def facilitator_client(client, facilitator):
    client.force_login(facilitator)
    return client


@pytest.fixture
def sent_tasks(monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(events, "enqueue", lambda ids: sent.extend(ids))
    return sent


def test_a_facilitator_adds_an_endpoint_and_gets_a_standard_webhooks_secret(facilitator_client):
    response = facilitator_client.post(
        reverse("admin:webhooks_webhookendpoint_add"),
        {
            "name": "Funder",
            "url": "https://funder.example.in/npp-hooks",
            "events": ["case.transitioned", "safety.signal"],
            "active": "on",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["case.transitioned", "safety.signal"]
    assert endpoint.secret.startswith("whsec_")
    assert len(endpoint.secret) == 6 + 44
    page = facilitator_client.get(
        reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk])
    )
    assert endpoint.secret in page.content.decode()


def test_an_endpoint_address_must_be_http_or_https(facilitator_client):
    response = facilitator_client.post(
        reverse("admin:webhooks_webhookendpoint_add"),
        {"name": "Files", "url": "ftp://example.in/x", "events": [], "active": "on"},
    )

    assert response.status_code == 200
    assert not WebhookEndpoint.objects.exists()


def test_other_staff_see_no_webhooks(client, staff_non_facilitator):
    client.force_login(staff_non_facilitator)

    for name in ("webhookendpoint", "webhookdelivery", "inboundsource", "inboundevent"):
        assert client.get(reverse(f"admin:webhooks_{name}_changelist")).status_code == 403


def test_the_delivery_log_shows_each_attempt_and_its_response_code(
    facilitator_client, endpoint, receiver, sent_tasks
):
    receiver.answers = [503]
    [pk] = events.record_event(EventType.SAFETY_SIGNAL, {"reference": "NPP-2026-0042"})
    deliver(pk)
    WebhookDelivery.objects.filter(pk=pk).update(next_attempt_at=timezone.now())
    deliver(pk)

    listing = facilitator_client.get(reverse("admin:webhooks_webhookdelivery_changelist"))
    page = facilitator_client.get(reverse("admin:webhooks_webhookdelivery_change", args=[pk]))

    assert "NPP-2026-0042" in listing.content.decode()
    html = page.content.decode()
    assert WebhookDelivery.objects.get(pk=pk).webhook_id in html
    codes = re.findall(r'<td class="field-response_code">\s*<p>(\d+)</p>', html)
    assert codes == ["503", "200"]


def test_replay_queues_a_delivery_again_with_the_same_webhook_id(
    facilitator_client, endpoint, receiver, sent_tasks, django_capture_on_commit_callbacks
):
    [done, busy] = [
        events.record_event(EventType.PACKET_READY, {"reference": r})[0]
        for r in ("NPP-2026-0001", "NPP-2026-0002")
    ]
    deliver(done)
    WebhookDelivery.objects.filter(pk=busy).update(
        status=Status.CONNECTING, attempts=1, claimed_at=timezone.now()
    )
    sent_tasks.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = facilitator_client.post(
            reverse("admin:webhooks_webhookdelivery_changelist"),
            {"action": "replay", "_selected_action": [done, busy]},
            follow=True,
        )

    assert "Queued 1 delivery(ies) again" in response.content.decode()
    assert "1 being delivered right now were left alone" in response.content.decode()
    assert sent_tasks == [done]
    replayed = WebhookDelivery.objects.get(pk=done)
    assert (replayed.status, replayed.attempts, replayed.sent_at) == (Status.PENDING, 0, None)
    assert WebhookDelivery.objects.get(pk=busy).status == Status.CONNECTING

    deliver(done)
    first, second = receiver.received
    assert first.webhook_id == second.webhook_id == replayed.webhook_id
    assert receiver.processed[replayed.webhook_id] == 1  # the receiver acts on it once


def test_a_facilitator_adds_an_inbound_source_and_sees_its_address_and_secret(facilitator_client):
    response = facilitator_client.post(
        reverse("admin:webhooks_inboundsource_add"),
        {"name": "World Courier", "slug": "world-courier", "kind": "shipment", "active": "on"},
    )

    assert response.status_code == 302
    source = InboundSource.objects.get()
    page = facilitator_client.get(
        reverse("admin:webhooks_inboundsource_change", args=[source.pk])
    ).content.decode()
    assert "http://127.0.0.1:8000/webhooks/inbound/world-courier/" in page
    assert source.secret.startswith("whsec_")
    assert source.secret in page


def test_the_case_page_keeps_its_document_parts_and_shows_inbound_events(
    facilitator_client, case_a, courier
):
    assert isinstance(admin.site.get_model_admin(Case), CaseWithDocumentsAdmin)
    InboundEvent.objects.create(
        source=courier,
        case=case_a,
        webhook_id="msg_1",
        event_type="shipment.status",
        occurred_at=timezone.now(),
        shipment_status="Arrived at BOM",
        location="Mumbai",
    )

    response = facilitator_client.get(reverse("admin:cases_case_change", args=[case_a.pk]))

    html = response.content.decode()
    assert "checklist" in response.context
    assert "packets" in response.context
    assert 'id="npp-inbound-events"' in html
    assert "Arrived at BOM" in html
    assert "World Courier" in html
    assert html.index("npp-state-heading") < html.index("npp-inbound-events")
