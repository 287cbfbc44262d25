"""Celery tasks of the webhooks app: thin, idempotent, taking ids."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from .delivery import deliver, sweep


@shared_task(
    bind=True,
    name="webhooks.deliver",
    # Acknowledged at the end: a worker killed mid-request leaves the message to be delivered
    # again (after the broker's visibility timeout), and the claim decides what that means.
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # the row counts attempts (webhooks.delivery.MAX_ATTEMPTS), across sweeps
    # Stopped and killed within the claim's lease (NPP_WEBHOOK_* in the settings).
    soft_time_limit=settings.NPP_WEBHOOK_SOFT_TIME_LIMIT,
    time_limit=settings.NPP_WEBHOOK_TIME_LIMIT,
    ignore_result=True,  # the outcome is on the row and in its attempt log
)
def deliver_webhook_task(self, delivery_id: int) -> str:
    """POST one webhook delivery (``webhooks.delivery``). A temporary failure is retried by
    Celery while the wait is short; a longer wait is left on the row for the sweep. A
    redelivered message (its worker died) that finds the dead delivery's lease still running
    is retried when the lease ends. Returns "sent", "failed", "retry" or "nothing to send"."""
    outcome = deliver(delivery_id)
    if outcome.retry_in is not None:
        raise self.retry(exc=outcome.error, countdown=outcome.retry_in)
    if outcome.held_for and (self.request.delivery_info or {}).get("redelivered"):
        raise self.retry(countdown=outcome.held_for)
    return outcome.result


@shared_task(name="webhooks.sweep", ignore_result=True)
def sweep_webhooks_task() -> int:
    """The periodic sweep (beat, every minute by default): re-enqueue deliveries whose task
    was lost or whose retry is due."""
    return sweep()
