"""Zolgensma's clocks (DOMAIN.md §1.5, §1.7, §1.8, §2.3, §4): the 2nd birthday, the 14 x 24
hours from receipt, the 8 hours of a drawn syringe, the weight's freshness for the kit order,
prednisolone from the day before the infusion, the day-30 liver review and the taper, each
monitoring test of the first three months, and the monitoring period. The label's numbers live
in ``cases.clinical``; no hold stops any of these (the child keeps growing and the kit keeps
thawing)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import CharField, Exists, F, OuterRef, QuerySet, Subquery, Value

from .. import clinical
from ..clock import IST, ist_date
from ..states import CaseState
from . import DOCTOR, FACILITATOR, GUARDIAN, HOSPITAL, Clock, Context, Deadline, deadline
from .sql import AddDays, SecondBirthday, india_date

if TYPE_CHECKING:
    from .. import models

PRODUCT = "Zolgensma"
DAY = dt.timedelta(days=1)
ENDED = (CaseState.CLOSED, CaseState.CANCELLED)


def _open_not_infused(cases: QuerySet) -> QuerySet:
    return cases.exclude(state__in=ENDED).filter(infused_at__isnull=True)


@deadline
class SecondBirthdayDeadline(Deadline):
    """The child must be infused before the 2nd birthday (India date; born on 29 February:
    28 February), the hard deadline of the whole case (DOMAIN.md §1.10, §2.3). Shown on every
    case row and page while the child is not yet infused, in red under 60 days."""

    code = "second_birthday"
    label = "2nd birthday: infuse before it"
    measured_from = "the date of birth"
    length = "2 years"
    notify = (FACILITATOR,)
    product = PRODUCT

    @property
    def ahead(self) -> dt.timedelta:
        return settings.NPP_SECOND_BIRTHDAY_WARNING_DAYS * DAY

    def clocks(self, case: models.Case, ctx: Context) -> Iterator[Clock]:
        if case.patient_id and case.state not in ENDED and not case.infused_at:
            yield self.clock(ctx, self.label, clinical.second_birthday(case.patient.date_of_birth))

    def rows(self, cases: QuerySet, ctx: Context) -> list[QuerySet]:
        found = _open_not_infused(cases)
        if ctx.due_by is not None:  # only children turning 2 by then (a day's margin: 29 Feb)
            found = found.filter(
                patient__date_of_birth__lte=clinical.add_years(ctx.due_by, -2) + DAY
            )
        return [self.row_values(found, due_on=SecondBirthday(F("patient__date_of_birth")))]


@deadline
class ColdChain(Deadline):
    """The kit is infused within 14 x 24 hours of the recorded receipt (the thawed product
    keeps 14 days at 2-8 °C; DOMAIN.md §1.5, §1.10). Everyone is told on day 10."""

    code = "cold_chain"
    label = "Kit's 14-day window ends"
    measured_from = "the recorded receipt at the hospital"
    length = "14 x 24 hours (NPP_COLD_CHAIN_DAYS)"
    notify = (FACILITATOR, DOCTOR, HOSPITAL)
    product = PRODUCT

    @property
    def ahead(self) -> dt.timedelta:
        return (settings.NPP_COLD_CHAIN_DAYS - settings.NPP_REMINDER_COLD_CHAIN_DAY) * DAY

    @property
    def window(self) -> dt.timedelta:
        return settings.NPP_COLD_CHAIN_DAYS * DAY

    def clocks(self, case: models.Case, ctx: Context) -> Iterator[Clock]:
        if case.received_at and not case.infused_at and case.state not in ENDED:
            ends = case.received_at + self.window
            yield self.clock(ctx, self.label, ist_date(ends), due_at=ends)

    def rows(self, cases: QuerySet, ctx: Context) -> list[QuerySet]:
        running = (
            _open_not_infused(cases)
            .filter(received_at__isnull=False)
            .alias(ends=F("received_at") + self.window)
        )
        return [self.row_values(running, due_on=india_date("ends"), due_at=F("ends"))]


@deadline
class SyringeWindow(Deadline):
    """A drawn syringe is infused within 8 hours of drawing it up (DOMAIN.md §1.5): the clock
    runs from the recorded drawing time and is met by an infusion within it."""

    code = "syringe_window"
    label = "Drawn syringe infused within 8 hours"
    measured_from = "drawing the dose up into the syringes"
    length = "8 hours (NPP_SYRINGE_HOURS)"
    notify = (DOCTOR,)
    product = PRODUCT
    clinical = True

    @property
    def window(self) -> dt.timedelta:
        return dt.timedelta(hours=settings.NPP_SYRINGE_HOURS)

    def clocks(self, case: models.Case, ctx: Context) -> Iterator[Clock]:
        if case.syringe_drawn_at and case.state not in ENDED:
            ends = case.syringe_drawn_at + self.window
            met = bool(case.infused_at and case.syringe_drawn_at <= case.infused_at <= ends)
            yield self.clock(ctx, self.label, ist_date(ends), due_at=ends, met=met)

    def rows(self, cases: QuerySet, ctx: Context) -> list[QuerySet]:
        drawn = (
            cases.exclude(state__in=ENDED)
            .filter(syringe_drawn_at__isnull=False)
            .alias(ends=F("syringe_drawn_at") + self.window)
        )
        unmet = drawn.exclude(infused_at__gte=F("syringe_drawn_at"), infused_at__lte=F("ends"))
        return [self.row_values(unmet, due_on=india_date("ends"), due_at=F("ends"))]


@deadline
class WeightForOrder(Deadline):
    """The kit is ordered (dispatch) on a weight measured within 14 days (DOMAIN.md §1.3, §4
    item 8): the latest weight's freshness while the case is approved."""

    code = "weight_fresh"
    label = "Latest weight fresh enough to order the kit"
    measured_from = "the latest weight's date"
    length = "14 days (NPP_WEIGHT_MAX_AGE_DAYS)"
    notify = (FACILITATOR,)
    product = PRODUCT
    clinical = True
    ahead = 3 * DAY

    def clocks(self, case: models.Case, ctx: Context) -> Iterator[Clock]:
        if case.state != CaseState.APPROVED:
            return
        from ..selectors import latest_weight

        weight = latest_weight(case.patient)
        if weight is not None:
            due = weight.measured_on + settings.NPP_WEIGHT_MAX_AGE_DAYS * DAY
            yield self.clock(
                ctx,
                self.label,
                due,
                detail=f"{weight.weight_kg} kg on {weight.measured_on:%d %b %Y}",
            )

    def rows(self, cases: QuerySet, ctx: Context) -> list[QuerySet]:
        from ..models import WeightMeasurement

        latest = (
            WeightMeasurement.objects.filter(patient=OuterRef("patient"))
            .order_by("-measured_on", "-id")
            .values("measured_on")[:1]
        )
        approved = (
            cases.filter(state=CaseState.APPROVED)
            .alias(weighed=Subquery(latest))
            .filter(weighed__isnull=False)
        )
        return [
            self.row_values(approved, due_on=AddDays("weighed", settings.NPP_WEIGHT_MAX_AGE_DAYS))
        ]


