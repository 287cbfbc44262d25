"""The breach register's reminders: the Board's 72-hour clock and each family not yet told.

Two rules for the sweep of ``cases.reminders`` (``register_rule`` in ``FamilyConfig.ready()``),
each one statement like every rule: the due cases as annotated querysets (a breach's reminders
ride on its affected cases, since the outbox is per case: the Board's on the first one
recorded, the family's on each family's own), to the case's facilitator. The dedupe key's
``extra`` holds the breach and the checkpoint, so a sweep run twice creates nothing twice. The
text is rendered at delivery (``texts.register_context`` gives the breach and its deadline).

The clock (``NPP_BREACH_BOARD_HOURS`` from discovery) is declared once, ``Breach.board_deadline``:
- ``breach_board_due``: at discovery, and again 24 hours and 6 hours before the deadline;
- ``breach_board_overdue``: from the deadline, once a day until the Board is told;
- ``breach_family_not_told``: at discovery, then once a day until that family is told.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import DateTimeField, Min, QuerySet, Value

from cases.clock import ist_date
from cases.deadlines import FACILITATOR
from cases.models import Case
from cases.reminders import ReminderRule, annotated

from .models import Breach, BreachAffectedCase

BREACH_KINDS = ("breach_board_due", "breach_board_overdue", "breach_family_not_told")
BEFORE_DEADLINE = (dt.timedelta(hours=24), dt.timedelta(hours=6))
DAY = dt.timedelta(days=1)


def _daily(start: dt.datetime, now: dt.datetime) -> dt.datetime:
    """The latest of start, start + 1 day, ... at or before ``now``."""
    return start + ((now - start) // DAY) * DAY


def _piece(case_id: int, kind: str, due: dt.datetime, extra: str, breach: Breach) -> QuerySet:
    return annotated(
        Case.objects.filter(pk=case_id),
        kind=kind,
        due_at=Value(due, DateTimeField()),
        day=ist_date(due).isoformat(),
        extra=extra,
        breach=Value(breach.pk),
    )


def _board_due(now: dt.datetime) -> list[QuerySet]:
    """Open breaches, on their first affected case."""
    pieces = []
    first = (
        BreachAffectedCase.objects.filter(
            breach__board_notified_at__isnull=True, breach__discovered_at__lte=now
        )
        .values("breach")
        .annotate(first=Min("pk"))
        .values_list("first", flat=True)
    )
    for affected in BreachAffectedCase.objects.filter(pk__in=list(first)).select_related("breach"):
        breach = affected.breach
        deadline = breach.board_deadline()
        if now >= deadline:
            kind, due, step = "breach_board_overdue", _daily(deadline, now), "late"
        else:
            passed = [deadline - b for b in BEFORE_DEADLINE if deadline - b <= now]
            kind, due = "breach_board_due", max(passed, default=breach.discovered_at)
            step = str(len(passed))
        pieces.append(_piece(affected.case_id, kind, due, f"b{breach.pk}s{step}", breach))
    return pieces or [_nothing()]


def _family_not_told(now: dt.datetime) -> list[QuerySet]:
    untold = BreachAffectedCase.objects.filter(
        family_told_at__isnull=True, breach__discovered_at__lte=now
    ).select_related("breach")
    pieces = [
        _piece(
            a.case_id,
            "breach_family_not_told",
            _daily(a.breach.discovered_at, now),
            f"b{a.breach_id}",
            a.breach,
        )
        for a in untold
    ]
    return pieces or [_nothing()]


def _nothing() -> QuerySet:
    """No case, in the shape the sweep's statement expects (it needs one piece at least; an
    empty queryset would compile to no SQL at all)."""
    return annotated(
        Case.objects.filter(pk__lt=0),
        kind="breach",
        due_at=Value(dt.datetime(2000, 1, 1, tzinfo=dt.UTC), DateTimeField()),
        day="",
        breach=Value(0),
    )


breach_board = ReminderRule("breach_board", "", _board_due, roles=(FACILITATOR,))
breach_family = ReminderRule("breach_family_not_told", "", _family_not_told, roles=(FACILITATOR,))


def breach_context(notifications: list) -> list[dict]:
    """The breach (and its Board deadline) each reminder is about, as the text shows it."""
    ids = {n.context.get("breach") for n in notifications}
    breaches = Breach.objects.in_bulk([i for i in ids if i])
    out = []
    for n in notifications:
        breach = breaches.get(n.context.get("breach"))
        out.append({"breach": breach, "deadline": breach.board_deadline() if breach else None})
    return out
