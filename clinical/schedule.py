"""The monitoring schedule of DOMAIN.md §1.8 as slots, built from ``cases.clinical``'s
``MONITORING_WEEKS`` (week 1-4 weekly, then every other week for liver and platelets and
monthly for troponin-I, to week 12). A slot is a week after the infusion; it expects the tests
of every panel planned that week and is done when each has a current value.

Status, judged on an India date: done; overdue once the slot's day plus the tolerance has
passed; due from the tolerance before its day; else upcoming. The tolerance is the one the
calendar and the reminders use (``SLOT_TOLERANCE_DAYS``), so a slot is never "done" here and
"missing" there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from cases.clinical import MONITORING_WEEKS, SLOT_TOLERANCE_DAYS

from .catalogue import OPTIONAL, PANELS


class SlotStatus:
    DONE = "done"
    DUE = "due"
    OVERDUE = "overdue"
    UPCOMING = "upcoming"


@dataclass(frozen=True)
class Slot:
    code: str  # "week_1": stable, part of reminder keys and URLs
    week: int
    day: dt.date
    panels: tuple[str, ...]

    @property
    def expected(self) -> tuple[str, ...]:
        return tuple(test for panel in self.panels for test in PANELS[panel])

    @property
    def shown(self) -> tuple[str, ...]:
        return self.expected + tuple(t for t in OPTIONAL if t not in self.expected)

    @property
    def opens(self) -> dt.date:
        return self.day - dt.timedelta(days=SLOT_TOLERANCE_DAYS)

    @property
    def closes(self) -> dt.date:
        return self.day + dt.timedelta(days=SLOT_TOLERANCE_DAYS)

    def accepts(self, sampled_on: dt.date) -> bool:
        return self.opens <= sampled_on <= self.closes


@dataclass
class SlotView:
    slot: Slot
    status: str
    values: dict[str, object] = field(default_factory=dict)  # test -> current LabValue
    missing: tuple[str, ...] = ()


def slots(infusion_day: dt.date) -> list[Slot]:
    weeks = sorted({w for ws in MONITORING_WEEKS.values() for w in ws})
    return [
        Slot(
            f"week_{week}",
            week,
            infusion_day + dt.timedelta(days=7 * week),
            tuple(panel for panel, ws in MONITORING_WEEKS.items() if week in ws),
        )
        for week in weeks
    ]


def slot_by_code(infusion_day: dt.date, code: str) -> Slot | None:
    return next((s for s in slots(infusion_day) if s.code == code), None)


def slot_status(slot: Slot, done: bool, today: dt.date) -> str:
    if done:
        return SlotStatus.DONE
    if slot.closes < today:
        return SlotStatus.OVERDUE
    if slot.opens <= today:
        return SlotStatus.DUE
    return SlotStatus.UPCOMING


def slot_views(infusion_day: dt.date, values: Iterable, today: dt.date) -> list[SlotView]:
    """Each slot with its current values (objects with ``slot`` and ``test``), what it still
    misses and its status on ``today``."""
    by_slot: dict[str, dict[str, object]] = {}
    for value in values:
        by_slot.setdefault(value.slot, {})[value.test] = value
    views = []
    for slot in slots(infusion_day):
        found = by_slot.get(slot.code, {})
        missing = tuple(t for t in slot.expected if t not in found)
        views.append(SlotView(slot, slot_status(slot, not missing, today), found, missing))
    return views
