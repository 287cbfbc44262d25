"""Every transition, document review, packet and safety follow-up becomes an outbox row per
subscribed endpoint, in the transaction of the change, with a payload of references and
states only; its delivery task is sent once that transaction commits."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.db import transaction

from cases.services import CaseActionError, case_apply
from documents.models import ReviewStatus
from documents.services import document_review
from tests.factories import (
    reweigh_on_infusion_day,
    stand_in_application_packet,
    upload_document,
    walk_to,
)
from webhooks import events
from webhooks.models import EventType, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_tasks(monkeypatch):
    """The ids whose delivery task was sent (instead of a broker)."""
    sent: list[int] = []
    monkeypatch.setattr(events, "enqueue", lambda ids: sent.extend(ids))
    return sent


def payloads(event_type: str) -> list[dict]:
    return [d.payload for d in WebhookDelivery.objects.filter(event_type=event_type).order_by("pk")]


def test_a_transition_queues_one_signed_event_per_subscribed_endpoint_on_commit(
    case_a, facilitator, endpoint, sent_tasks, django_capture_on_commit_callbacks
):
    other = WebhookEndpoint.objects.create(
        name="Manufacturer", url="https://example.in/h", events=[EventType.CASE_TRANSITIONED]
    )
    WebhookEndpoint.objects.create(
        name="Docs only", url="https://example.in/d", events=[EventType.DOCUMENT_ACCEPTED]
    )
    WebhookEndpoint.objects.create(
        name="Off", url="https://example.in/o", active=False, events=[EventType.CASE_TRANSITIONED]
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        case_apply(case=case_a, transition="start_document_collection", by=facilitator)
        assert sent_tasks == []  # nothing leaves before the commit

    rows = list(WebhookDelivery.objects.order_by("pk"))
    assert [row.endpoint for row in rows] == [endpoint, other]
    assert len(callbacks) == 1
    assert sent_tasks == [row.pk for row in rows]
    first, second = rows
    assert first.event_id == second.event_id
    assert first.webhook_id != second.webhook_id
    assert first.webhook_id.startswith("msg_")
    assert first.payload == second.payload
    payload = first.payload
    assert payload["type"] == "case.transitioned"
    assert payload["data"] == {
        "reference": case_a.reference,
        "transition": "start_document_collection",
        "from": "application",
        "to": "documents",
        "at": payload["timestamp"],
    }
    assert payload["timestamp"].endswith("Z")
    assert first.case_reference == case_a.reference
    assert first.status == "pending"


def test_a_refused_or_rolled_back_transition_queues_nothing(
    case_a, facilitator, endpoint, sent_tasks
):
    with pytest.raises(CaseActionError):
        case_apply(case=case_a, transition="submit_to_regulator", by=facilitator)
    assert not WebhookDelivery.objects.exists()
    case = walk_to(case_a, "documents", facilitator)
    WebhookDelivery.objects.all().delete()

    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012 - asserts inside the block on purpose
        case_apply(
            case=case, transition="cancel", by=facilitator, cancellation_reason="Family withdrew."
        )
        assert WebhookDelivery.objects.count() == 1  # written with the change...
        raise RuntimeError("the surrounding transaction fails")

    assert not WebhookDelivery.objects.exists()  # ...and rolled back with it


def test_resume_reports_the_state_it_returned_to(case_a, facilitator, endpoint, sent_tasks):
    case = walk_to(case_a, "approved", facilitator)
    case = case_apply(case=case, transition="hold", by=facilitator, hold_reason="Titre high.")
    case_apply(case=case, transition="resume", by=facilitator)

    last = payloads("case.transitioned")[-1]["data"]
    assert (last["transition"], last["from"], last["to"]) == ("resume", "on_hold", "approved")


def test_a_review_that_changes_the_status_is_an_event_and_a_repeat_is_not(
    case_a, facilitator, endpoint, sent_tasks
):
    case = walk_to(case_a, "documents", facilitator)
    document = upload_document(case, "prescription", facilitator, accept=False)
    assert not payloads("document.accepted")  # an upload waiting for review is not news

    document_review(
        document=document, by=facilitator, status=ReviewStatus.REJECTED, note="Unsigned."
    )
    document_review(document=document, by=facilitator, status=ReviewStatus.ACCEPTED)
    document_review(document=document, by=facilitator, status=ReviewStatus.ACCEPTED)

    [rejected] = payloads("document.rejected")
    [accepted] = payloads("document.accepted")
    assert rejected["data"] == {
        "reference": case.reference,
        "document_type": "prescription",
        "version": 1,
        "status": "rejected",
        "at": rejected["data"]["at"],
    }
    assert accepted["data"]["status"] == "accepted"
    assert "Unsigned" not in json.dumps(rejected)  # the review note stays in the system


def test_a_stored_packet_is_packet_ready_and_not_a_document_review(
    case_a, facilitator, endpoint, sent_tasks
):
    case = walk_to(case_a, "documents", facilitator)
    before = WebhookDelivery.objects.count()

    stand_in_application_packet(case, facilitator)

    [ready] = [d.payload for d in WebhookDelivery.objects.order_by("pk")[before:]]
    assert ready["type"] == "packet.ready"
    assert ready["data"] == {
        "reference": case.reference,
        "kind": "application",
        "version": 1,
        "at": ready["data"]["at"],
    }


def test_a_safety_follow_up_is_a_safety_signal_without_its_details(
    case_a, facilitator, endpoint, sent_tasks
):
    case = walk_to(case_a, "infusion_scheduled", facilitator)
    infused_at = case.received_at + dt.timedelta(days=15)
    reweigh_on_infusion_day(case, infused_at)
    with time_machine.travel(case.received_at + dt.timedelta(days=15, hours=1)):
        case_apply(
            case=case,
            transition="record_infusion",
            by=facilitator,
            infused_at=infused_at,
            kit_lot_numbers="AVX001A",
            infusion_deviation_note="Flight delay; manufacturer consulted.",
        )

    [signal] = payloads("safety.signal")
    assert signal["data"] == {
        "reference": case.reference,
        "transition": "record_infusion",
        "at": signal["data"]["at"],
    }
    assert payloads("case.transitioned")[-1]["data"]["to"] == "monitoring"


def test_no_payload_carries_a_patient_identifier_or_a_clinical_value(
    case_a, facilitator, endpoint, sent_tasks
):
    case = walk_to(case_a, "closed", facilitator)
    patient = case.patient
    everything = json.dumps([d.payload for d in WebhookDelivery.objects.all()])

    assert WebhookDelivery.objects.filter(event_type="case.transitioned").count() == 8
    for secret in (
        patient.full_name,
        patient.date_of_birth.isoformat(),
        "AVX001A",
        case.awb_number,
        case.permit_number,
    ):
        assert secret
        assert secret not in everything
    allowed = {
        "reference",
        "transition",
        "from",
        "to",
        "at",
        "document_type",
        "version",
        "status",
        "kind",
    }
    for delivery in WebhookDelivery.objects.all():
        assert set(delivery.payload) == {"type", "timestamp", "data"}
        assert set(delivery.payload["data"]) <= allowed, delivery.payload
