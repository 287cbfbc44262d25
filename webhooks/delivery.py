"""Delivering a webhook: signed per Standard Webhooks, at least once, each event with one
``webhook-id`` for every attempt, so a receiver that remembers the ids it has processed acts
on each event exactly once.

A delivery is an attempt recorded on the ``WebhookDelivery`` row::

    pending --claim--> connecting --2xx--> sent
       ^                   |
       +-- 408, 429, 5xx, -+--> failed   (another 3xx or 4xx: refused for good; or out of
           no answer           attempts)

- The claim is a conditional update of one row: ``pending``, or ``connecting`` whose lease
  (``NPP_WEBHOOK_LEASE_SECONDS``) expired; the endpoint must be active. The task's hard time
  limit ends within the lease (see "Webhook delivery timing" in the settings), so a claim
  older than the lease belongs to a delivery that is no longer running, and taking it over
  never sends beside a live one.
- Unlike an email (``cases.delivery``), a request cut off after it left (a worker killed
  while the receiver was answering) is simply sent again once the lease has expired: the
  receiver may see the same ``webhook-id`` twice and must ignore the second; that is the
  contract Standard Webhooks gives receivers. Each attempt is signed afresh with its own
  ``webhook-timestamp`` (receivers refuse old ones); the body is the same bytes every time.
- An answer is believed: 2xx is ``sent``; 408, 429 and 5xx, a timeout or a dropped connection
  are temporary and retried after ``RETRY_DELAYS``, ``MAX_ATTEMPTS`` in all; any other status
  (a redirect too: the signed body goes only to the configured URL) is ``failed`` at once.
- A delivery that ends ``failed`` counts against its endpoint; ``sent`` resets the count.
  ``NPP_WEBHOOK_DISABLE_AFTER_FAILURES`` in a row switch the endpoint off and email the
  facilitators (``webhooks.services.endpoint_disabled``).

Each step relies on autocommit: run ``deliver`` outside a transaction (a Celery task does).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import math
import random
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone
from standardwebhooks import Webhook

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status

LEASE_SECONDS = settings.NPP_WEBHOOK_LEASE_SECONDS
LEASE = dt.timedelta(seconds=LEASE_SECONDS)
TIMEOUT = settings.NPP_WEBHOOK_TIMEOUT
# Attempts in all, the first included; a temporary failure on the last one is final.
MAX_ATTEMPTS = 8
# The wait after the n-th failed attempt: 10 s, 1 min, 5 min, 30 min, 1 h, 3 h, 6 h (about
# 10.6 hours from the first attempt to the last), with jitter.
RETRY_DELAYS = (10, 60, 5 * 60, 30 * 60, 60 * 60, 3 * 60 * 60, 6 * 60 * 60)
# A retry due within the lease waits in Celery (a countdown task); a later one waits in the
# database for the sweep, so long countdowns never sit in the broker.
QUICK_RETRY_MAX = LEASE_SECONDS
# A pending delivery never tried this long after it was queued (its task lost with the broker
# or a worker), or whose retry is this overdue, is enqueued again by the sweep.
RETRY_AFTER = dt.timedelta(minutes=2)
EXCERPT_CHARS = 500
USER_AGENT = "NPP-Webhooks/1"
TEMPORARY_CODES = frozenset({408, 429})


@dataclass(frozen=True)
class Outcome:
    result: str  # "sent", "failed", "retry", "nothing to send"
    retry_in: int | None = None  # seconds: the task asks Celery to run it again then
    error: BaseException | None = None
    held_for: int | None = None  # "nothing to send" as another delivery's lease runs this long


@dataclass(frozen=True)
class Answer:
    code: int
    body: str
    retry_after: int | None = None


# --- The request ---------------------------------------------------------------------------


def body_of(payload: dict) -> bytes:
    """The bytes signed and sent, the same on every attempt (sorted keys, ASCII only)."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def signed_headers(
    *, secret: str, webhook_id: str, body: bytes, at: dt.datetime | None = None
) -> dict[str, str]:
    """The Standard Webhooks headers for one attempt, signed with the endpoint's secret."""
    # standardwebhooks' sign() replaces the tzinfo by UTC instead of converting: give it UTC.
    at = dt.datetime.fromtimestamp(int((at or timezone.now()).timestamp()), tz=dt.UTC)
    signature = Webhook(secret).sign(msg_id=webhook_id, timestamp=at, data=body.decode())
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer: the signed body goes to the configured URL only


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST ``body`` to ``url``, each step waiting at most ``NPP_WEBHOOK_TIMEOUT``. Any answer
    is returned (with the start of its body); no answer raises."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=TIMEOUT) as response:
            return Answer(response.status, _excerpt(response))
    except urllib.error.HTTPError as answer:
        with answer:
            return Answer(answer.code, _excerpt(answer), _retry_after(answer.headers))


