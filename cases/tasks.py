"""Celery tasks: thin, idempotent interfaces to the services. They take ids, never objects."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from .delivery import CLAIM_LEASE_SECONDS, deliver

__all__ = ["CLAIM_LEASE_SECONDS", "deliver_notification_task", "send_due_reminders_task"]

# Stopped (soft limit) and killed (hard limit) within the claim's lease, all three derived from
# EMAIL_TIMEOUT in the settings: a claim older than the lease can only belong to a delivery
# that is no longer running, so taking it over never sends beside a live one.
DELIVERY_SOFT_TIME_LIMIT = settings.NPP_DELIVERY_SOFT_TIME_LIMIT
DELIVERY_TIME_LIMIT = settings.NPP_DELIVERY_TIME_LIMIT


@shared_task(name="cases.send_due_reminders")
def send_due_reminders_task() -> int:
    """The periodic sweep (beat, every 15 minutes by default)."""
    from .reminders import reminders_sweep

    return reminders_sweep()


@shared_task(
    bind=True,
    name="cases.deliver_notification",
    # Acknowledged at the end: a worker killed mid-task leaves the message to be delivered
    # again (after the broker's visibility timeout), and the claim decides what that means.
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # the row counts attempts (cases.delivery.MAX_ATTEMPTS), across sweeps
    soft_time_limit=DELIVERY_SOFT_TIME_LIMIT,
    time_limit=DELIVERY_TIME_LIMIT,
)
def deliver_notification_task(self, notification_id: int) -> str:
    """Send one email notification at most once (``cases.delivery``).

    A temporary failure is retried by Celery with backoff while the wait is short; a longer
    wait is left on the row for the sweep. A redelivered message (its worker died) that finds
    the dead delivery's lease still running is retried when the lease ends. Returns "sent",
    "failed", "uncertain", "retry" or "nothing to send" (a duplicate task, or a row another
    delivery holds or has finished).
    """
    outcome = deliver(notification_id)
    if outcome.retry_in is not None:
        raise self.retry(exc=outcome.error, countdown=outcome.retry_in)
    if outcome.held_for and (self.request.delivery_info or {}).get("redelivered"):
        # The broker handed this out again because the worker running it died (or was killed
        # at the time limit), but the dead delivery's lease has not quite run out: look again
        # when it has, rather than leave the row to the next sweep.
        raise self.retry(countdown=outcome.held_for)
    return outcome.result
