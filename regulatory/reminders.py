"""The reminder on the ``cdsco_query`` deadline (``regulatory.deadlines``), added to the sweep
of ``cases.reminders`` from ``RegulatoryConfig.ready()``, with its text's context.

The case's facilitator is told on the morning ``NPP_REMINDER_CDSCO_QUERY_DAYS`` days before an
open query is due (at once when it is raised closer to it: ``cdsco_query_due``), and again
the morning after the due date while it is still open (``cdsco_query_overdue``). One SQL
statement per piece, one row per open query (the query's id tells apart two queries of one
case in the dedupe key), as the sweep expects.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import CharField, DateTimeField, F, QuerySet, Value
from django.db.models.functions import Cast, Greatest, Least

from cases.clock import ist_date
from cases.deadlines.sql import AddDays, IsoDate, Morning
from cases.models import Case
from cases.reminders import ReminderRule, annotated, setting

from .deadlines import WAITING_FOR_PERMIT
from .models import CdscoQuery

QUERIES = "regulatory_file__cdsco_queries"


def _open_queries(now: dt.datetime) -> QuerySet:
    """Cases waiting for the permit, one row per open query due within the window."""
    horizon = ist_date(now) + dt.timedelta(days=setting("NPP_REMINDER_CDSCO_QUERY_DAYS"))
    return (
        Case.objects.filter(WAITING_FOR_PERMIT)
        .filter(**{f"{QUERIES}__answered_at__isnull": True, f"{QUERIES}__due_by__lte": horizon})
        .alias(
            q_pk=F(f"{QUERIES}__pk"),
            q_due=F(f"{QUERIES}__due_by"),
            q_raised=F(f"{QUERIES}__raised_at"),
        )
    )


def _due(now: dt.datetime) -> list[QuerySet]:
    today = ist_date(now)
    ahead = setting("NPP_REMINDER_CDSCO_QUERY_DAYS")
    at_now = Value(now, output_field=DateTimeField())
    rows = _open_queries(now)
    soon = rows.filter(q_due__gte=today).alias(remind_on=AddDays("q_due", -ahead))
    overdue = rows.filter(q_due__lt=today).alias(remind_on=AddDays("q_due", 1))
    return [
        annotated(
            soon,
            kind="cdsco_query_due",
            due_at=Greatest(Least(Morning("remind_on"), at_now), F("q_raised")),
            day=IsoDate("remind_on"),
            extra=Cast("q_pk", CharField()),
            query=F("q_pk"),
        ),
        annotated(
            overdue,
            kind="cdsco_query_overdue",
            due_at=Least(Morning("remind_on"), at_now),
            day=IsoDate("remind_on"),
            extra=Cast("q_pk", CharField()),
            query=F("q_pk"),
        ),
    ]


cdsco_query_due = ReminderRule("cdsco_query_due", "cdsco_query", _due)


def query_context(notifications: list) -> list[dict]:
    """What the email says of each reminder's query, as it is when the email goes out."""
    ids = {n.context.get("query") for n in notifications}
    queries = CdscoQuery.objects.in_bulk([i for i in ids if i is not None])
    contexts = []
    for notification in notifications:
        query = queries.get(notification.context.get("query"))
        contexts.append(
            {"due_by": query.due_by, "raised_at": query.raised_at, "query_text": query.text}
            if query is not None
            else {}
        )
    return contexts
