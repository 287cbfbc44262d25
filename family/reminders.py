"""The breach register's reminders: the Board's 72-hour clock and each family not yet told.

One rule for the sweep of ``cases.reminders`` (``register_rule`` in ``FamilyConfig.ready()``),
reading the register with set-based queries; each reminder's dedupe key (kind, case, breach,
recipient, day, channel) is stable, so a sweep run twice creates nothing twice. The outbox is
per case, so a breach's reminders ride on its affected cases: the Board's on the first one
recorded, the family's on each family's own.

The clock (``NPP_BREACH_BOARD_HOURS`` from discovery) is declared once, ``board_deadline``:
- ``breach_board_due``: at discovery, and again 24 hours and 6 hours before the deadline;
- ``breach_board_overdue``: from the deadline, once a day until the Board is told;
- ``breach_family_not_told``: at discovery, then once a day until that family is told.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Min

from cases import access
from cases.reminders import Reminder

from .models import Breach, BreachAffectedCase

BEFORE_DEADLINE = (dt.timedelta(hours=24), dt.timedelta(hours=6))
DAY = dt.timedelta(days=1)


def _facilitators() -> tuple:
    return tuple(access.facilitators_group().user_set.filter(is_active=True).order_by("pk"))


def _daily(start: dt.datetime, now: dt.datetime) -> dt.datetime:
    """The latest of start, start + 1 day, ... at or before ``now``."""
    return start + ((now - start) // DAY) * DAY


def breach_reminders(now: dt.datetime) -> list[Reminder]:
    recipients = None
    reminders: list[Reminder] = []
    open_breaches = Breach.objects.filter(board_notified_at__isnull=True, discovered_at__lte=now)
    first_case = dict(
        BreachAffectedCase.objects.filter(breach__in=open_breaches)
        .values("breach")
        .annotate(first=Min("pk"))
        .values_list("breach", "first")
    )
    carriers = {
        a.pk: a
        for a in BreachAffectedCase.objects.filter(pk__in=first_case.values()).select_related(
            "case__patient", "case__hospital", "case__doctor", "breach"
        )
    }
    for breach_id, affected_pk in first_case.items():
        affected = carriers[affected_pk]
        breach = affected.breach
        deadline = breach.board_deadline()
        if now >= deadline:
            kind, due, step = "breach_board_overdue", _daily(deadline, now), "late"
        else:
            passed = [deadline - b for b in BEFORE_DEADLINE if deadline - b <= now]
            kind, due = "breach_board_due", max(passed, default=breach.discovered_at)
            step = str(len(passed))  # each checkpoint its own key, even on one day
        recipients = recipients if recipients is not None else _facilitators()
        reminders.append(
            Reminder(
                affected.case,
                kind,
                due,
                recipients,
                {"breach": breach, "deadline": deadline, "code": f"b{breach_id}s{step}"},
            )
        )
    untold = BreachAffectedCase.objects.filter(
        family_told_at__isnull=True, breach__discovered_at__lte=now
    ).select_related("case__patient", "case__hospital", "case__doctor", "breach")
    for affected in untold:
        breach = affected.breach
        recipients = recipients if recipients is not None else _facilitators()
        reminders.append(
            Reminder(
                affected.case,
                "breach_family_not_told",
                _daily(breach.discovered_at, now),
                recipients,
                {"breach": breach, "code": f"b{breach.pk}"},
            )
        )
    return reminders
