"""The built-in reminder rules, each on a deadline of ``cases.deadlines``.

A rule names its kind, the deadline it tells about, who is told (the deadline's ``notify``
unless it says otherwise) and ``due(now)``: querysets of the cases whose reminder is due at
``now``, annotated as ``cases.reminders.outbox`` expects. Each is one SQL statement in the
sweep. For every rule a duplicate is worse than a late reminder (families and doctors stop
reading messages that repeat, and the next sweep, 15 minutes later, catches anything late), so
the dedupe key (kind, case, recipient, India day, channel) decides.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce

from django.conf import settings
from django.db.models import Case as CaseWhen
from django.db.models import (
    CharField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Concat, JSONObject, Least

from .. import clinical, deadlines
from ..clock import IST, ist_date
from ..deadlines.case_facts import StageExpected
from ..deadlines.sql import AddDays, IsoDate, Morning, india_day_text
from ..models import Case, LabResult
from ..states import CaseState

DAY = dt.timedelta(days=1)
# Reminders about a day go out at 09:00 India time.
MORNING = dt.time(9, 0)


def setting(name: str):
    """A reminder threshold; every default is in npp/settings.py (and .env.example)."""
    return getattr(settings, name)


@dataclass(frozen=True)
class ReminderRule:
    """``due(now)`` gives the due cases as annotated querysets; ``roles`` who hears."""

    name: str
    deadline: str  # the deadline code it tells about ("" for none)
    due: Callable[[dt.datetime], list[QuerySet]]
    roles: tuple[str, ...] = ()

    @property
    def __name__(self) -> str:
        return self.name

    def recipients(self) -> tuple[str, ...]:
        return self.roles or deadlines.get(self.deadline).notify


def text(value: str) -> Value:
    return Value(value, output_field=CharField())


def morning(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, MORNING, tzinfo=IST)


def annotated(cases: QuerySet, *, kind, due_at, day, extra="", **context) -> QuerySet:
    """``cases`` with what their notifications say (``cases.reminders.outbox``); the context
    always holds the state the case was in, which the email names."""
    return cases.annotate(
        n_kind=text(kind) if isinstance(kind, str) else kind,
        n_due_at=due_at,
        n_day=text(day) if isinstance(day, str) else day,
        n_extra=text(extra) if isinstance(extra, str) else extra,
        n_context=JSONObject(state=F("state"), **context),
    )


# --- The rules --------------------------------------------------------------------------------


def _stage_overdue(now: dt.datetime) -> list[QuerySet]:
    """A case longer in one state than its expected duration (hold time not counted), or
    still scheduled the day after its planned infusion: the assigned facilitator."""
    stage = deadlines.get("stage_expected")
    assert isinstance(stage, StageExpected)
    limit = CaseWhen(
        *[
            When(state=state, then=Value(days))
            for state, days in setting("NPP_STAGE_LIMIT_DAYS").items()
        ],
        output_field=IntegerField(),
    )
    due = Case.objects.filter(stage.due_by(now)).alias(due=stage.due_at_sql())
    return [
        annotated(
            due,
            kind=Concat(text("stage_overdue_"), F("state"), output_field=CharField()),
            due_at=F("due"),
            day=india_day_text("due"),
            limit=limit,
        )
    ]


def _permit_expiring(now: dt.datetime) -> list[QuerySet]:
    """The permit expires within N days and the kit has not left (``approved``): told on the
    morning N days before, or at once when the permit is already that short."""
    window = setting("NPP_REMINDER_PERMIT_EXPIRY_DAYS")
    horizon = ist_date(now) + window * DAY
    due = Case.objects.filter(state=CaseState.APPROVED, permit_valid_until__lte=horizon).alias(
        remind_on=AddDays("permit_valid_until", -window)
    )
    return [
        annotated(
            due,
            kind="permit_expiring",
            due_at=Least(Morning("remind_on"), Value(now, DateTimeField())),
            day=IsoDate("remind_on"),
            valid_until=F("permit_valid_until"),
        )
    ]


def _eta_passed(now: dt.datetime) -> list[QuerySet]:
    """Still in customs after the ETA."""
    due = Case.objects.filter(state=CaseState.CUSTOMS, eta__lte=now)
    return [annotated(due, kind="eta_passed", due_at=F("eta"), day=india_day_text("eta"))]


def _cold_chain(now: dt.datetime) -> list[QuerySet]:
    """Day N after receipt with no infusion recorded."""
    after = setting("NPP_REMINDER_COLD_CHAIN_DAY") * DAY
    due = (
        Case.objects.filter(received_at__lte=now - after, infused_at__isnull=True)
        .exclude(state__in=[CaseState.CANCELLED, CaseState.CLOSED])
        .alias(remind_at=F("received_at") + after)
    )
    return [
        annotated(due, kind="cold_chain", due_at=F("remind_at"), day=india_day_text("remind_at"))
    ]


def _day_range(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=IST)
    return start, start + DAY


def _prednisolone_tomorrow(now: dt.datetime) -> list[QuerySet]:
    """Prednisolone starts tomorrow, the day before the infusion: the doctor and the
    guardian's email."""
    today = ist_date(now)
    start, end = _day_range(today - clinical.STEROID_START_DAY * DAY + DAY)
    due = Case.objects.filter(
        state=CaseState.INFUSION_SCHEDULED,
        infusion_scheduled_at__gte=start,
        infusion_scheduled_at__lt=end,
    )
    return [
        annotated(
            due,
            kind="prednisolone_tomorrow",
            due_at=Value(morning(today), DateTimeField()),
            day=today.isoformat(),
        )
    ]


