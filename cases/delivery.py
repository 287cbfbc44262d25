"""Delivering an email notification: once, through retries and crashes.

A delivery is an attempt recorded on the ``Notification`` row, each step committed before the
next one talks to the mail server::

    pending --claim--> connecting --before DATA--> handed_over --250--> sent
       ^                   |                            |
       +-- temporary ------+----------- 4xx answer -----+   (after backoff; failed at the limit)
                           +-- permanent (5xx) --> failed <-- 5xx answer
                                                        +-- no answer --> uncertain

- The claim is a conditional update: a ``pending`` row, or a ``connecting`` row whose lease
  expired. It starts a lease of ``CLAIM_LEASE_SECONDS``, longer than the task may run (see
  "Email delivery timing" in the settings), so a claim older than that belongs to a delivery
  that is no longer running.
- ``handed_over`` is written (and committed) just before the SMTP DATA command: from then on
  the mail server may have the message.
- A worker that dies (``kill -9``, OOM, a lost machine) leaves its row claimed. Once the lease
  has expired, ``connecting`` means nothing reached the mail server: the row is claimed and sent
  again. ``handed_over`` means it may have: the row becomes ``uncertain``, and nothing sends it
  again automatically. A person looks for its Message-ID (the same for every attempt of a
  notification) in the mail server's log or asks the recipient. That is the one place where
  "exactly once" needs a person, and it is the right trade: a duplicate clinical reminder
  (two "start prednisolone tomorrow" emails) is worse than a late one, and the window is one
  mail-server answer wide.
- An answer from the server is always believed: 250 is ``sent``; a refused recipient or another
  5xx is ``failed`` (not retried, not enqueued again); a 4xx, a dropped connection or a timeout
  before the hand-over is temporary and retried with backoff, ``MAX_ATTEMPTS`` in all, then
  ``failed``. A refusal of our login or greeting is our configuration, not the message, so it is
  retried like a temporary one.

The timing of Django's SMTP backend is known exactly (``_TrackedSMTP`` marks the hand-over
inside the SMTP conversation). Any other backend (console, file, locmem in development and
tests) is marked ``handed_over`` before it is called, so a crash during it is ``uncertain``;
an exception it raises means it wrote nothing, and is classified like one before the hand-over.

Each step relies on autocommit: run ``deliver`` outside a transaction (a Celery task does).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
import random
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import Channel, Notification

logger = logging.getLogger(__name__)

Status = Notification.Status

# A claim older than this belongs to a delivery that is no longer running (derived from
# EMAIL_TIMEOUT in the settings: longer than the task's hard time limit).
CLAIM_LEASE_SECONDS = settings.NPP_DELIVERY_LEASE_SECONDS
LEASE = dt.timedelta(seconds=CLAIM_LEASE_SECONDS)

# Attempts in all, the first included; a temporary failure on the last one is final.
MAX_ATTEMPTS = 8
# Backoff after the n-th temporary failure: 30 s, 1, 2, 4, 8, 16, 32 minutes (capped at an hour).
BACKOFF_BASE = 30
BACKOFF_MAX = 60 * 60
# A retry due within the lease waits in Celery (a countdown task is held unacknowledged by a
# worker, and the broker's visibility timeout is longer than the lease); a later one waits in
# the database for the sweep, so long countdowns never sit in the broker.
QUICK_RETRY_MAX = CLAIM_LEASE_SECONDS
# A pending email whose delivery was due this long ago (its task lost with a broker outage or
# a worker) is enqueued again by the sweep.
RETRY_AFTER = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Outcome:
    result: str  # "sent", "failed", "uncertain", "retry", "nothing to send"
    retry_in: int | None = None  # seconds: the task asks Celery to run it again then
    error: BaseException | None = None
    held_for: int | None = None  # "nothing to send" as another delivery's lease runs this long


class LostClaim(Exception):
    """The row is no longer this attempt's (cannot happen within the lease): stop before DATA."""


# --- The attempt --------------------------------------------------------------------------------