def _excerpt(response) -> str:
    try:
        return response.read(4 * EXCERPT_CHARS).decode("utf-8", "replace")[:EXCERPT_CHARS]
    except Exception:  # the answer's code is what counts; its body is only for people
        return ""


def _retry_after(headers) -> int | None:
    """Retry-After in seconds (either form), if the receiver sent one."""
    value = (headers or {}).get("Retry-After", "").strip()
    if value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0, math.ceil((when - timezone.now()).total_seconds()))


# --- The attempt ---------------------------------------------------------------------------


class _Attempt:
    """One claimed delivery; every write is conditional on still owning the claim."""

    def __init__(self, delivery: WebhookDelivery, claimed_at: dt.datetime) -> None:
        self.delivery = delivery
        self.pk = delivery.pk
        self.claimed_at = claimed_at
        self.number = delivery.attempts
        self.started = time.monotonic()

    def _mine(self):
        return WebhookDelivery.objects.filter(
            pk=self.pk, claimed_at=self.claimed_at, status=Status.CONNECTING
        )

    def _log(self, outcome: str, answer: Answer | None, error: str = "") -> None:
        WebhookAttempt.objects.create(
            delivery_id=self.pk,
            number=self.number,
            started_at=self.claimed_at,
            duration_ms=int((time.monotonic() - self.started) * 1000),
            response_code=answer.code if answer else None,
            response_body=answer.body if answer else "",
            error=error[:2000],
            outcome=outcome,
        )

    def _finish(self, outcome: str, answer: Answer | None, error: str, **fields) -> bool:
        changed = self._mine().update(
            last_response_code=answer.code if answer else None,
            last_response_body=answer.body if answer else "",
            last_error=error[:2000],
            **fields,
        )
        if not changed:  # cannot happen within the lease: the row is another attempt's now
            logger.error("webhook delivery %s: claim lost before the answer was recorded", self.pk)
            return False
        self._log(outcome, answer, error)
        return True

    def sent(self, answer: Answer) -> Outcome:
        if self._finish(
            "sent", answer, "", status=Status.SENT, sent_at=timezone.now(), next_attempt_at=None
        ):
            endpoint_succeeded(self.delivery.endpoint_id)
        return Outcome("sent")

    def failed(self, error: str, answer: Answer | None = None) -> Outcome:
        if self._finish("failed", answer, error, status=Status.FAILED, next_attempt_at=None):
            logger.warning("webhook delivery %s failed: %s", self.pk, error)
            endpoint_failed(self.delivery.endpoint_id)
        return Outcome("failed")

    def temporary(
        self, error: str, answer: Answer | None = None, exc: BaseException | None = None
    ) -> Outcome:
        if self.number >= MAX_ATTEMPTS:
            return self.failed(f"Gave up after {self.number} attempts: {error}", answer)
        delay = RETRY_DELAYS[min(self.number, len(RETRY_DELAYS)) - 1]
        if answer and answer.retry_after:
            delay = min(max(delay, answer.retry_after), RETRY_DELAYS[-1])
        delay = math.ceil(delay * random.uniform(0.8, 1.0))  # jitter: not all at once
        now = timezone.now()
        if delay <= QUICK_RETRY_MAX:
            # If Celery's retry is lost as well, the sweep takes over RETRY_AFTER later.
            retry_in, next_attempt_at = delay, now + dt.timedelta(seconds=delay) + RETRY_AFTER
        else:
            retry_in, next_attempt_at = None, now + dt.timedelta(seconds=delay)
        self._finish(
            "retry",
            answer,
            error,
            status=Status.PENDING,
            claimed_at=None,
            next_attempt_at=next_attempt_at,
        )
        return Outcome("retry", retry_in=retry_in, error=exc or RuntimeError(error))


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


# --- Claiming, sending, and what dead workers left --------------------------------------------


def claimable(now: dt.datetime) -> Q:
    """Rows a delivery may claim at ``now``: pending or left connecting by an expired lease,
    under the attempt limit, of an active endpoint. The endpoint is tested with a subquery on
    ``endpoint_id`` rather than a join: an UPDATE with a join becomes ``pk IN (subquery)``, and
    PostgreSQL would not re-check the status of a row another claim changed meanwhile."""
    return (
        Q(status__in=[Status.PENDING, Status.CONNECTING], sent_at__isnull=True)
        & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - LEASE))
        & Q(attempts__lt=MAX_ATTEMPTS)
        & Q(endpoint_id__in=WebhookEndpoint.objects.filter(active=True).values("pk"))
    )