def _monitoring_tests(now: dt.datetime) -> list[QuerySet]:
    """Calendar tests due tomorrow or overdue by N days with no result, and the day-30 review
    the day before: the doctor.

    Events sit at fixed days after the infusion, so only cases infused on a few dates can have
    one due: for each test and kind of reminder, the cases infused that many weeks before
    the event's day, minus those with a result within the tolerance of that day. The review's
    sample is week 4's liver panel (same day), which already gets the due and overdue
    reminders, so the review has only its day-before reminder.
    """
    today = ist_date(now)
    tomorrow = today + DAY
    overdue_on = today - setting("NPP_REMINDER_LAB_OVERDUE_DAYS") * DAY
    base = Case.objects.filter(state=CaseState.MONITORING, infused_at__isnull=False)
    due_at = Value(morning(today), DateTimeField())

    def infused(event_day: dt.date, offset: int) -> Q:
        start, end = _day_range(event_day - offset * DAY)
        return Q(infused_at__gte=start, infused_at__lt=end)

    review = base.filter(infused(tomorrow, clinical.LIVER_REVIEW_DAY))
    pieces = [
        annotated(
            review,
            kind="liver_review_due",
            due_at=due_at,
            day=today.isoformat(),
            extra="liver_review_day30",
            code=text("liver_review_day30"),
        )
    ]
    tolerance = clinical.SLOT_TOLERANCE_DAYS * DAY
    for kind, event_day in (("lab_due_tomorrow", tomorrow), ("lab_overdue", overdue_on)):
        for test, weeks in clinical.MONITORING_WEEKS.items():
            slots = {f"{test}_week_{week}": infused(event_day, 7 * week) for week in weeks}
            code = CaseWhen(
                *[When(slot, then=text(c)) for c, slot in slots.items()], output_field=CharField()
            )
            done = LabResult.objects.filter(
                case=OuterRef("pk"),
                test=test,
                taken_on__gte=event_day - tolerance,
                taken_on__lte=event_day + tolerance,
            )
            due = base.filter(reduce(operator.or_, slots.values())).exclude(Exists(done))
            pieces.append(
                annotated(
                    due, kind=kind, due_at=due_at, day=today.isoformat(), extra=code, code=code
                )
            )
    return pieces


stage_overdue = ReminderRule("stage_overdue", "stage_expected", _stage_overdue)
permit_expiring = ReminderRule("permit_expiring", "permit_validity", _permit_expiring)
eta_passed = ReminderRule("eta_passed", "eta", _eta_passed)
cold_chain = ReminderRule("cold_chain", "cold_chain", _cold_chain)
prednisolone_tomorrow = ReminderRule(
    "prednisolone_tomorrow", "prednisolone_start", _prednisolone_tomorrow
)
monitoring_tests = ReminderRule("monitoring_tests", "monitoring_slot", _monitoring_tests)

BUILT_IN = [
    stage_overdue,
    permit_expiring,
    eta_passed,
    cold_chain,
    prednisolone_tomorrow,
    monitoring_tests,
]
