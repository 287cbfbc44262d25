"""Signed events in: shipment tracking from couriers, readings from temperature loggers.

``inbound_receive`` checks, in this order, and refuses with the first problem (nothing is
stored for a refused event):

1. the source: an active ``InboundSource`` with this slug (404);
2. the signature: ``standardwebhooks.Webhook(secret).verify`` with the source's secret, which
   also refuses a ``webhook-timestamp`` more than 5 minutes away from now (401), so a sender
   learns nothing about our cases without the secret;
3. the ``webhook-id``: one already recorded from this source is answered 200 "duplicate" and
   changes nothing (senders retry until they see a 2xx);
4. the payload: ``{"type", "timestamp"?, "data": {"reference", ...}}`` with a type this kind
   of source may send and valid fields (400);
5. the case: ``data.reference`` must name one (422).

Then, in one transaction, the event is recorded (unique per source and webhook-id, so two
copies racing record one) and its effect applied: a newer ETA goes to the case through
``cases.services.case_record_eta``; a reading above -60 °C before receipt is flagged as an
excursion (for the facilitators: an excursion puts the case on hold for the manufacturer's
decision, DOMAIN.md §1.5, which a person does).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_datetime
from standardwebhooks import Webhook, WebhookVerificationError

from cases.models import Case
from cases.services import case_record_eta

from .models import INBOUND_TYPES, InboundEvent, InboundSource, InboundType

MAX_BODY_BYTES = 64 * 1024
CELSIUS_LIMIT = Decimal("99.99")  # what the column holds; loggers report far less


class Refused(Exception):
    """The event is refused with ``status``; ``message`` tells the sender why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Parsed:
    event_type: str
    reference: str
    occurred_at: dt.datetime
    fields: dict[str, Any] = field(default_factory=dict)


def inbound_receive(*, slug: str, body: bytes, headers: Mapping[str, str]) -> str:
    """Check and record one inbound event; returns "recorded" or "duplicate", or raises
    ``Refused`` (see the module docstring)."""
    source = InboundSource.objects.filter(slug=slug, active=True).first()
    if source is None:
        raise Refused(404, "Unknown webhook source.")
    if len(body) > MAX_BODY_BYTES:
        raise Refused(413, f"The body is over {MAX_BODY_BYTES} bytes.")
    headers = {name.lower(): value for name, value in headers.items()}
    payload, sent_at = _verified(source, body, headers)
    webhook_id = headers.get("webhook-id", "")
    if len(webhook_id) > InboundEvent._meta.get_field("webhook_id").max_length:
        raise Refused(400, "webhook-id is too long.")
    if InboundEvent.objects.filter(source=source, webhook_id=webhook_id).exists():
        return "duplicate"
    parsed = parse(source, payload, default_time=sent_at)
    case = Case.objects.filter(reference=parsed.reference).first()
    if case is None:
        raise Refused(422, f"No case with reference {parsed.reference!r}.")
    try:
        with transaction.atomic():
            event = InboundEvent.objects.create(
                source=source,
                case=case,
                webhook_id=webhook_id,
                event_type=parsed.event_type,
                occurred_at=parsed.occurred_at,
                **parsed.fields,
            )
            _apply(event, case, source)
    except IntegrityError:
        if InboundEvent.objects.filter(source=source, webhook_id=webhook_id).exists():
            return "duplicate"  # the same event, recorded by a copy that arrived alongside
        raise
    return "recorded"


def _verified(
    source: InboundSource, body: bytes, headers: dict[str, str]
) -> tuple[Any, dt.datetime]:
    """The JSON payload and the signed ``webhook-timestamp``, once the signature checks out."""
    try:
        Webhook(source.secret).verify(body, headers, json_parse=False)
    # The library raises its own error for a bad signature or timestamp, and a ValueError for
    # a malformed header (no comma, bad base64) or a body that is not UTF-8.
    except (WebhookVerificationError, ValueError):
        raise Refused(401, "The webhook signature does not verify.")
    sent_at = dt.datetime.fromtimestamp(float(headers["webhook-timestamp"]), tz=dt.UTC)
    try:
        return json.loads(body, parse_float=Decimal), sent_at
    except ValueError:
        raise Refused(400, "The body is not JSON.")


