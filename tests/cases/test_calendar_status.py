"""The monitoring calendar marks each planned test done, due, overdue or upcoming."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from cases.selectors import case_calendar
from cases.services import case_record_lab_result
from tests.factories import CaseFactory, walk_to

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Asia/Kolkata")
INFUSED = dt.datetime(2026, 3, 2, 9, 0, tzinfo=IST)


def day(n: int) -> dt.date:
    """``n`` days after the infusion day."""
    return INFUSED.date() + dt.timedelta(days=n)


@pytest.fixture
def clock():
    with time_machine.travel(INFUSED + dt.timedelta(hours=1), tick=False) as traveller:
        yield traveller


@pytest.fixture
def infused(clock, doctor1, facilitator):
    """Infused 2 Mar 2026 09:00 (walk_to records the infusion an hour before now)."""
    case = walk_to(
        CaseFactory(doctor=doctor1.doctor, facilitator=facilitator), "monitoring", facilitator
    )
    assert case.infused_at == INFUSED
    return case


def record(clock, case, by, test: str, taken_on: dt.date, **values):
    clock.move_to(dt.datetime.combine(taken_on, dt.time(18, 0), tzinfo=IST))
    return case_record_lab_result(case=case, by=by, test=test, taken_on=taken_on, **values)


def status(case, code: str, today: dt.date) -> str:
    [row] = [row for row in case_calendar(case, today=today) if row["event"].code == code]
    return row["status"]


def test_a_planned_test_is_upcoming_then_due_on_its_day_then_overdue(infused):
    assert [status(infused, "platelets_week_1", day(n)) for n in (6, 7, 8)] == [
        "upcoming",
        "due",
        "overdue",
    ]


@pytest.mark.parametrize("taken", [4, 7, 10])
def test_a_result_taken_within_three_days_of_the_planned_date_marks_it_done(
    clock, infused, doctor1, taken
):
    record(clock, infused, doctor1, "platelets", day(taken), platelets=Decimal(250))

    assert status(infused, "platelets_week_1", day(taken)) == "done"
    assert status(infused, "platelets_week_1", day(30)) == "done"


def test_a_result_four_days_off_leaves_the_planned_test_overdue(clock, infused, doctor1):
    record(clock, infused, doctor1, "liver", day(11), alt=Decimal(60))

    assert status(infused, "liver_week_1", day(12)) == "overdue"
    assert status(infused, "liver_week_2", day(12)) == "done"  # day 14 is 3 days away


def test_a_result_of_another_test_does_not_count(clock, infused, doctor1):
    record(clock, infused, doctor1, "troponin", day(7), troponin_i=Decimal("0.01"))

    assert status(infused, "troponin_week_1", day(8)) == "done"
    assert status(infused, "platelets_week_1", day(8)) == "overdue"
    assert status(infused, "liver_week_1", day(8)) == "overdue"


def test_the_day_28_liver_panel_also_marks_the_day_30_review_done(clock, infused, facilitator):
    assert status(infused, "liver_review_day30", day(28)) == "due"

    record(clock, infused, facilitator, "liver", day(28), alt=Decimal(45))

    assert status(infused, "liver_review_day30", day(29)) == "done"
    assert status(infused, "liver_week_4", day(29)) == "done"


def test_only_the_treating_doctor_or_a_facilitator_records_results(
    clock, infused, doctor2, hospital1
):
    for user in (doctor2, hospital1):
        with pytest.raises(PermissionDenied):
            record(clock, infused, user, "liver", day(7))

    assert status(infused, "liver_week_1", day(8)) == "overdue"
