"""Deadlines every named-patient import has, whatever the product: each stage's expected
duration (paused by a hold), the Form 12B permit's validity and the kit's ETA (DOMAIN.md §2.1,
§3.3). Lengths are settings (npp/settings.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import BooleanField, Case, DateTimeField, F, Q, QuerySet, Value, When

from ..clock import ist_date
from ..states import CaseState
from . import FACILITATOR, HOSPITAL, Clock, Context, Deadline, deadline
from .sql import india_date

if TYPE_CHECKING:
    from .. import models

DAY = dt.timedelta(days=1)


def stage_limits() -> dict[str, int]:
    """Expected days per stage (``NPP_STAGE_LIMIT_DAYS``)."""
    return dict(settings.NPP_STAGE_LIMIT_DAYS)


def _label(state: str) -> str:
    return str(CaseState(state).label)


@deadline
class StageExpected(Deadline):
    """Each stage's expected duration, from when the case entered it; time on hold does not
    count. In ``infusion_scheduled`` the stage is overdue the day after the planned infusion."""

    code = "stage_expected"
    label = "Expected time in the stage"
    measured_from = "entering the stage (time on hold not counted)"
    length = "the stage's limit (NPP_STAGE_LIMIT_DAYS); infusion scheduled: the planned day + 1"
    pauses_on_hold = True
    notify = (FACILITATOR,)

    def due_at(self, case: models.Case) -> dt.datetime | None:
        """When the stage the case is in (or was held in) becomes overdue, hold not counted."""
        state = case.hold_from_state if case.state == CaseState.ON_HOLD else case.state
        if state in stage_limits():
            return case.stage_clock_from + stage_limits()[state] * DAY
        if state == CaseState.INFUSION_SCHEDULED and case.infusion_scheduled_at:
            return case.infusion_scheduled_at + DAY
        return None

    def row_label(self, key: str) -> str:
        limit = stage_limits().get(key)
        if limit:
            return f"{_label(key)}: expected within {limit} days"
        return f"{_label(key)}: overdue the day after the planned infusion"

    def clocks(self, case: models.Case, ctx: Context) -> Iterator[Clock]:
        due_at = self.due_at(case)
        if due_at is None or case.state not in (
            *stage_limits(),
            CaseState.INFUSION_SCHEDULED,
            CaseState.ON_HOLD,
        ):
            return
        paused = case.state == CaseState.ON_HOLD
        if paused:  # what is left when the hold began, counted from now
            due_at = ctx.at + (due_at - case.state_changed_at)
        stage = case.hold_from_state if paused else case.state
        yield self.clock(
            ctx, self.row_label(stage), ist_date(due_at), due_at=due_at, paused=paused, key=stage
        )

    # SQL: the same arithmetic, one CASE over the stages.
    def due_at_sql(self, state_field: str = "state"):
        whens = [
            When(**{state_field: state}, then=F("stage_clock_from") + days * DAY)
            for state, days in stage_limits().items()
        ]
        whens.append(
            When(
                **{state_field: CaseState.INFUSION_SCHEDULED}, then=F("infusion_scheduled_at") + DAY
            )
        )
        return Case(*whens, output_field=DateTimeField())

    def running(self) -> Q:
        return Q(state__in=list(stage_limits())) | Q(
            state=CaseState.INFUSION_SCHEDULED, infusion_scheduled_at__isnull=False
        )

    def due_by(self, when: dt.datetime) -> Q:
        """Running stages overdue at ``when``, in terms the (state, stage_clock_from) and
        (state, infusion_scheduled_at) indexes answer."""
        condition = Q(state=CaseState.INFUSION_SCHEDULED, infusion_scheduled_at__lte=when - DAY)
        for state, days in stage_limits().items():
            condition |= Q(state=state, stage_clock_from__lte=when - days * DAY)
        return condition

    def rows(self, cases: QuerySet, ctx: Context) -> list[QuerySet]:
        running = cases.filter(self.running()).alias(due=self.due_at_sql())
        held = cases.filter(
            Q(hold_from_state__in=list(stage_limits()))
            | Q(hold_from_state=CaseState.INFUSION_SCHEDULED, infusion_scheduled_at__isnull=False),
            state=CaseState.ON_HOLD,
        ).alias(
            due=Value(ctx.at, output_field=DateTimeField())
            + (self.due_at_sql("hold_from_state") - F("state_changed_at"))
        )
        return [
            self.row_values(running, key=F("state"), due_on=india_date("due"), due_at=F("due")),
            self.row_values(
                held,
                key=F("hold_from_state"),
                due_on=india_date("due"),
                due_at=F("due"),
                paused=Value(True, output_field=BooleanField()),
            ),
        ]


PERMIT_STATES = (CaseState.APPROVED, CaseState.CUSTOMS)


@deadline
class PermitValidity(Deadline):
    """The Form 12B permit is valid on the day the kit is dispatched and on the day customs
    clears it (DOMAIN.md §2.1, §1.10); the facilitator is warned 30 days before it expires."""

    code = "permit_validity"
    label = "Form 12B permit valid until"
    measured_from = "the permit's issue"
    length = "its validity date (valid through that day)"
    notify = (FACILITATOR,)

    @property
    def ahead(self) -> dt.timedelta:
        return settings.NPP_REMINDER_PERMIT_EXPIRY_DAYS * DAY

    def applies(self) -> Q:
        return (
            Q(state__in=PERMIT_STATES)
            | Q(state=CaseState.ON_HOLD, hold_from_state__in=PERMIT_STATES)
        ) & Q(permit_valid_until__isnull=False)

    def clocks(self, case: models.Case, ctx: Context) -> Iterator[Clock]:
        stage = case.hold_from_state if case.state == CaseState.ON_HOLD else case.state
        if stage not in PERMIT_STATES or not case.permit_valid_until:
            return
        detail = ""
        if case.eta and case.permit_valid_until < ist_date(case.eta):
            detail = f"expires before the kit's ETA ({ist_date(case.eta):%d %b %Y})"
        yield self.clock(ctx, self.label, case.permit_valid_until, detail=detail)

    def rows(self, cases: QuerySet, ctx: Context) -> list[QuerySet]:
        return [self.row_values(cases.filter(self.applies()), due_on=F("permit_valid_until"))]


@deadline
class KitEta(Deadline):
    """The kit's ETA while it is in customs: past it, the frozen kit waits on dry ice
    (DOMAIN.md §3.3); the facilitator and the hospital's admins are told."""

    code = "eta"
    label = "Kit due (ETA), still in customs"
    measured_from = "dispatch"
    length = "the ETA the supplier gave"
    notify = (FACILITATOR, HOSPITAL)

    def clocks(self, case: models.Case, ctx: Context) -> Iterator[Clock]:
        if case.state == CaseState.CUSTOMS and case.eta:
            yield self.clock(ctx, self.label, ist_date(case.eta), due_at=case.eta)

    def rows(self, cases: QuerySet, ctx: Context) -> list[QuerySet]:
        return [
            self.row_values(
                cases.filter(state=CaseState.CUSTOMS, eta__isnull=False),
                due_on=india_date("eta"),
                due_at=F("eta"),
            )
        ]
