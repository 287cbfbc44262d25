"""Webhooks: signed events out to configured endpoints, signed events in from couriers and
temperature loggers.

Outbound, an event is an outbox row per subscribed endpoint (``WebhookDelivery``), written in
the transaction of the change it reports and delivered by ``webhooks.delivery``; every
attempt is kept (``WebhookAttempt``). Inbound, each verified event is an ``InboundEvent`` on
its case, unique per source and ``webhook-id``. Secrets are in the Standard Webhooks format
(``whsec_`` and base64) and stay in the database: signing and verifying need them in clear.
"""

from __future__ import annotations

import base64
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64 (the spec asks for
    24 to 64)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def new_webhook_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class EventType(models.TextChoices):
    """What an endpoint may subscribe to. Payloads carry reference numbers and states only,
    never a patient identifier or a clinical value (``webhooks.events``)."""

    CASE_TRANSITIONED = "case.transitioned", "A case changed state"
    DOCUMENT_ACCEPTED = "document.accepted", "A document was accepted"
    DOCUMENT_REJECTED = "document.rejected", "A document was rejected"
    PACKET_READY = "packet.ready", "An application or customs packet is ready"
    SAFETY_SIGNAL = "safety.signal", "A safety follow-up was raised"


class WebhookEndpoint(models.Model):
    """A receiver of our events, configured by a facilitator. ``active`` off: no events are
    recorded for it and nothing queued is sent; it is switched off by hand, or by the delivery
    after ``NPP_WEBHOOK_DISABLE_AFTER_FAILURES`` failed deliveries in a row (``disabled_at``)."""

    name = models.CharField(max_length=100)
    url = models.URLField(
        "URL", max_length=500, validators=[URLValidator(schemes=["http", "https"])]
    )
    events = models.JSONField("events subscribed", default=list)
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = "outbound webhook endpoint"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        unknown = set(self.events or []) - set(EventType.values)
        if not isinstance(self.events, list) or unknown:
            raise ValidationError({"events": f"Unknown event types: {', '.join(sorted(unknown))}"})
        if settings.PRODUCTION and not self.url.lower().startswith("https://"):
            raise ValidationError({"url": "In production an endpoint's address must be https."})

    def subscribes_to(self, event_type: str) -> bool:
        return event_type in (self.events or [])


class WebhookDelivery(models.Model):
    """One event for one endpoint: an outbox row, delivered at least once with the same
    ``webhook_id`` on every attempt and replay, so a receiver that remembers the ids it
    processed acts on each event once. ``pending`` -> ``connecting`` (claimed, lease running)
    -> ``sent`` (a 2xx answer) or back to ``pending`` (retry after a backoff) or ``failed``
    (refused for good, or out of attempts)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CONNECTING = "connecting", "Being delivered"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries"
    )
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    # The event's id, shared by its deliveries to every endpoint.
    event_id = models.UUIDField(editable=False)
    # The webhook-id header: the same for every attempt and every replay of this delivery.
    webhook_id = models.CharField(
        "webhook-id", max_length=64, unique=True, default=new_webhook_id, editable=False
    )
    payload = models.JSONField()
    case_reference = models.CharField(max_length=20, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The current attempt's lease starts here; it ends NPP_WEBHOOK_LEASE_SECONDS later.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # After a temporary failure: when the sweep enqueues it again.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response_body = models.TextField("last response (excerpt)", blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="one_delivery_per_event_and_endpoint"
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"],
                name="webhook_outbox",
                condition=models.Q(status__in=["pending", "connecting"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.endpoint} ({self.webhook_id})"


class WebhookAttempt(models.Model):
    """The delivery log: one row per finished attempt (a killed one leaves none; the next
    attempt's number shows the gap)."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField("response (excerpt)", blank=True)
    error = models.TextField(blank=True)
    outcome = models.CharField(max_length=12)

    class Meta:
        ordering = ["started_at", "pk"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}: {self.response_code or self.error}"


# --- Inbound ---------------------------------------------------------------------------------


class InboundKind(models.TextChoices):
    SHIPMENT = "shipment", "Shipment tracking (courier)"
    TEMPERATURE = "temperature", "Temperature logger"


class InboundType(models.TextChoices):
    SHIPMENT_STATUS = "shipment.status", "Shipment status"
    SHIPMENT_LOCATION = "shipment.location", "Shipment location"
    SHIPMENT_ETA = "shipment.eta", "Shipment ETA"
    TEMPERATURE_READING = "temperature.reading", "Temperature reading"


# What each kind of source may send.
INBOUND_TYPES = {
    InboundKind.SHIPMENT: (
        InboundType.SHIPMENT_STATUS,
        InboundType.SHIPMENT_LOCATION,
        InboundType.SHIPMENT_ETA,
    ),
    InboundKind.TEMPERATURE: (InboundType.TEMPERATURE_READING,),
}


class InboundSource(models.Model):
    """A sender of signed events to ``/webhooks/inbound/<slug>/``, with its own secret."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(
        max_length=50,
        unique=True,
        help_text="The last part of its address: /webhooks/inbound/<slug>/",
    )
    kind = models.CharField(max_length=20, choices=InboundKind.choices)
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = "inbound webhook source"

    def __str__(self) -> str:
        return self.name


class InboundEvent(models.Model):
    """A verified event from a courier or a temperature logger, on its case's timeline."""

    source = models.ForeignKey(InboundSource, on_delete=models.PROTECT, related_name="events")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="inbound_events")
    webhook_id = models.CharField("webhook-id", max_length=100)
    event_type = models.CharField(max_length=30, choices=InboundType.choices)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    shipment_status = models.CharField(max_length=60, blank=True)
    location = models.CharField(max_length=200, blank=True)
    eta = models.DateTimeField("ETA", null=True, blank=True)
    logger_serial = models.CharField(max_length=60, blank=True)
    celsius = models.DecimalField(
        "temperature (°C)", max_digits=5, decimal_places=2, null=True, blank=True
    )
    excursion = models.BooleanField(
        default=False, help_text="Above -60 °C before the kit was received (DOMAIN.md §1.5)."
    )
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            # Idempotency: a sender's retry (same webhook-id) is recorded once.
            models.UniqueConstraint(
                fields=["source", "webhook_id"], name="one_inbound_event_per_source_and_id"
            ),
        ]
        indexes = [models.Index(fields=["case", "-occurred_at"], name="inbound_event_case")]

    def __str__(self) -> str:
        return f"{self.get_event_type_display()} for {self.case_id} ({self.webhook_id})"
