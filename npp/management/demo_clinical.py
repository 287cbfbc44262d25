"""The demo's records after the infusion (issue 15): the prednisolone course of every infused
case, the slots' values entered through the grid's service, and on the case in monitoring one
safety signal (a week-1 ALT above 2 x ULN) and one adverse event. ``seed_demo`` calls these
while it replays each case's history, at the times they would have happened."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cases.models import Case
from clinical.schedule import slots
from clinical.services import (
    adverse_event_report,
    lab_values_record,
    steroid_course_start,
    steroid_review_decide,
    steroid_taper_end,
    steroid_taper_start,
)

LAB = "Metropolis Healthcare"
PANELS = {
    "liver": [
        {"test": "alt", "value": "46", "unit": "U/L", "uln": "40"},
        {"test": "ast", "value": "52", "unit": "U/L", "uln": "40"},
        {"test": "total_bilirubin", "value": "0.5", "unit": "mg/dL", "uln": "1.2"},
        {"test": "pt", "value": "12.4", "unit": "s"},
        {"test": "inr", "value": "1.0", "unit": "ratio"},
    ],
    "platelets": [{"test": "platelets", "value": "265", "unit": "x10^3/µL"}],
    "troponin": [{"test": "troponin_i", "value": "0.012", "unit": "ng/mL"}],
}
# The case in monitoring: week 1's ALT is above 2 x the lab's ULN (a signal left open).
HIGH_ALT = {"test": "alt", "value": "132", "unit": "U/L", "uln": "40"}


def course_started(case: Case) -> None:
    """Day -1 at 1 mg/kg/day, recorded by the treating doctor when the infusion is."""
    steroid_course_start(case=case, by=case.doctor.user)


def slot_values(case: Case, cutoff: dt.date, *, signal: bool = False) -> None:
    """Every slot up to ``cutoff``, sampled on its day; ``signal``: a high week-1 ALT."""
    for slot in slots(timezone.localdate(case.infused_at)):
        if slot.day > cutoff:
            continue
        values = [dict(v) for panel in slot.panels for v in PANELS[panel]]
        if signal and slot.week == 1:
            values = [HIGH_ALT if v["test"] == "alt" else v for v in values]
        lab_values_record(
            case=case,
            by=case.doctor.user,
            slot=slot.code,
            sampled_on=slot.day,
            lab=LAB,
            values=values,
            tma_signs=[] if slot.week <= 2 else None,
        )


def taper_finished(case: Case) -> None:
    """The day-30 review found the liver unremarkable: taper from day 29 to day 56."""
    infused = timezone.localdate(case.infused_at)
    course = steroid_review_decide(
        course=case.steroid_course, by=case.doctor.user, decision="taper"
    )
    course = steroid_taper_start(
        course=course, by=case.doctor.user, on=infused + dt.timedelta(days=29)
    )
    steroid_taper_end(course=course, by=case.doctor.user, on=infused + dt.timedelta(days=56))


def adverse_event(case: Case) -> None:
    """A non-serious event the doctor reported yesterday; not yet forwarded."""
    aware = timezone.now() - dt.timedelta(days=1)
    adverse_event_report(
        case=case,
        by=case.doctor.user,
        aware_at=aware,
        onset_on=timezone.localdate(aware) - dt.timedelta(days=1),
        description="Vomiting twice after feeds, no dehydration; settled with small frequent feeds.",
        aesi="vomiting",
        outcome="recovered",
        stopped_on=timezone.localdate(aware),
    )
