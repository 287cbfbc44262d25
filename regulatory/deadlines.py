"""The regulatory file's deadline, registered from ``RegulatoryConfig.ready()`` (importing this
module declares it): an open CDSCO query is answered by the day CDSCO gave (DOMAIN.md §9).
The case pages, the dashboard's next deadlines and the reminder sweep
(``regulatory.reminders``) all read it from here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.conf import settings
from django.db.models import CharField, F, Q, QuerySet
from django.db.models.functions import Cast

from cases.clock import ist_date
from cases.deadlines import FACILITATOR, Clock, Context, Deadline, deadline
from cases.states import CaseState

from .models import CdscoQuery

# A query is answered on SUGAM while the case waits for the permit (or is on hold there).
WAITING_FOR_PERMIT = Q(state=CaseState.REGULATORY_REVIEW) | Q(
    state=CaseState.ON_HOLD, hold_from_state=CaseState.REGULATORY_REVIEW
)


@deadline
class CdscoQueryAnswer(Deadline):
    """An open query CDSCO raised on the SUGAM application is answered by the day CDSCO gave;
    the permit is not recorded while one is open (rule ``cdsco_query_open``)."""

    code = "cdsco_query"
    label = "CDSCO query: answer due"
    measured_from = "the day CDSCO raised the query"
    length = "the due date CDSCO gave"
    notify = (FACILITATOR,)
    # The query may name the prescription or the diagnosis: not for hospital admins.
    clinical = True

    @property
    def ahead(self) -> dt.timedelta:
        return dt.timedelta(days=settings.NPP_REMINDER_CDSCO_QUERY_DAYS)

    def clocks(self, case, ctx: Context) -> Iterator[Clock]:
        stage = case.hold_from_state if case.state == CaseState.ON_HOLD else case.state
        if stage != CaseState.REGULATORY_REVIEW:
            return
        queries = CdscoQuery.objects.filter(file__case=case, answered_at__isnull=True)
        for query in queries.order_by("due_by", "pk"):
            yield self.clock(
                ctx,
                self.label,
                query.due_by,
                key=str(query.pk),
                detail=f"raised {ist_date(query.raised_at):%d %b %Y}",
            )

    def rows(self, cases: QuerySet, ctx: Context) -> list[QuerySet]:
        queries = CdscoQuery.objects.filter(
            file__case__in=cases.filter(WAITING_FOR_PERMIT), answered_at__isnull=True
        )
        return [
            self.row_values(
                queries,
                case="file__case_id",
                key=Cast("pk", CharField()),
                due_on=F("due_by"),
            )
        ]