class _Attempt:
    """One claimed delivery of one row; every write is conditional on still owning the claim."""

    def __init__(self, pk: int, claimed_at: dt.datetime, number: int, text: dict) -> None:
        self.pk = pk
        self.claimed_at = claimed_at
        self.number = number
        self.text = text  # subject, body and html_body as sent
        self.handed_over = False  # the mail server may have the message (SMTP DATA began)
        self.accepted = False  # the mail server answered 250 to it

    def _mine(self):
        return Notification.objects.filter(pk=self.pk, claimed_at=self.claimed_at)

    def record_hand_over(self) -> None:
        # The text rendered for this attempt is kept with the step: the admin shows what went.
        if (
            not self._mine()
            .filter(status=Status.CONNECTING)
            .update(status=Status.HANDED_OVER, handed_over_at=timezone.now(), **self.text)
        ):
            raise LostClaim(f"notification {self.pk} is no longer claimed by this attempt")

    def sent(self) -> Outcome:
        self._mine().filter(status__in=[Status.HANDED_OVER, Status.UNCERTAIN]).update(
            status=Status.SENT, sent_at=timezone.now(), last_error="", next_attempt_at=None
        )
        return Outcome("sent")

    def failed(self, error: str) -> Outcome:
        self._mine().update(status=Status.FAILED, last_error=error[:2000])
        logger.warning("notification %s failed: %s", self.pk, error)
        return Outcome("failed")

    def uncertain(self, error: str) -> Outcome:
        self._mine().update(status=Status.UNCERTAIN, last_error=error[:2000])
        logger.error(
            "notification %s is uncertain (not sent again; check the mail server's log): %s",
            self.pk,
            error,
        )
        return Outcome("uncertain")

    def temporary(self, exc: BaseException) -> Outcome:
        error = describe(exc)
        if self.number >= MAX_ATTEMPTS:
            return self.failed(f"Gave up after {self.number} attempts: {error}")
        backoff = min(BACKOFF_BASE * 2 ** (self.number - 1), BACKOFF_MAX)
        now = timezone.now()
        if backoff <= QUICK_RETRY_MAX:
            # Full jitter, so a mail server coming back is not met by every email at once.
            retry_in = random.randint(0, backoff)
            # If Celery's retry is lost as well, the sweep takes over RETRY_AFTER later.
            next_attempt_at = now + dt.timedelta(seconds=retry_in) + RETRY_AFTER
        else:
            retry_in, next_attempt_at = None, now + dt.timedelta(seconds=backoff)
        self._mine().update(
            status=Status.PENDING,
            claimed_at=None,
            handed_over_at=None,
            next_attempt_at=next_attempt_at,
            last_error=error[:2000],
        )
        return Outcome("retry", retry_in=retry_in, error=exc)


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


# --- Classifying what the mail server (or the lack of it) said -------------------------------

# Refusals that say something about our configuration rather than this message.
_OUR_SETUP = (smtplib.SMTPAuthenticationError, smtplib.SMTPConnectError, smtplib.SMTPHeloError)


def _is_permanent(exc: BaseException) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException) and not isinstance(exc, _OUR_SETUP):
        return exc.smtp_code >= 500
    return False


def _server_answered(exc: BaseException) -> bool:
    """Whether the mail server answered the message with a refusal (then it does not have it)."""
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 400


# --- Django's SMTP backend, telling the attempt where the conversation is -------------------


class _TrackedSMTPMixin:
    def __init__(self, *args, attempt: _Attempt, **kwargs) -> None:
        self.attempt = attempt
        super().__init__(*args, **kwargs)

    def data(self, msg):
        self.attempt.record_hand_over()  # committed before the DATA command leaves
        self.attempt.handed_over = True
        code, reply = super().data(msg)
        self.attempt.accepted = code == 250
        return code, reply


class _TrackedSMTP(_TrackedSMTPMixin, smtplib.SMTP):
    pass


class _TrackedSMTPSSL(_TrackedSMTPMixin, smtplib.SMTP_SSL):
    pass


class _TrackedSMTPBackend(SMTPBackend):
    def __init__(self, *, attempt: _Attempt, **kwargs) -> None:
        super().__init__(**kwargs)
        self.attempt = attempt

    @property
    def connection_class(self):
        return functools.partial(
            _TrackedSMTPSSL if self.use_ssl else _TrackedSMTP, attempt=self.attempt
        )


# --- Claiming, sending, and what dead workers left --------------------------------------------


def claimable(now: dt.datetime) -> Q:
    """Rows a delivery may claim at ``now``: pending (and not held by a claim of the previous
    version), or left ``connecting`` by a delivery whose lease expired. Never one that was
    handed over, sent, uncertain or failed, however old its claim; and never one with a
    ``sent_at``, whatever its status says (a second line of defence)."""
    return (
        Q(status__in=[Status.PENDING, Status.CONNECTING], sent_at__isnull=True)
        & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - LEASE))
        & Q(channel=Channel.EMAIL, attempts__lt=MAX_ATTEMPTS)
    )


