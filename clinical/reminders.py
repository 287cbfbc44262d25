"""The clinical app's reminder rules, added to the sweep from ``ClinicalConfig.ready()``.

- ``ae_forward_due``: an adverse event not yet forwarded to the manufacturer, some time
  before its clock runs out (``NPP_AE_REMIND_*``): the case's facilitator (or every
  facilitator) and the treating doctor. Once per event: the reminder's instant is fixed by
  the event (``forward_due_at`` minus the warning), so the dedupe key never changes.
- ``steroid_decision_due``: the day-30 review's day has passed and no decision is recorded
  (a case cannot show the taper finished without it): the doctor, once, the morning after.
- ``taper_end_due``: the 28-day taper ends tomorrow: the doctor, once ("never stop abruptly").

The course's start and the review day itself are reminded by cases' own rules
(``prednisolone_tomorrow``, ``liver_review_due``); a slot's tests by ``monitoring_tests``,
which reads the panel rows this app keeps in step, so no slot is reminded twice.

Each rule is one query over the rows due in a window ending at ``now``; the sweep's dedupe
key makes a second sweep create nothing.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from cases import access
from cases.reminders import Reminder, register_rule
from cases.states import CaseState

from .models import AdverseEvent, AdverseEventForward, SteroidCourse

MORNING = dt.time(9, 0)
# A sweep looks back this far, so a missed sweep (broker down a day) is made up.
LOOKBACK = dt.timedelta(days=7)


def _ahead(serious: bool) -> dt.timedelta:
    if serious:
        return dt.timedelta(hours=settings.NPP_AE_REMIND_SERIOUS_HOURS_BEFORE)
    return dt.timedelta(days=settings.NPP_AE_REMIND_NON_SERIOUS_DAYS_BEFORE)


def _team(case) -> tuple:
    people = [case.doctor.user]
    people += [case.facilitator] if case.facilitator_id else list(access.assignable_facilitators())
    return tuple(u for u in people if u.is_active)


def ae_forward_due(now: dt.datetime) -> list[Reminder]:
    unsent = (
        AdverseEvent.objects.filter(
            forward_due_at__gt=now - LOOKBACK,
            forward_due_at__lte=now + max(_ahead(True), _ahead(False)),
        )
        .exclude(Exists(AdverseEventForward.objects.filter(adverse_event=OuterRef("pk"))))
        .select_related(
            "case__patient", "case__doctor__user", "case__facilitator", "case__hospital"
        )
    )
    reminders = []
    for event in unsent:
        remind_at = event.forward_due_at - _ahead(event.serious)
        if remind_at > now:
            continue
        reminders.append(
            Reminder(
                event.case,
                "ae_forward_due",
                remind_at,
                _team(event.case),
                {"event": event, "code": f"ae{event.pk}"},
            )
        )
    return reminders


def _morning(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, MORNING))


def steroid_steps_due(now: dt.datetime) -> list[Reminder]:
    today = timezone.localdate(now)
    courses = SteroidCourse.objects.filter(case__state=CaseState.MONITORING).select_related(
        "case__patient", "case__doctor__user", "case__hospital"
    )
    undecided = courses.filter(decision="", review_on__lt=today, review_on__gte=today - LOOKBACK)
    ending = courses.filter(taper_ended_on__isnull=True, taper_started_on__isnull=False)
    reminders = [
        Reminder(
            c.case,
            "steroid_decision_due",
            _morning((c.review_on or today) + dt.timedelta(days=1)),
            (c.case.doctor.user,),
            {"course": c, "code": "steroid_decision"},
        )
        for c in undecided
    ]
    for c in ending:
        end = c.taper_due_end
        if end is not None and end - dt.timedelta(days=1) <= today <= end:
            reminders.append(
                Reminder(
                    c.case,
                    "taper_end_due",
                    _morning(end - dt.timedelta(days=1)),
                    (c.case.doctor.user,),
                    {"course": c, "code": "taper_end"},
                )
            )
    return reminders


def register() -> None:
    register_rule(ae_forward_due)
    register_rule(steroid_steps_due)
