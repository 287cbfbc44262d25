"""CDSCO's open queries as a deadline: the answer is due by the day CDSCO gave (DOMAIN.md §9).

``RegulatoryConfig.ready()`` adds ``cdsco_query_due`` to the reminder sweep of
``cases.reminders``: the assigned facilitator is told on the morning
``NPP_REMINDER_CDSCO_QUERY_DAYS`` days before an open query's due date (at once when it is
raised closer to it), and again the morning after the due date while it is still open. One
set-based query over the open queries (indexed on ``answered_at, due_by``); the sweep's
dedupe key (kind, case, recipient, day, and the query as ``code``) makes a second sweep
create nothing. ``due_queries`` is the same selection for the dashboard.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from cases.clock import ist_date
from cases.reminders import Reminder
from cases.states import CaseState

from .models import CdscoQuery

MORNING = dt.time(9, 0)
# A query is answered on SUGAM while the case waits for the permit (or is on hold there).
WAITING_FOR_PERMIT = Q(file__case__state=CaseState.REGULATORY_REVIEW) | Q(
    file__case__state=CaseState.ON_HOLD, file__case__hold_from_state=CaseState.REGULATORY_REVIEW
)


def _morning(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, MORNING))


def ahead_days() -> int:
    return int(settings.NPP_REMINDER_CDSCO_QUERY_DAYS)


def open_queries() -> QuerySet[CdscoQuery]:
    """Unanswered queries of cases still waiting for the permit, soonest due first."""
    return (
        CdscoQuery.objects.filter(WAITING_FOR_PERMIT, answered_at__isnull=True)
        .select_related("file__case__patient", "file__case__facilitator", "file__case__hospital")
        .order_by("due_by", "raised_at")
    )


def due_queries(now: dt.datetime) -> QuerySet[CdscoQuery]:
    """Open queries due within the warning window of ``now`` (or overdue)."""
    horizon = ist_date(now) + dt.timedelta(days=ahead_days())
    return open_queries().filter(due_by__lte=horizon)


def cdsco_query_due(now: dt.datetime) -> list[Reminder]:
    """An open CDSCO query due within N days, then overdue: the assigned facilitator."""
    reminders = []
    today = ist_date(now)
    for query in due_queries(now).filter(file__case__facilitator__isnull=False):
        case = query.file.case
        overdue = query.due_by < today
        if overdue:
            kind, due_at = "cdsco_query_overdue", _morning(query.due_by + dt.timedelta(days=1))
        else:
            kind = "cdsco_query_due"
            due_at = min(_morning(query.due_by - dt.timedelta(days=ahead_days())), now)
            due_at = max(due_at, query.raised_at)
        reminders.append(
            Reminder(
                case,
                kind,
                min(due_at, now),
                (case.facilitator,),
                {
                    "code": f"query-{query.pk}",
                    "due_by": query.due_by,
                    "raised_at": query.raised_at,
                    "query_text": query.text,
                },
            )
        )
    return reminders