# --- The payload -----------------------------------------------------------------------------


def parse(source: InboundSource, payload: Any, *, default_time: dt.datetime) -> Parsed:
    """The event in ``payload``, checked for a source of ``source.kind``; raises ``Refused``."""
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise Refused(400, 'Expected {"type": ..., "data": {...}}.')
    event_type, data = payload.get("type"), payload["data"]
    if event_type not in INBOUND_TYPES[source.kind]:
        allowed = ", ".join(INBOUND_TYPES[source.kind])
        raise Refused(
            400, f"Unknown or unexpected type {event_type!r}; this source sends {allowed}."
        )
    occurred_at = (
        _instant(payload, "timestamp") if payload.get("timestamp") is not None else default_time
    )
    reference = _text(data, "reference", 20)
    return Parsed(event_type, reference, occurred_at, _FIELDS[event_type](data))


def _text(data: dict, name: str, max_length: int, required: bool = True) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > max_length:
        raise Refused(400, f"data.{name}: text of 1 to {max_length} characters expected.")
    return value.strip()


def _instant(data: dict, name: str) -> dt.datetime:
    value = data.get(name)
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None or moment.tzinfo is None:
        raise Refused(400, f"{name}: an ISO 8601 date and time with its offset expected.")
    return moment


def _celsius(data: dict) -> Decimal:
    value = data.get("celsius")
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise Refused(400, "data.celsius: a number expected.")
    try:
        value = Decimal(value).quantize(Decimal("0.01"))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or abs(value) > CELSIUS_LIMIT:
        raise Refused(400, f"data.celsius: a temperature within ±{CELSIUS_LIMIT} expected.")
    return value


_FIELDS = {
    InboundType.SHIPMENT_STATUS: lambda data: {
        "shipment_status": _text(data, "status", 60),
        "location": _text(data, "location", 200, required=False),
    },
    InboundType.SHIPMENT_LOCATION: lambda data: {"location": _text(data, "location", 200)},
    InboundType.SHIPMENT_ETA: lambda data: {"eta": _instant(data, "eta")},
    InboundType.TEMPERATURE_READING: lambda data: {
        "celsius": _celsius(data),
        "logger_serial": _text(data, "logger_serial", 60, required=False),
    },
}


# --- Effects ---------------------------------------------------------------------------------


def _apply(event: InboundEvent, case: Case, source: InboundSource) -> None:
    if event.event_type == InboundType.SHIPMENT_ETA:
        event.outcome = _apply_eta(event, case, source)
    elif event.event_type == InboundType.TEMPERATURE_READING:
        # DOMAIN.md §1.5 [label]: frozen at or below the limit (-60 °C) until receipt.
        limit = Decimal(str(settings.NPP_COLD_CHAIN_LIMIT_CELSIUS))
        event.excursion = event.celsius > limit and (
            case.received_at is None or event.occurred_at < case.received_at
        )
        event.outcome = "Excursion: above -60 °C before receipt." if event.excursion else ""
    else:
        return
    event.save(update_fields=["outcome", "excursion"])


def _apply_eta(event: InboundEvent, case: Case, source: InboundSource) -> str:
    """Events can arrive out of order: an ETA older than one already received is kept on the
    timeline but does not replace the newer one."""
    newer = InboundEvent.objects.filter(
        case=case, event_type=InboundType.SHIPMENT_ETA, occurred_at__gt=event.occurred_at
    ).exists()
    if newer:
        return "Not applied: a later ETA was already received."
    if case_record_eta(case=case, eta=event.eta, source=source.name):
        return "ETA recorded on the case."
    return f"Not applied: the case is {case.get_state_display().lower()}, or the ETA is unchanged."