def deliver(notification_id: int) -> Outcome:
    """Send notification ``notification_id`` if it is claimable; see the module docstring."""
    now = timezone.now()
    claimed = Notification.objects.filter(claimable(now), pk=notification_id).update(
        status=Status.CONNECTING,
        claimed_at=now,
        handed_over_at=None,
        next_attempt_at=None,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        settle_abandoned(Notification.objects.filter(pk=notification_id), now=now)
        return Outcome("nothing to send", held_for=_lease_left(notification_id, now))
    # Imported here: the reminders package enqueues deliveries, deliveries render reminders.
    from .reminders.texts import render_one

    notification = Notification.objects.select_related(
        "recipient", "case__patient", "case__hospital", "case__doctor__user"
    ).get(pk=notification_id)
    # Rendered now, from the kind and the context the sweep stored (cases.reminders.texts).
    subject, body, html = render_one(notification)
    attempt = _Attempt(
        notification_id,
        now,
        notification.attempts,
        {"subject": subject, "body": body, "html_body": html},
    )
    to = notification.recipient.email if notification.recipient else notification.recipient_email
    if not to:
        return attempt.failed("No email address to send to.")
    message = EmailMultiAlternatives(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [to],
        headers={"Message-ID": notification.message_id},
    )
    if html:
        message.attach_alternative(html, "text/html")
    try:
        if import_string(settings.EMAIL_BACKEND) is SMTPBackend:
            message.connection = _TrackedSMTPBackend(attempt=attempt)
        else:
            message.connection = get_connection()
            attempt.record_hand_over()  # a crash inside the backend leaves it uncertain
        count = message.send()
    except LostClaim:
        logger.error("notification %s: claim lost before the hand-over; not sent", notification_id)
        return Outcome("nothing to send")
    except Exception as exc:  # Celery's SoftTimeLimitExceeded included
        return _after_error(attempt, exc)
    if not count:  # the backend sent nothing and said nothing
        return attempt.temporary(RuntimeError("The email backend sent nothing."))
    return attempt.sent()


def _lease_left(pk: int, now: dt.datetime) -> int | None:
    """Seconds (rounded up) until the lease of the delivery holding ``pk`` ends; None if no
    delivery holds it."""
    claimed_at = (
        Notification.objects.filter(pk=pk, status__in=[Status.CONNECTING, Status.HANDED_OVER])
        .values_list("claimed_at", flat=True)
        .first()
    )
    if claimed_at is None:
        return None
    return max(1, math.ceil((claimed_at + LEASE - now).total_seconds()))


def _after_error(attempt: _Attempt, exc: BaseException) -> Outcome:
    if attempt.accepted:  # e.g. QUIT failed after the 250: the message is the server's
        return attempt.sent()
    if attempt.handed_over and not _server_answered(exc):
        return attempt.uncertain(
            f"No answer after the message was handed to the mail server ({describe(exc)}); "
            "it may have been delivered. Check the mail server's log for its Message-ID "
            "before sending it again."
        )
    if _is_permanent(exc):
        return attempt.failed(describe(exc))
    return attempt.temporary(exc)


def settle_abandoned(rows=None, *, now: dt.datetime | None = None) -> int:
    """Settle rows whose delivery died (their lease expired): handed over becomes uncertain
    (or sent, if the previous version's worker recorded ``sent_at``); connecting at the
    attempt limit becomes failed. Lower ``connecting`` rows stay claimable. Returns how many
    rows changed."""
    now = now or timezone.now()
    rows = (Notification.objects.all() if rows is None else rows).filter(
        channel=Channel.EMAIL, claimed_at__lt=now - LEASE
    )
    changed = rows.filter(status=Status.HANDED_OVER).update(
        status=Case(
            When(sent_at__isnull=False, then=Value(Status.SENT)), default=Value(Status.UNCERTAIN)
        ),
        last_error=Case(
            When(sent_at__isnull=False, then=Value("")),
            default=Value(
                "The delivery stopped (its worker was lost) after handing the message to the mail "
                "server, before its answer; it may have been delivered. Check the mail server's "
                "log for its Message-ID before sending it again."
            ),
        ),
    )
    changed += rows.filter(status=Status.CONNECTING, attempts__gte=MAX_ATTEMPTS).update(
        status=Status.FAILED,
        last_error=f"The delivery stopped without finishing {MAX_ATTEMPTS} times.",
    )
    if changed:
        logger.warning("%s abandoned deliveries settled (uncertain or failed)", changed)
    return changed


def lost(clock: dt.datetime) -> Q:
    """Emails that need a task (the sweep enqueues them): pending and due again (after a
    backoff) or never tried ``RETRY_AFTER`` after creation, or left ``connecting`` by a
    delivery whose lease expired."""
    return Q(channel=Channel.EMAIL) & (
        Q(
            status=Status.PENDING,
            next_attempt_at__isnull=True,
            claimed_at__isnull=True,
            created_at__lt=clock - RETRY_AFTER,
        )
        | Q(status=Status.PENDING, next_attempt_at__lte=clock)
        | Q(
            status__in=[Status.PENDING, Status.CONNECTING],
            claimed_at__lt=clock - LEASE,
            attempts__lt=MAX_ATTEMPTS,
        )
    )
