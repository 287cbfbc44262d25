"""Outbound events: raised from signals the lower apps already send, so none of them imports
this app (it sits above documents in the layers).

``WebhooksConfig.ready()`` connects the receivers below to django-fsm's ``post_transition``
(every transition runs inside ``case_apply``'s transaction, before the case is saved) and to
``post_save`` of ``Document`` and ``SafetyFollowUp``. Each receiver calls ``record_event``,
which writes one ``WebhookDelivery`` per active endpoint subscribed to the event, in the
transaction of the change: if the change rolls back, so do its deliveries, and a committed
change always has them. The delivery tasks are enqueued once the transaction commits; a broker
that is down then loses nothing, as the sweep enqueues what never started
(``webhooks.delivery.lost``).

Payloads follow the Standard Webhooks shape ``{"type", "timestamp", "data"}`` and carry
reference numbers, codes and states only: never a patient's name or identifier, a review
note, a deviation note or a lab value.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import EventType, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)


def iso(moment: dt.datetime) -> str:
    """An instant as UTC ISO 8601 with a ``Z`` (what receivers in any zone parse alike)."""
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def record_event(
    event_type: str, data: dict[str, Any], *, at: dt.datetime | None = None
) -> list[int]:
    """Queue ``event_type`` with ``data`` for every active endpoint subscribed to it, in the
    caller's transaction; returns the deliveries' ids. Their tasks are sent on commit."""
    endpoints = [
        e for e in WebhookEndpoint.objects.filter(active=True) if e.subscribes_to(event_type)
    ]
    if not endpoints:
        return []
    payload = {"type": event_type, "timestamp": iso(at or timezone.now()), "data": data}
    event_id = uuid.uuid4()
    ids = [
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_type=event_type,
            event_id=event_id,
            payload=payload,
            case_reference=str(data.get("reference", ""))[:20],
        ).pk
        for endpoint in endpoints
    ]
    transaction.on_commit(lambda: enqueue(ids))
    return ids


def enqueue(ids: list[int]) -> None:
    """Send one delivery task per id. A broker that cannot be reached loses nothing: the rows
    are pending, and the sweep enqueues them (``webhooks.delivery.lost``)."""
    from .tasks import deliver_webhook_task

    for pk in ids:
        try:
            deliver_webhook_task.delay(pk)
        except Exception:
            logger.exception("could not enqueue webhook delivery %s; the sweep will", pk)


# --- Receivers (connected in WebhooksConfig.ready) -------------------------------------------


def on_case_transition(sender, instance, name, source, target, **kwargs) -> None:
    """``case.transitioned``: django-fsm sends this inside ``case_apply``'s transaction, after
    the state changed in memory and before the save (a failed save rolls the delivery back)."""
    if "exception" in kwargs:  # the transition method raised: no state change happened
        return
    now = timezone.now()
    record_event(
        EventType.CASE_TRANSITIONED,
        {
            "reference": instance.reference,
            "transition": name,
            "from": source,
            "to": target,
            "at": iso(now),
        },
        at=now,
    )


_REVIEW_BEFORE = "_webhooks_review_status_before"


def remember_review_status(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """Before a document is saved, note its stored review status, so ``on_document_saved``
    reports a review only when the status changed (accepting an accepted version is not news)."""
    if raw or instance.pk is None:
        return
    if update_fields is not None and "review_status" not in update_fields:
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("review_status", flat=True).first()
    setattr(instance, _REVIEW_BEFORE, stored)


def on_document_saved(sender, instance, created, raw=False, **kwargs) -> None:
    """``packet.ready`` when a packet is stored (it is created accepted, by a background build
    or a direct one); ``document.accepted`` / ``document.rejected`` when a review changes a
    version's status (or a version is stored already reviewed)."""
    from documents.models import ReviewStatus
    from documents.packets.services import PACKET_TYPE_CODES

    before = instance.__dict__.pop(_REVIEW_BEFORE, instance.review_status)
    if raw:
        return
    code = instance.document_type.code
    packet_kinds = {type_code: kind for kind, type_code in PACKET_TYPE_CODES.items()}
    if created and code in packet_kinds:
        record_event(
            EventType.PACKET_READY,
            {
                "reference": instance.case.reference,
                "kind": str(packet_kinds[code]),
                "version": instance.version,
                "at": iso(instance.uploaded_at),
            },
        )
        return
    if created:
        before = ReviewStatus.PENDING
    status = instance.review_status
    if status == before or status == ReviewStatus.PENDING:
        return
    event_type = (
        EventType.DOCUMENT_ACCEPTED
        if status == ReviewStatus.ACCEPTED
        else EventType.DOCUMENT_REJECTED
    )
    record_event(
        event_type,
        {
            "reference": instance.case.reference,
            "document_type": code,
            "version": instance.version,
            "status": status,
            "at": iso(instance.reviewed_at or timezone.now()),
        },
    )


def on_safety_follow_up_saved(sender, instance, created, raw=False, **kwargs) -> None:
    """``safety.signal``: a protocol deviation raised a safety follow-up (in the infusion's
    own transaction). The rule codes, details and note stay in the system."""
    if raw or not created:
        return
    record_event(
        EventType.SAFETY_SIGNAL,
        {
            "reference": instance.case.reference,
            "transition": instance.transition,
            "at": iso(instance.raised_at),
        },
    )
