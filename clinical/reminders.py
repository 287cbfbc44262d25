"""The clinical app's reminder rules, added to the sweep from ``ClinicalConfig.ready()``; each
is one set-based query the sweep turns into an ``INSERT ... SELECT`` anti-joined on the
outbox's dedupe key, and its text is rendered at delivery (``cases.reminders.texts``).

- ``ae_forward_due`` (deadline ``ae_forward``): an adverse event not yet forwarded to the
  manufacturer, at its ``forward_remind_at`` (the warning before the clock runs out,
  ``NPP_AE_REMIND_*``, fixed when reported): the doctor and the case's facilitator. Once per
  event: the event is in the key, and the day is the reminder's own.
- ``steroid_decision_due``: the day-30 review's day has passed and no decision is recorded
  (a case cannot show the taper finished without it): the doctor, the morning after, once.
- ``taper_end_due``: the 28-day taper ends tomorrow: the doctor, once ("never stop abruptly").

The course's start and the review day are reminded by cases' own rules
(``prednisolone_tomorrow``, ``monitoring_tests``); a slot's tests by ``monitoring_tests``,
which reads the panel rows this app keeps in step, so no slot is reminded twice.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import Cast, Concat

from cases.clinical import TAPER_DAYS
from cases.clock import ist_date
from cases.deadlines import DOCTOR
from cases.deadlines.sql import AddDays, IsoDate, Morning, india_day_text
from cases.models import Case, Notification
from cases.reminders import ReminderRule, annotated, register_rule, texts
from cases.states import CaseState

from .models import AdverseEvent, SteroidCourse

# A sweep looks back this far, so a missed sweep (broker down for days) is made up.
LOOKBACK = dt.timedelta(days=7)


def _ae_forward_due(now: dt.datetime) -> list[QuerySet]:
    due = Case.objects.filter(
        adverse_events__forward_remind_at__lte=now,
        adverse_events__forward_remind_at__gt=now - LOOKBACK,
        adverse_events__forwards__isnull=True,
    )
    return [
        annotated(
            due,
            kind="ae_forward_due",
            due_at=F("adverse_events__forward_remind_at"),
            day=india_day_text("adverse_events__forward_remind_at"),
            extra=Concat(
                Value("ae"), Cast("adverse_events__pk", CharField()), output_field=CharField()
            ),
            ae=F("adverse_events__pk"),
        )
    ]


def _steroid_steps_due(now: dt.datetime) -> list[QuerySet]:
    today = ist_date(now)
    monitoring = Case.objects.filter(state=CaseState.MONITORING)
    undecided = monitoring.filter(
        steroid_course__decision="",
        steroid_course__review_on__lt=today,
        steroid_course__review_on__gte=today - LOOKBACK,
    ).alias(remind_on=AddDays("steroid_course__review_on", 1))
    # The taper's last day is its start + 27 days; told the day before, and on that day.
    before_end = TAPER_DAYS - 2
    ending = monitoring.filter(
        steroid_course__taper_ended_on__isnull=True,
        steroid_course__taper_started_on__lte=today - dt.timedelta(days=before_end),
        steroid_course__taper_started_on__gte=today - dt.timedelta(days=before_end + 1),
    ).alias(remind_on=AddDays("steroid_course__taper_started_on", before_end))
    return [
        annotated(
            undecided,
            kind="steroid_decision_due",
            due_at=Morning("remind_on"),
            day=IsoDate("remind_on"),
            extra="steroid_decision",
        ),
        annotated(
            ending,
            kind="taper_end_due",
            due_at=Morning("remind_on"),
            day=IsoDate("remind_on"),
            extra="taper_end",
        ),
    ]


ae_forward_due = ReminderRule("ae_forward_due", "ae_forward", _ae_forward_due)
steroid_steps_due = ReminderRule("steroid_steps_due", "", _steroid_steps_due, roles=(DOCTOR,))


def _events(notifications: list[Notification]) -> list[dict]:
    found = AdverseEvent.objects.in_bulk([n.context.get("ae") for n in notifications])
    return [{"event": found.get(n.context.get("ae"))} for n in notifications]


def _courses(notifications: list[Notification]) -> list[dict]:
    found = {
        c.case_id: c
        for c in SteroidCourse.objects.filter(case_id__in=[n.case_id for n in notifications])
    }
    return [{"course": found.get(n.case_id)} for n in notifications]


def register() -> None:
    from . import deadlines  # noqa: F401  (the ae_forward deadline registers itself)

    register_rule(ae_forward_due)
    register_rule(steroid_steps_due)
    texts.register_context("ae_forward_due", _events)
    for kind in ("steroid_decision_due", "taper_end_due"):
        texts.register_context(kind, _courses)
