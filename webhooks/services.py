"""Writes on webhook endpoints, deliveries and inbound sources, each asking ``cases.access``
first (the admin calls these; it saves nothing itself)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cases import access

from .delivery import LEASE
from .models import InboundSource, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status


def _refuse_unless_desk(by: Any, what: str) -> None:
    # Endpoints and sources are the facilitators' configuration (the admin's desk).
    if not access.may_use_desk(by):
        raise PermissionDenied(f"Only facilitators {what}.")


def webhook_endpoint_save(*, endpoint: WebhookEndpoint, by: Any) -> WebhookEndpoint:
    """Create or change an endpoint (name, URL, events, active). Switching it back on clears
    its failure count and sends what was held for it. Raises ``PermissionDenied`` or
    ``ValidationError``; then nothing is saved."""
    _refuse_unless_desk(by, "configure webhooks")
    endpoint.full_clean()
    with transaction.atomic():
        was_active = (
            (
                WebhookEndpoint.objects.filter(pk=endpoint.pk)
                .values_list("active", flat=True)
                .first()
            )
            if endpoint.pk
            else None
        )
        if endpoint.active and was_active is False:
            endpoint.consecutive_failures = 0
            endpoint.disabled_at = None
            endpoint.disabled_reason = ""
            held = list(
                endpoint.deliveries.filter(status=Status.PENDING).values_list("pk", flat=True)
            )
            transaction.on_commit(lambda: _enqueue(held))
        endpoint.save()
    return endpoint


def webhook_delivery_replay(*, delivery: WebhookDelivery, by: Any) -> bool:
    """Queue ``delivery`` again with the same webhook-id (a receiver that processed it ignores
    it; one that lost it, or never got it, processes it), with a full set of attempts. A
    delivery being sent right now is left alone. Returns whether it was queued."""
    _refuse_unless_desk(by, "replay webhooks")
    now = timezone.now()
    idle = Q(status__in=[Status.SENT, Status.FAILED, Status.PENDING]) | Q(
        status=Status.CONNECTING, claimed_at__lt=now - LEASE
    )
    with transaction.atomic():
        queued = WebhookDelivery.objects.filter(idle, pk=delivery.pk).update(
            status=Status.PENDING,
            attempts=0,
            claimed_at=None,
            next_attempt_at=None,
            sent_at=None,
            last_error="Replayed by a facilitator.",
        )
        if queued:
            transaction.on_commit(lambda: _enqueue([delivery.pk]))
    return bool(queued)


def inbound_source_save(*, source: InboundSource, by: Any) -> InboundSource:
    """Create or change an inbound source (name, address slug, kind, active)."""
    _refuse_unless_desk(by, "configure inbound webhooks")
    source.full_clean()
    source.save()
    return source


def endpoint_disabled(endpoint_id: int) -> None:
    """Email the facilitators that an endpoint was switched off (plain ``send_mail`` once the
    change commits: the reminder outbox is per case, and this is about no case). A failure to
    send is logged; the admin shows the endpoint disabled either way."""
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    recipients = sorted(
        {
            user.email
            for user in access.assignable_facilitators()
            if user.email and access.is_facilitator(user)
        }
    )
    if not recipients:
        logger.error("webhook endpoint %s disabled and no facilitator has an email", endpoint.pk)
        return
    link = settings.NPP_SITE_URL.rstrip("/") + reverse(
        "admin:webhooks_webhookendpoint_change", args=[endpoint.pk]
    )
    body = (
        f'The webhook endpoint "{endpoint.name}" ({endpoint.url}) was switched off: '
        f"{endpoint.disabled_reason}\n\nNo events are recorded for it while it is off; the "
        f"deliveries already queued wait. Check the receiver, then switch it back on:\n"
        f"{link}\n"
    )

    def send() -> None:
        try:
            send_mail(
                f"Webhook endpoint disabled: {endpoint.name}",
                body,
                settings.DEFAULT_FROM_EMAIL,
                recipients,
            )
        except Exception:
            logger.exception("could not email the facilitators about endpoint %s", endpoint.pk)

    transaction.on_commit(send)


def _enqueue(ids: list[int]) -> None:
    from .events import enqueue

    enqueue(ids)
