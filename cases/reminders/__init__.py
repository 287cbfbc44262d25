"""Reminders: the sweep that puts due reminders in the outbox, one SQL statement per rule.

Everything derives from database state, so a sweep that was missed (broker down, worker
stopped) is made up by the next one. Each rule (``rules``) tells about one deadline of
``cases.deadlines``; ``reminders_sweep`` runs each as one ``INSERT ... SELECT`` that finds only
the cases due and not yet notified (an anti-join on the unique ``dedupe_key``) and inserts
their ``Notification`` rows (``outbox``). Rows hold a kind and a compact context; the text is
rendered when the reminder is delivered (``texts``): by ``cases.delivery`` for an email, by the
portal for an in-app reminder. So a sweep's time and memory grow with what it creates, not with
the number of open cases, and a second sweep at the same time creates nothing.

``RULES`` lists the rules in the order they run; an app above cases adds its own with
``register_rule`` from its ``AppConfig.ready()`` (``documents`` adds ``documents_missing``
first), so this package imports no app above it.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from ..delivery import RETRY_AFTER, lost, settle_abandoned
from ..models import Channel, Notification
from . import outbox, texts
from .rules import BUILT_IN, ReminderRule, annotated, morning, setting, text

__all__ = [
    "RETRY_AFTER",
    "RETRY_BATCH",
    "RULES",
    "ReminderRule",
    "annotated",
    "morning",
    "notifications_to_create",
    "register_rule",
    "reminders_sweep",
    "setting",
    "text",
    "texts",
]

logger = logging.getLogger(__name__)

# The rules a sweep runs, in this order (``send_reminders --dry-run`` lists in it).
RULES: list[ReminderRule] = list(BUILT_IN)


def register_rule(rule: ReminderRule, *, first: bool = False) -> ReminderRule:
    """Add ``rule`` to the sweep, at the end or ``first``; registering it again changes
    nothing (``ready()`` may run more than once in tests)."""
    if rule not in RULES:
        RULES.insert(0 if first else len(RULES), rule)
    return rule


# At most this many lost emails (see ``cases.delivery.lost``) are enqueued again a sweep, so
# an outage's backlog drains without flooding the broker.
RETRY_BATCH = 1000


def reminders_sweep(*, now: dt.datetime | None = None, enqueue: bool = True) -> int:
    """Create the notifications due at ``now`` and enqueue their emails.

    Returns how many notifications this sweep created. A second sweep for the same time
    creates none; two sweeps at once create each notification once and each enqueues only
    what it created. Emails this sweep created are enqueued, and so are emails whose task was
    lost or whose retry is due (``cases.delivery.lost``); a delivery claims its row, so an
    email enqueued twice is still sent once. Deliveries that died after handing their email
    to the mail server are marked uncertain, never enqueued again; failed ones neither.
    """
    from ..tasks import deliver_notification_task

    now = now or timezone.now()
    created = 0
    with transaction.atomic():
        emails: list[int] = []
        for rule in RULES:
            rows = outbox.insert(rule.due(now), rule.recipients(), now=timezone.now())
            created += len(rows)
            emails += [pk for pk, channel in rows if channel == Channel.EMAIL]
        if enqueue:
            # This sweep's rows are not lost yet (``lost`` waits RETRY_AFTER after creation).
            pending = emails + _lost_ids(now)
            transaction.on_commit(lambda: _enqueue(deliver_notification_task, pending))
    return created


def notifications_to_create(now: dt.datetime) -> list[Notification]:
    """The notifications a sweep at ``now`` would create: due, and not stored yet (unsaved,
    with their case, recipient and text). ``send_reminders --dry-run`` prints these, so it
    shows what would go out, not what already went out."""
    from django.contrib.auth import get_user_model

    from ..models import Case

    found, seen = [], set()
    for rule in RULES:
        for row in outbox.select(rule.due(now), rule.recipients()):
            if row[6] not in seen:  # a user listed twice gets one row
                seen.add(row[6])
                found.append(row)
    cases = Case.objects.select_related("patient", "hospital", "doctor__user").in_bulk(
        {row[0] for row in found}
    )
    users = get_user_model().objects.in_bulk({row[1] for row in found if row[1]})
    rows = [
        Notification(
            case=cases[case],
            recipient=users.get(user),
            recipient_email=address,
            kind=kind,
            channel=channel,
            due_at=_aware(due_at),
            dedupe_key=key,
            context=outbox.load_context(context),
        )
        for case, user, address, kind, channel, due_at, key, context in found
    ]
    return texts.with_texts(rows)


def _aware(value) -> dt.datetime:
    """A raw datetime from the database (SQLite gives text, naive UTC)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)


def _lost_ids(now: dt.datetime) -> list[int]:
    """Emails due by ``now`` that need a task again (``cases.delivery.lost``), after settling
    the deliveries that died (their lease expired) into uncertain or failed."""
    clock = timezone.now()
    settle_abandoned(now=clock)
    return list(
        Notification.objects.filter(lost(clock), due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", flat=True)[:RETRY_BATCH]
    )


def _enqueue(task, ids: list[int]) -> None:
    delay = task.delay  # looked up once: Celery's task proxy is slow to resolve, per email
    for sent, pk in enumerate(ids):
        try:
            delay(pk)
        except Exception:
            logger.warning(
                "broker unavailable; %s email(s) left for the next sweep", len(ids) - sent
            )
            return
