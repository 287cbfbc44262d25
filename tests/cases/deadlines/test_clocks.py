"""The clocks of one case (``cases.deadlines.clocks``) at their edges, with a fake clock.

Every case is built through the services at START (a Monday, 10:00 India time) and looked at
later. A hold stops only the stage's clock; the 2nd birthday, the permit and the 14-day window
keep running through it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases import deadlines
from cases.deadlines import Status
from cases.services import case_apply, case_record_lab_result
from tests.factories import (
    CaseFactory,
    PatientFactory,
    WeightMeasurementFactory,
    default_facts,
    give_documents,
    upload_document,
    walk_to,
)

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Asia/Kolkata")
START = dt.datetime(2026, 1, 5, 10, 0, tzinfo=IST)


def day(n: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return (START + dt.timedelta(days=n)).replace(hour=hour, minute=minute)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def clock_of(case, code: str, at: dt.datetime, key: str = ""):
    case.refresh_from_db()
    found = [c for c in deadlines.clocks(case, at=at, codes=[code]) if not key or c.key == key]
    assert len(found) == 1, found
    return found[0]


def no_clock(case, code: str, at: dt.datetime) -> bool:
    case.refresh_from_db()
    return not deadlines.clocks(case, at=at, codes=[code])


def hold(case, by):
    return case_apply(case=case, transition="hold", by=by, hold_reason="Titre above 1:50.")


def resume(case, by):
    return case_apply(case=case, transition="resume", by=by)


# --- The 2nd birthday ---------------------------------------------------------------------------


def born(on: dt.date, doctor1, facilitator):
    return CaseFactory(
        patient=PatientFactory(date_of_birth=on), doctor=doctor1.doctor, facilitator=facilitator
    )


def test_days_left_to_the_second_birthday_turn_red_under_60(clock, doctor1, facilitator):
    case = born(dt.date(2024, 3, 6), doctor1, facilitator)  # turns 2 on 6 Mar 2026

    at_60 = clock_of(case, "second_birthday", day(0))  # 5 Jan: 60 days left
    at_59 = clock_of(case, "second_birthday", day(1))

    assert (at_60.due_on, at_60.days_left, at_60.status) == (
        dt.date(2026, 3, 6),
        60,
        Status.RUNNING,
    )
    assert (at_59.days_left, at_59.status) == (59, Status.SOON)


def test_a_child_born_on_29_february_turns_two_on_28_february(clock, doctor1, facilitator):
    case = born(dt.date(2024, 2, 29), doctor1, facilitator)

    assert clock_of(case, "second_birthday", day(0)).due_on == dt.date(2026, 2, 28)


def test_the_birthday_is_an_india_date(clock, doctor1, facilitator):
    case = born(dt.date(2024, 3, 6), doctor1, facilitator)
    # 00:30 on 6 Mar in India is still 5 Mar in UTC: the child is 2 already.
    just_after = dt.datetime(2026, 3, 6, 0, 30, tzinfo=IST)

    assert clock_of(case, "second_birthday", just_after).days_left == 0


def test_a_hold_across_the_second_birthday_does_not_stop_it(clock, doctor1, facilitator):
    case = born(dt.date(2024, 2, 1), doctor1, facilitator)  # turns 2 on 1 Feb 2026, day 27
    case = walk_to(case, "approved", facilitator)
    clock.move_to(day(10))
    case = hold(case, facilitator)

    while_held = clock_of(case, "second_birthday", day(20))
    clock.move_to(day(40))
    case = resume(case, facilitator)
    after = clock_of(case, "second_birthday", day(40))

    assert (while_held.paused, while_held.days_left, while_held.status) == (False, 7, Status.SOON)
    assert (after.due_on, after.days_left, after.status) == (
        dt.date(2026, 2, 1),
        -13,
        Status.OVERDUE,
    )


def test_no_birthday_clock_once_the_child_is_infused(clock, doctor1, facilitator):
    case = walk_to(born(dt.date(2024, 6, 1), doctor1, facilitator), "monitoring", facilitator)

    assert no_clock(case, "second_birthday", day(1))


# --- A stage's expected duration, paused by a hold -------------------------------------------------


def test_a_hold_in_the_middle_of_a_stage_pauses_its_clock(clock, case_a, facilitator):
    case = walk_to(case_a, "documents", facilitator)  # 14 days expected: due day 14
    clock.move_to(day(5))
    case = hold(case, facilitator)  # 9 days left when the hold begins

    held = clock_of(case, "stage_expected", day(12))
    clock.move_to(day(15))
    case = resume(case, facilitator)  # 10 days on hold: due day 24
    running = clock_of(case, "stage_expected", day(23, 9))
    late = clock_of(case, "stage_expected", day(24, 10))

    assert (held.paused, held.status, held.days_left, held.key) == (
        True,
        Status.PAUSED,
        9,
        "documents",
    )
    assert held.due_at == day(12) + dt.timedelta(days=9)  # if resumed now
    assert running.due_at == day(24)
    assert (running.paused, running.days_left) == (False, 1)
    assert (late.status, late.days_left) == (Status.OVERDUE, 0)


def test_two_holds_in_one_stage_both_pause_it(clock, case_a, facilitator):
    case = walk_to(case_a, "regulatory_review", facilitator)  # 10 days expected
    for held_from, resumed in ((2, 5), (6, 10)):  # 3 + 4 days on hold
        clock.move_to(day(held_from))
        case = hold(case, facilitator)
        clock.move_to(day(resumed))
        case = resume(case, facilitator)

    assert clock_of(case, "stage_expected", day(10)).due_at == day(17)


def test_a_new_stage_starts_a_new_clock(clock, case_a, facilitator):
    case = walk_to(case_a, "approved", facilitator)
    clock.move_to(day(3))
    case = hold(case, facilitator)
    clock.move_to(day(6))
    case = resume(case, facilitator)
    clock.move_to(day(8))
    give_documents(case, "customs", facilitator)
    WeightMeasurementFactory(patient=case.patient, measured_on=day(8).date())
    case = case_apply(
        case=case,
        transition="dispatch",
        by=facilitator,
        **{**default_facts("dispatch"), "eta": day(20)},
    )

    # Customs: 5 days from the dispatch, whatever the hold in `approved` took.
    assert clock_of(case, "stage_expected", day(8)).due_at == day(13)


def test_a_scheduled_case_is_overdue_the_day_after_its_planned_infusion(clock, case_a, facilitator):
    case = walk_to(case_a, "infusion_scheduled", facilitator)  # planned on day 3

    assert clock_of(case, "stage_expected", day(1)).due_at == day(4)


# --- Permit, ETA and cold chain: no hold stops them -----------------------------------------------


def approved_with_permit(case, facilitator, valid_days: int):
    case = walk_to(case, "regulatory_review", facilitator)
    give_documents(case, "approved", facilitator)
    return case_apply(
        case=case,
        transition="record_permit",
        by=facilitator,
        permit_number="12B/BLR/2026/0042",
        permit_issued_on=START.date(),
        permit_valid_until=START.date() + dt.timedelta(days=valid_days),
    )


def test_the_permit_runs_on_through_a_hold_and_warns_30_days_ahead(clock, case_a, facilitator):
    case = approved_with_permit(case_a, facilitator, valid_days=40)  # valid through 14 Feb
    clock.move_to(day(5))
    case = hold(case, facilitator)

    held = clock_of(case, "permit_validity", day(11))
    soon = clock_of(case, "permit_validity", day(12))
    expired = clock_of(case, "permit_validity", day(41))

    assert (held.due_on, held.paused, held.days_left, held.status) == (
        dt.date(2026, 2, 14),
        False,
        29,
        Status.SOON,
    )
    assert soon.days_left == 28
    assert expired.status == Status.OVERDUE


def test_a_permit_expiring_before_the_eta_says_so(clock, case_a, facilitator):
    case = approved_with_permit(case_a, facilitator, valid_days=10)
    give_documents(case, "customs", facilitator)
    # The dispatch rule refuses such an ETA; here the ETA moved later after dispatch.
    case = case_apply(
        case=case,
        transition="dispatch",
        by=facilitator,
        **{**default_facts("dispatch"), "eta": day(3)},
    )
    type(case).objects.filter(pk=case.pk).update(eta=day(12))

    assert (
        "expires before the kit's ETA (17 Jan 2026)"
        in clock_of(case, "permit_validity", day(4)).detail
    )


def test_the_eta_is_an_instant_and_passes_while_in_customs(clock, case_a, facilitator):
    case = walk_to(case_a, "customs", facilitator)  # ETA day 2, 10:00

    before, after = clock_of(case, "eta", day(2, 9, 59)), clock_of(case, "eta", day(3))

    assert before.due_at == day(2)
    assert before.days_left == 0
    assert after.status == Status.OVERDUE


def delivered(case, facilitator, infusion_at: dt.datetime):
    case = walk_to(case, "delivery", facilitator)
    give_documents(case, "infusion_scheduled", facilitator)
    return case_apply(
        case=case,
        transition="confirm_delivery_and_schedule",
        by=facilitator,
        **{
            **default_facts("confirm_delivery_and_schedule"),
            "received_at": START,
            "infusion_scheduled_at": infusion_at,
        },
    )


def test_the_cold_chain_is_14_times_24_hours_and_a_hold_does_not_stop_it(
    clock, case_a, facilitator
):
    case = delivered(case_a, facilitator, day(5))
    clock.move_to(day(2))
    case = hold(case, facilitator)

    held = clock_of(case, "cold_chain", day(10))

    assert held.due_at == START + dt.timedelta(days=14)
    assert (held.paused, held.days_left, held.status) == (False, 4, Status.RUNNING)
    assert clock_of(case, "cold_chain", day(11)).status == Status.SOON  # day 11: 3 days left


def test_prednisolone_starts_the_day_before_the_planned_infusion(clock, case_a, facilitator):
    case = delivered(case_a, facilitator, day(5, 11))

    start = clock_of(case, "prednisolone_start", day(1))

    assert start.due_on == day(4).date()


# --- After the infusion --------------------------------------------------------------------------


@pytest.fixture
def infused(clock, case_a, facilitator):
    """Infused on day 0 at 09:00 (walk_to's default: an hour before now)."""
    return walk_to(case_a, "monitoring", facilitator)


def record(clock, case, by, on_day: int, test: str):
    clock.move_to(day(on_day, 12))
    case_record_lab_result(case=case, by=by, test=test, taken_on=day(on_day).date())


def test_each_monitoring_slot_is_met_by_a_result_within_three_days(clock, infused, doctor1):
    record(clock, infused, doctor1, 10, "liver")  # week 1 is day 7: 3 days after, counts
    record(clock, infused, doctor1, 18, "platelets")  # week 2 is day 14: 4 days after, not

    liver = clock_of(infused, "monitoring_slot", day(20), key="liver_week_1")
    platelets = clock_of(infused, "monitoring_slot", day(20), key="platelets_week_2")

    assert (liver.due_on, liver.met, liver.status) == (day(7).date(), True, Status.MET)
    assert (platelets.due_on, platelets.met, platelets.status) == (
        day(14).date(),
        False,
        Status.OVERDUE,
    )
    weeks = [
        c.key
        for c in deadlines.clocks(infused, at=day(20), codes=["monitoring_slot"])
        if c.key.startswith("troponin")
    ]
    assert sorted(weeks) == sorted(f"troponin_week_{w}" for w in (1, 2, 3, 4, 8, 12))


def test_the_day_30_review_is_on_day_28_and_met_by_a_liver_result(clock, infused, doctor1):
    due = clock_of(infused, "liver_review", day(27))
    record(clock, infused, doctor1, 26, "liver")

    assert (due.due_on, due.days_left, due.met) == (day(28).date(), 1, False)
    assert clock_of(infused, "liver_review", day(27)).met


def test_the_taper_ends_on_day_56_at_the_earliest_and_monitoring_runs_90_days(clock, infused):
    assert clock_of(infused, "taper_end", day(1)).due_on == day(56).date()
    period = clock_of(infused, "monitoring_period", day(1))
    assert period.due_at == day(0, 9) + dt.timedelta(days=90)


def test_the_weight_for_the_kit_order_is_fresh_for_14_days(clock, case_a, facilitator):
    case = approved_with_permit(case_a, facilitator, valid_days=90)
    WeightMeasurementFactory(
        patient=case.patient, measured_on=day(1).date(), weight_kg=Decimal("8.9")
    )

    fresh = clock_of(case, "weight_fresh", day(3))

    assert (fresh.due_on, fresh.days_left) == (day(15).date(), 12)
    assert fresh.detail == "8.90 kg on 06 Jan 2026"


def test_a_result_needed_for_the_next_gate_is_valid_for_30_days(clock, case_a, facilitator):
    case = walk_to(case_a, "documents", facilitator)
    upload_document(case, "liver_function", facilitator, sample_days_ago=5)

    valid = clock_of(case, "document_validity", day(0), key="liver_function")

    assert (valid.due_on, valid.days_left, valid.deadline.clinical) == (day(25).date(), 25, True)
    expired = clock_of(case, "document_validity", day(26), key="liver_function")
    assert expired.status == Status.OVERDUE


def test_a_drawn_syringe_has_8_hours_and_is_met_by_an_infusion_within_them(
    clock, case_a, facilitator
):
    case = delivered(case_a, facilitator, day(1))
    clock.move_to(day(1, 12))
    WeightMeasurementFactory(patient=case.patient, measured_on=day(1).date())
    case = case_apply(
        case=case,
        transition="record_infusion",
        by=facilitator,
        syringe_drawn_at=day(1, 4),
        infused_at=day(1, 11, 59),
        kit_lot_numbers="AVX001A",
    )

    within = clock_of(case, "syringe_window", day(1, 12))

    assert within.due_at == day(1, 12)
    assert (within.met, within.status) == (True, Status.MET)