@deadline
class PrednisoloneStart(Deadline):
    """Prednisolone 1 mg/kg/day starts the day before the infusion (DOMAIN.md §1.7): the
    doctor and the guardian are told the day before that."""

    code = "prednisolone_start"
    label = "Prednisolone starts (the day before the infusion)"
    measured_from = "the planned infusion date"
    length = "1 day before it"
    notify = (DOCTOR, GUARDIAN)
    product = PRODUCT
    clinical = True
    ahead = DAY

    def clocks(self, case: models.Case, ctx: Context) -> Iterator[Clock]:
        if case.state == CaseState.INFUSION_SCHEDULED and case.infusion_scheduled_at:
            start = ist_date(case.infusion_scheduled_at) + clinical.STEROID_START_DAY * DAY
            yield self.clock(ctx, self.label, start)

    def rows(self, cases: QuerySet, ctx: Context) -> list[QuerySet]:
        planned = cases.filter(
            state=CaseState.INFUSION_SCHEDULED, infusion_scheduled_at__isnull=False
        )
        return [
            self.row_values(
                planned,
                due_on=AddDays(india_date("infusion_scheduled_at"), clinical.STEROID_START_DAY),
            )
        ]


# --- After the infusion: the treatment calendar, judged when read ------------------------------


def _lab_results(case: models.Case, ctx: Context) -> list:
    return ctx.memo(f"lab_results:{case.pk}", lambda: list(case.lab_results.all()))


