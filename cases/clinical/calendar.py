"""The treatment calendar after the infusion: steroids, reviews, monitoring slots (DOMAIN.md
§1.7-1.8), and what an unremarkable liver result is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.db import models

from .criteria import _LAB_NAMES, LIVER_ULN_MULTIPLE, _day, uln_limits
from .dose import to_decimal

# --- Treatment calendar -------------------------------------------------------------------

# DOMAIN.md §1.7 [label]: prednisolone 1 mg/kg/day from day -1 (infusion is day 0), 30 days in
# total, so day -1 to day 28. The "day-30" liver review is on the course's 30th and last day,
# day 28, so its results decide what happens on day 29: taper over the next 28 days (day 29 to
# day 56) if unremarkable, or continue 1 mg/kg/day (the doctor records that; never stop).
STEROID_START_DAY = -1
STEROID_COURSE_DAYS = 30
LIVER_REVIEW_DAY = STEROID_START_DAY + STEROID_COURSE_DAYS - 1  # 28
TAPER_DAYS = 28

# DOMAIN.md §1.8 [label; HCP site]: test weeks after infusion (week n = day 7n).
# Liver and platelets: weekly in month 1, then every other week to the end of month 3.
# Troponin-I: weekly in month 1, then monthly in months 2-3 (2019 label). Open question
# (DOMAIN.md §8 question 11): the 2025 label or HCP site may differ for months 2-3.
MONITORING_WEEKS: Mapping[str, tuple[int, ...]] = MappingProxyType(
    {
        "liver": (1, 2, 3, 4, 6, 8, 10, 12),
        "platelets": (1, 2, 3, 4, 6, 8, 10, 12),
        "troponin": (1, 2, 3, 4, 8, 12),
    }
)
# A planned test counts as done with a result sampled within this many days of its date.
SLOT_TOLERANCE_DAYS = 3
# DOMAIN.md §1.7: the taper starts the day after the day-30 review and lasts 28 days.
EARLIEST_TAPER_END_DAY = LIVER_REVIEW_DAY + TAPER_DAYS  # day 56
_MONITORING_TITLES = {
    "liver": "Liver function tests (exam, ALT, AST, bilirubin, PT/INR)",
    "platelets": "Platelet count",
    "troponin": "Troponin-I",
}


class EventKind(models.TextChoices):
    STEROID = "steroid", "Steroid"
    LAB = "lab", "Lab test"
    REVIEW = "review", "Review"
    WINDOW = "window", "Deadline"


class EventStatus(models.TextChoices):
    DONE = "done", "Done"
    DUE = "due", "Due"
    OVERDUE = "overdue", "Overdue"
    UPCOMING = "upcoming", "Upcoming"


@dataclass(frozen=True)
class Event:
    code: str  # stable, e.g. "liver_week_6"; safe for reminder dedupe keys
    title: str
    kind: str  # an EventKind value
    date: dt.date  # the day it happens, or the first day of a course
    end_date: dt.date | None = None  # the last day of a course, inclusive


def treatment_calendar(
    infusion_date: dt.date, *, received_on: dt.date | None = None
) -> list[Event]:
    """The steroid course, liver review, taper, monitoring tests and kit deadline, by date."""

    def day(n: int) -> dt.date:
        return infusion_date + dt.timedelta(days=n)

    taper_start = LIVER_REVIEW_DAY + 1
    events = [
        Event(
            "prednisolone_course",
            "Prednisolone 1 mg/kg/day, 30 days (day -1 to day 28)",
            EventKind.STEROID,
            day(STEROID_START_DAY),
            day(LIVER_REVIEW_DAY),
        ),
        Event(
            "liver_review_day30",
            "Day-30 liver review (exam, ALT, AST, bilirubin, PT/INR) and taper decision",
            EventKind.REVIEW,
            day(LIVER_REVIEW_DAY),
        ),
        Event(
            "prednisolone_taper",
            "Prednisolone taper over 28 days if the day-30 review is unremarkable",
            EventKind.STEROID,
            day(taper_start),
            day(taper_start + TAPER_DAYS - 1),
        ),
    ]
    for test, weeks in MONITORING_WEEKS.items():
        for week in weeks:
            title = f"{_MONITORING_TITLES[test]}, week {week}"
            events.append(Event(f"{test}_week_{week}", title, EventKind.LAB, day(7 * week)))
    if received_on is not None:
        days = int(settings.NPP_COLD_CHAIN_DAYS)
        events.append(
            Event(
                "cold_chain_use_by",
                f"Last day to infuse: kit received {_day(received_on)}, use within {days} days",
                EventKind.WINDOW,
                received_on + dt.timedelta(days=days),
            )
        )
    return sorted(events, key=lambda e: e.date)


def calendar_status(event: Event, today: dt.date, done: bool) -> str:
    """done, or overdue once its (last) day has passed, due on its day(s), else upcoming."""
    if done:
        return EventStatus.DONE
    if (event.end_date or event.date) < today:
        return EventStatus.OVERDUE
    if event.date <= today:
        return EventStatus.DUE
    return EventStatus.UPCOMING


def monitoring_gaps(infusion_date: dt.date, results: list[tuple[str, dt.date]]) -> list[str]:
    """The slots of the first 3 months (DOMAIN.md §1.8) with no result of their test sampled
    within ``SLOT_TOLERANCE_DAYS`` of the slot's date, e.g. ``["Troponin-I, week 8"]``."""
    missing = []
    for test, weeks in MONITORING_WEEKS.items():
        days = [taken for name, taken in results if name == test]
        for week in weeks:
            slot = infusion_date + dt.timedelta(days=7 * week)
            if not any(abs((taken - slot).days) <= SLOT_TOLERANCE_DAYS for taken in days):
                missing.append(f"{_MONITORING_TITLES[test].split(' (')[0]}, week {week}")
    return missing


def liver_problems(values: Mapping[str, tuple[Any, Any]]) -> list[str]:
    """Why liver results are not unremarkable (DOMAIN.md §1.7: ALT and AST < 2 x ULN,
    bilirubin normal); ``values`` maps alt/ast/total_bilirubin to (value, the lab's ULN or
    None, in which case the configured default is used)."""
    limits, problems = uln_limits(), []
    for name in ("alt", "ast", "total_bilirubin"):
        value, uln = values.get(name, (None, None))
        label = _LAB_NAMES[name]
        if value is None:
            problems.append(f"{label} not recorded.")
            continue
        uln = to_decimal(uln) if uln is not None else limits[name]
        value = to_decimal(value)
        if name == "total_bilirubin":
            if value > uln:
                problems.append(f"{label} {value} is above the ULN ({uln}).")
        elif value >= LIVER_ULN_MULTIPLE * uln:
            problems.append(f"{label} {value} is not below 2 x ULN ({LIVER_ULN_MULTIPLE * uln}).")
    return problems
