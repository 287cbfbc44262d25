"""Celery tasks: thin, idempotent interfaces to the services. They take ids, never objects."""

from __future__ import annotations

import logging
import smtplib
import socket

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.utils import timezone

logger = logging.getLogger(__name__)

# Errors worth retrying: the mail server or the network, not a bad address in our data.
TRANSIENT_ERRORS = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError,
                    smtplib.SMTPDataError, smtplib.SMTPHeloError, socket.timeout,
                    ConnectionError, TimeoutError)

# A claim older than this belongs to a worker that died mid-delivery; the task may take over.
CLAIM_LEASE_SECONDS = 120
# A delivery is stopped well within the lease, so a claim older than the lease can only belong
# to a task that is no longer running. (Celery's global limits, 5 and 10 minutes, are longer
# than the lease, and EMAIL_TIMEOUT is unset: a hung SMTP send could otherwise outlive its claim
# and a task from the next sweep would send the same email again.)
DELIVERY_SOFT_TIME_LIMIT = CLAIM_LEASE_SECONDS // 2
DELIVERY_TIME_LIMIT = CLAIM_LEASE_SECONDS * 3 // 4


@shared_task(name="cases.send_due_reminders")
def send_due_reminders_task() -> int:
    """The periodic sweep (beat, every 15 minutes by default)."""
    from .reminders import reminders_sweep

    return reminders_sweep()


@shared_task(
    bind=True,
    name="cases.deliver_notification",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=8,
    soft_time_limit=DELIVERY_SOFT_TIME_LIMIT,
    time_limit=DELIVERY_TIME_LIMIT,
)
def deliver_notification_task(self, notification_id: int) -> str:
    """Send one email notification at most once.

    The row is claimed with a conditional update (only an unsent row whose claim is free or
    stale), sent, then marked sent. A duplicate task finds nothing to claim. If sending
    fails the claim is released and Celery retries with backoff.

    One window remains: a worker killed after the mail server accepted the message but before
    ``sent_at`` is written leaves a claim that another task takes over after the lease, and the
    email goes out twice. We accept that (milliseconds wide) rather than lose the email of every
    worker that dies mid-send.
    """
    from .models import Notification

    now = timezone.now()
    stale = now - timezone.timedelta(seconds=CLAIM_LEASE_SECONDS)
    claimed = Notification.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale),
        pk=notification_id, sent_at__isnull=True, channel="email",
    ).update(claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return "nothing to send"
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    to = notification.recipient.email if notification.recipient else notification.recipient_email
    message = EmailMultiAlternatives(notification.subject, notification.body,
                                     settings.DEFAULT_FROM_EMAIL, [to])
    if notification.html_body:
        message.attach_alternative(notification.html_body, "text/html")
    try:
        message.send()
    except Exception as exc:
        Notification.objects.filter(pk=notification_id).update(
            claimed_at=None, last_error=f"{type(exc).__name__}: {exc}"[:2000])
        raise
    Notification.objects.filter(pk=notification_id).update(sent_at=timezone.now(),
                                                           last_error="")
    return "sent"