def _done(results: list, test: str, day: dt.date) -> bool:
    """A planned test counts as done with a result sampled within 3 days of its date."""
    return any(
        r.test == test and abs((r.taken_on - day).days) <= clinical.SLOT_TOLERANCE_DAYS
        for r in results
    )


def _infusion_day(case: models.Case) -> dt.date | None:
    if case.state == CaseState.MONITORING and case.infused_at:
        return ist_date(case.infused_at)
    return None


def _done_sql(test: str, offset_days: int) -> Exists:
    """A result of ``test`` within the tolerance of the infusion day + ``offset_days``."""
    from ..models import LabResult

    tolerance = clinical.SLOT_TOLERANCE_DAYS
    infused_on = OuterRef("infused_on")  # aliased by ``_monitoring``
    return Exists(
        LabResult.objects.filter(
            case=OuterRef("pk"),
            test=test,
            taken_on__gte=AddDays(infused_on, offset_days - tolerance),
            taken_on__lte=AddDays(infused_on, offset_days + tolerance),
        )
    )


def _monitoring(cases: QuerySet, ctx: Context | None = None, offset_days: int = 0) -> QuerySet:
    """Monitoring cases, with their infusion's India date; with ``ctx.due_by``, only those
    whose event ``offset_days`` after the infusion falls by then (off the (state, infused_at)
    index)."""
    found = cases.filter(state=CaseState.MONITORING, infused_at__isnull=False)
    if ctx is not None and ctx.due_by is not None:
        last = ctx.due_by - offset_days * DAY + DAY
        found = found.filter(infused_at__lt=dt.datetime.combine(last, dt.time.min, tzinfo=IST))
    return found.alias(infused_on=india_date("infused_at"))


SLOTS = [(test, week) for test, weeks in clinical.MONITORING_WEEKS.items() for week in weeks]


def slot_title(code: str) -> str:
    """A monitoring slot's title as the calendar gives it (``liver_week_6`` -> "Liver
    function tests (...), week 6")."""
    return next(
        event.title
        for event in clinical.treatment_calendar(dt.date(2000, 1, 1))
        if event.code == code
    )


@deadline
class MonitoringSlot(Deadline):
    """Each planned test of the first three months: liver and platelets weekly in month 1 then
    every other week, troponin-I weekly then monthly (DOMAIN.md §1.8). Met by a result within
    3 days of its date; the doctor is told the day before, and again 2 days after it if no
    result came."""

    code = "monitoring_slot"
    label = "Monitoring test"
    measured_from = "the infusion date"
    length = "week 1, 2, 3, 4, then every other week (troponin-I monthly) to week 12"
    notify = (DOCTOR,)
    product = PRODUCT
    clinical = True
    ahead = DAY

    def row_label(self, key: str) -> str:
        return slot_title(key)

    def clocks(self, case: models.Case, ctx: Context) -> Iterator[Clock]:
        infused_on = _infusion_day(case)
        if infused_on is None:
            return
        results = _lab_results(case, ctx)
        for test, week in SLOTS:
            day = infused_on + 7 * week * DAY
            code = f"{test}_week_{week}"
            yield self.clock(ctx, slot_title(code), day, key=code, met=_done(results, test, day))

    def rows(self, cases: QuerySet, ctx: Context) -> list[QuerySet]:
        return [
            self.row_values(
                _monitoring(cases, ctx, 7 * week).filter(~_done_sql(test, 7 * week)),
                key=Value(f"{test}_week_{week}", output_field=CharField()),
                due_on=AddDays("infused_on", 7 * week),
            )
            for test, week in SLOTS
        ]


