"""The clinical app's clock in ``cases.deadlines`` (registered on import, from
``ClinicalConfig.ready()``): forwarding an adverse event to the manufacturer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import CharField, Exists, F, OuterRef, QuerySet, Value
from django.db.models.functions import Cast, Concat

from cases.clock import ist_date
from cases.deadlines import DOCTOR, FACILITATOR, Clock, Context, Deadline, deadline
from cases.deadlines.sql import india_date
from cases.models import Case

from .models import AdverseEvent, AdverseEventForward


def _unsent() -> Exists:
    return Exists(AdverseEventForward.objects.filter(adverse_event=OuterRef("pk")))


@deadline
class AdverseEventForwarding(Deadline):
    """A reported adverse event reaches the manufacturer within 24 hours of awareness if
    serious, within 15 days otherwise (DOMAIN.md §5.1 [default, unconfirmed]: settings); met
    once its forwarding is recorded."""

    code = "ae_forward"
    label = "Forward the adverse event to the manufacturer"
    measured_from = "when the reporter became aware of the event"
    length = "24 hours if serious, 15 days otherwise (NPP_AE_FORWARD_*)"
    notify = (DOCTOR, FACILITATOR)
    clinical = True

    @property
    def ahead(self) -> dt.timedelta:
        """Shown as "soon" from when a serious event's reminder goes out (the setting the
        reminder reads, NPP_AE_REMIND_SERIOUS_HOURS_BEFORE)."""
        from .services.adverse_events import remind_ahead

        return remind_ahead(serious=True)

    def clocks(self, case: Case, ctx: Context) -> Iterator[Clock]:
        if case.infused_at is None:  # adverse events are reported after the infusion
            return
        events = ctx.memo(
            f"ae:{case.pk}",
            lambda: list(AdverseEvent.objects.filter(case=case).annotate(sent=_unsent())),
        )
        for event in events:
            yield self.clock(
                ctx,
                self.label,
                ist_date(event.forward_due_at),
                due_at=event.forward_due_at,
                key=f"ae{event.pk}",
                met=event.sent,
            )

    def rows(self, cases: QuerySet[Case], ctx: Context) -> list[QuerySet]:
        events = AdverseEvent.objects.filter(case__in=cases).exclude(_unsent())
        return [
            self.row_values(
                events,
                case="case_id",
                key=Concat(Value("ae"), Cast("pk", CharField()), output_field=CharField()),
                due_on=india_date(F("forward_due_at")),
                due_at=F("forward_due_at"),
            )
        ]
