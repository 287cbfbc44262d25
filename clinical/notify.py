"""Notifications this app sends at once (a safety signal) rather than at the next sweep.

The rows go into the same outbox as the sweep's (``cases.models.Notification``: an in-app row
born sent, an email row pending, a unique ``dedupe_key`` so a retried save creates nothing
twice) inside the caller's transaction, with their text rendered now (``cases.reminders.texts``,
each in its reader's language); their emails are handed
to ``cases.tasks.deliver_notification_task`` on commit, which sends each at most once.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from cases import access
from cases.models import Case, Channel, Notification
from cases.reminders import texts

logger = logging.getLogger(__name__)


def case_team(case: Case) -> list[Any]:
    """The treating doctor and the case's facilitator (every facilitator when none is
    assigned), active accounts only."""
    people: list[Any] = [case.doctor.user]
    if case.facilitator is not None:
        people.append(case.facilitator)
    else:
        people += list(access.assignable_facilitators())
    found: dict[int, Any] = {}
    for user in people:
        if user.is_active:
            found.setdefault(user.pk, user)
    return list(found.values())


def notify_now(
    *,
    case: Case,
    kind: str,
    key: str,
    recipients: list[Any],
    context: dict,
    due_at: dt.datetime | None = None,
) -> list[Notification]:
    """Store the notifications of ``kind`` about ``key`` for ``recipients`` (in-app, and
    email where they have an address) and enqueue the emails on commit. A key already stored
    is skipped, so calling this twice for one event notifies once. ``context`` (JSON) is what
    the kind's registered context builder reads (``cases.reminders.texts.register_context``);
    the text is rendered now by ``texts.render``, each in its reader's language."""
    now = timezone.now()
    rows = []
    for user in recipients:
        for channel in (Channel.IN_APP, Channel.EMAIL):
            if channel == Channel.EMAIL and not user.email:
                continue
            rows.append(
                Notification(
                    case=case,
                    recipient=user,
                    kind=kind,
                    channel=channel,
                    due_at=due_at or now,
                    context=context,
                    dedupe_key=f"{kind}:{case.pk}:{key}:u{user.pk}:{channel}"[:200],
                    sent_at=now if channel == Channel.IN_APP else None,
                    status=(
                        Notification.Status.SENT
                        if channel == Channel.IN_APP
                        else Notification.Status.PENDING
                    ),
                )
            )
    for row, (subject, body, html) in zip(rows, texts.render(rows).values(), strict=True):
        row.subject, row.body, row.html_body = subject, body, html
    keys = [r.dedupe_key for r in rows]
    existing = set(
        Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
    fresh = [r for r in rows if r.dedupe_key not in existing]
    Notification.objects.bulk_create(fresh)
    emails = list(
        Notification.objects.filter(
            dedupe_key__in=[r.dedupe_key for r in fresh], channel=Channel.EMAIL
        ).values_list("pk", flat=True)
    )
    if emails:
        transaction.on_commit(lambda: _enqueue(emails))
    return fresh


def _enqueue(ids: list[int]) -> None:
    from cases.tasks import deliver_notification_task

    for pk in ids:
        try:
            deliver_notification_task.delay(pk)
        except Exception:  # the sweep enqueues lost emails again
            logger.warning("broker unavailable; the sweep will send notification %s", pk)
            return


def signal_context(notifications: list[Notification]) -> list[dict]:
    """What a safety signal's notification says: the signal (``context["signal"]``)."""
    from .models import SafetySignal

    signals = SafetySignal.objects.in_bulk([n.context.get("signal") for n in notifications])
    return [{"signal": signals.get(n.context.get("signal"))} for n in notifications]