@deadline
class LiverReview(Deadline):
    """The day-30 liver review on the course's last day (day 28), which decides the taper
    (DOMAIN.md §1.7). Met by a liver result within 3 days; the doctor is told the day before."""

    code = "liver_review"
    label = "Day-30 liver review and taper decision"
    measured_from = "the infusion date"
    length = "day 28 (the 30-day course's last day)"
    notify = (DOCTOR,)
    product = PRODUCT
    clinical = True
    ahead = DAY

    def clocks(self, case: models.Case, ctx: Context) -> Iterator[Clock]:
        infused_on = _infusion_day(case)
        if infused_on is not None:
            day = infused_on + clinical.LIVER_REVIEW_DAY * DAY
            yield self.clock(ctx, self.label, day, met=_done(_lab_results(case, ctx), "liver", day))

    def rows(self, cases: QuerySet, ctx: Context) -> list[QuerySet]:
        day = clinical.LIVER_REVIEW_DAY
        return [
            self.row_values(
                _monitoring(cases, ctx, day).filter(~_done_sql("liver", day)),
                due_on=AddDays("infused_on", day),
            )
        ]


@deadline
class TaperEnd(Deadline):
    """The prednisolone taper ends 28 days after the review at the earliest (day 56), never
    abruptly (DOMAIN.md §1.7); met when its end is recorded."""

    code = "taper_end"
    label = "Prednisolone taper ends (at the earliest)"
    measured_from = "the infusion date"
    length = "day 56 at the earliest (30-day course, 28-day taper)"
    notify = (DOCTOR,)
    product = PRODUCT
    clinical = True

    def clocks(self, case: models.Case, ctx: Context) -> Iterator[Clock]:
        infused_on = _infusion_day(case)
        if infused_on is not None:
            yield self.clock(
                ctx,
                self.label,
                infused_on + clinical.EARLIEST_TAPER_END_DAY * DAY,
                met=case.steroid_taper_ended_on is not None,
            )

    def rows(self, cases: QuerySet, ctx: Context) -> list[QuerySet]:
        end = clinical.EARLIEST_TAPER_END_DAY
        return [
            self.row_values(
                _monitoring(cases, ctx, end).filter(steroid_taper_ended_on__isnull=True),
                due_on=AddDays("infused_on", clinical.EARLIEST_TAPER_END_DAY),
            )
        ]


@deadline
class MonitoringPeriod(Deadline):
    """Monitoring runs at least 90 days after the infusion before the case may close
    (DOMAIN.md §1.8, §1.10)."""

    code = "monitoring_period"
    label = "Monitoring period complete; the case may close"
    measured_from = "the infusion"
    length = "90 days (NPP_MONITORING_DAYS)"
    notify = (FACILITATOR,)
    product = PRODUCT

    @property
    def period(self) -> dt.timedelta:
        return settings.NPP_MONITORING_DAYS * DAY

    def clocks(self, case: models.Case, ctx: Context) -> Iterator[Clock]:
        if case.state == CaseState.MONITORING and case.infused_at:
            ends = case.infused_at + self.period
            yield self.clock(ctx, self.label, ist_date(ends), due_at=ends)

    def rows(self, cases: QuerySet, ctx: Context) -> list[QuerySet]:
        running = _monitoring(cases).alias(ends=F("infused_at") + self.period)
        return [self.row_values(running, due_on=india_date("ends"), due_at=F("ends"))]