def deliver(delivery_id: int) -> Outcome:
    """Send delivery ``delivery_id`` if it is claimable; see the module docstring."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(claimable(now), pk=delivery_id).update(
        status=Status.CONNECTING, claimed_at=now, next_attempt_at=None, attempts=F("attempts") + 1
    )
    if not claimed:
        settle_abandoned(WebhookDelivery.objects.filter(pk=delivery_id), now=now)
        return Outcome("nothing to send", held_for=_lease_left(delivery_id, now))
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    attempt = _Attempt(delivery, now)
    url = delivery.endpoint.url
    if urlsplit(url).scheme not in ("http", "https"):
        return attempt.failed(f"Not an http(s) address: {url}")
    body = body_of(delivery.payload)
    try:
        headers = signed_headers(
            secret=delivery.endpoint.secret, webhook_id=delivery.webhook_id, body=body
        )
        answer = post(url, body, headers)
    except Exception as exc:  # no answer: timeout, refused, reset, DNS; Celery's soft limit
        return attempt.temporary(describe(exc), exc=exc)
    if 200 <= answer.code < 300:
        return attempt.sent(answer)
    if answer.code in TEMPORARY_CODES or answer.code >= 500:
        return attempt.temporary(f"HTTP {answer.code}", answer)
    return attempt.failed(f"HTTP {answer.code}: refused (not retried)", answer)


def _lease_left(pk: int, now: dt.datetime) -> int | None:
    """Seconds (rounded up) until the lease of the delivery holding ``pk`` ends; None if no
    delivery holds it."""
    claimed_at = (
        WebhookDelivery.objects.filter(pk=pk, status=Status.CONNECTING)
        .values_list("claimed_at", flat=True)
        .first()
    )
    if claimed_at is None:
        return None
    return max(1, math.ceil((claimed_at + LEASE - now).total_seconds()))


def settle_abandoned(rows=None, *, now: dt.datetime | None = None) -> int:
    """Deliveries left ``connecting`` at the attempt limit by workers that died become
    ``failed`` (and count against their endpoint). Lower ones stay claimable. Returns how
    many changed."""
    now = now or timezone.now()
    rows = (WebhookDelivery.objects.all() if rows is None else rows).filter(
        status=Status.CONNECTING, claimed_at__lt=now - LEASE, attempts__gte=MAX_ATTEMPTS
    )
    changed = 0
    for pk, endpoint_id in rows.values_list("pk", "endpoint_id"):
        if WebhookDelivery.objects.filter(
            pk=pk, status=Status.CONNECTING, claimed_at__lt=now - LEASE
        ).update(
            status=Status.FAILED,
            last_error=f"The delivery stopped without finishing {MAX_ATTEMPTS} times.",
        ):
            changed += 1
            endpoint_failed(endpoint_id)
    return changed


def lost(now: dt.datetime) -> Q:
    """Deliveries that need a task (the sweep enqueues them): pending and due again (after a
    backoff), or never tried ``RETRY_AFTER`` after they were queued, or left ``connecting`` by
    a delivery whose lease expired; all of an active endpoint."""
    return Q(endpoint__active=True) & (
        Q(
            status=Status.PENDING,
            next_attempt_at__isnull=True,
            claimed_at__isnull=True,
            created_at__lt=now - RETRY_AFTER,
        )
        | Q(status=Status.PENDING, next_attempt_at__lte=now)
        | Q(
            status__in=[Status.PENDING, Status.CONNECTING],
            claimed_at__lt=now - LEASE,
            attempts__lt=MAX_ATTEMPTS,
        )
    )


def sweep(now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Settle what dead workers left and enqueue the deliveries that need a task; returns how
    many were enqueued. A duplicate task finds nothing to claim."""
    from .events import enqueue

    now = now or timezone.now()
    settle_abandoned(now=now)
    ids = list(
        WebhookDelivery.objects.filter(lost(now))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    enqueue(ids)
    return len(ids)


# --- The endpoint's count of failed deliveries ----------------------------------------------


def endpoint_succeeded(endpoint_id: int) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint_id, consecutive_failures__gt=0).update(
        consecutive_failures=0
    )


def endpoint_failed(endpoint_id: int) -> None:
    """Count a failed delivery; at the limit, switch the endpoint off once (a conditional
    update) and tell the facilitators."""
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    limit = settings.NPP_WEBHOOK_DISABLE_AFTER_FAILURES
    reason = (
        f"Disabled automatically after {limit} failed deliveries in a row "
        f"({timezone.localtime():%d %b %Y %H:%M %Z})."
    )
    if WebhookEndpoint.objects.filter(
        pk=endpoint_id, active=True, consecutive_failures__gte=limit
    ).update(active=False, disabled_at=timezone.now(), disabled_reason=reason):
        from .services import endpoint_disabled

        logger.error("webhook endpoint %s disabled: %s", endpoint_id, reason)
        endpoint_disabled(endpoint_id)
