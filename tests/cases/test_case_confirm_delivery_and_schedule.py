from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from cases.services import TransitionRefused, case_apply
from tests.factories import (
    CaseFactory,
    PatientFactory,
    give_documents,
    state_logs,
    walk_to,
)

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Asia/Kolkata")
RECEIVED = dt.datetime(2026, 6, 14, 10, 0, tzinfo=IST)


@pytest.fixture(autouse=True)
def _today_is_15_june_2026():
    # Autouse fixtures run before the case fixtures, so every date below is relative to this.
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=IST)):
        yield


@pytest.fixture
def in_delivery(case_a, facilitator):
    case = walk_to(case_a, "delivery", facilitator)
    give_documents(case, "infusion_scheduled", facilitator)  # only the delivery facts are missing
    return case


def delivery(**overrides):
    return {
        "received_at": RECEIVED,
        "received_by": "Hospital pharmacy",
        "temperature_ok": True,
        "infusion_scheduled_at": dt.datetime(2026, 6, 18, 9, 0, tzinfo=IST),
        **overrides,
    }


def test_hospital_admin_confirms_delivery_and_schedules_the_infusion(in_delivery, hospital1):
    case_apply(
        case=in_delivery,
        transition="confirm_delivery_and_schedule",
        by=hospital1,
        description="Kit in the 2-8 C fridge.",
        **delivery(),
    )

    in_delivery.refresh_from_db()
    assert in_delivery.state == "infusion_scheduled"
    assert in_delivery.received_at == RECEIVED
    assert in_delivery.received_by == "Hospital pharmacy"
    assert in_delivery.temperature_ok is True
    assert in_delivery.infusion_scheduled_at == dt.datetime(2026, 6, 18, 9, 0, tzinfo=IST)
    log = state_logs(in_delivery)[-1]
    assert (log.source_state, log.state, log.by, log.description) == (
        "delivery",
        "infusion_scheduled",
        hospital1,
        "Kit in the 2-8 C fridge.",
    )


def test_facilitator_may_confirm_delivery(in_delivery, facilitator):
    case = case_apply(
        case=in_delivery, transition="confirm_delivery_and_schedule", by=facilitator, **delivery()
    )

    assert case.state == "infusion_scheduled"


TEMPERATURE_MESSAGE = (
    "The temperature on arrival is not confirmed OK; an excursion needs a manufacturer "
    "decision (put the case on hold)."
)


REFUSALS = [
    ("no receipt time", delivery(received_at=None), "Record when the kit was received."),
    ("temperature not OK", delivery(temperature_ok=False), TEMPERATURE_MESSAGE),
    ("temperature unknown", delivery(temperature_ok=None), TEMPERATURE_MESSAGE),
    (
        "no schedule",
        delivery(infusion_scheduled_at=None),
        "Enter the scheduled infusion date and time.",
    ),
    (
        "scheduled before receipt",
        delivery(infusion_scheduled_at=RECEIVED - dt.timedelta(hours=1)),
        "The infusion cannot be scheduled before the kit was received (14 Jun 2026 10:00 IST).",
    ),
]


def test_delivery_refused_without_receipt_good_temperature_or_a_sensible_schedule(
    in_delivery, hospital1, subtests
):
    for case_name, facts, message in REFUSALS:
        with subtests.test(case_name):
            with pytest.raises(TransitionRefused) as refused:
                case_apply(
                    case=in_delivery,
                    transition="confirm_delivery_and_schedule",
                    by=hospital1,
                    **facts,
                )

            assert refused.value.messages == [message]
            in_delivery.refresh_from_db()
            assert in_delivery.state == "delivery"
            assert in_delivery.received_at is None
            assert in_delivery.temperature_ok is None


def test_infusion_exactly_14_x_24_hours_after_receipt_is_allowed(in_delivery, hospital1):
    # DOMAIN.md §1.10: 14 x 24 hours of the receipt instant (14 Jun 10:00 IST), not 14 dates.
    last_evening = RECEIVED + dt.timedelta(days=14)

    case = case_apply(
        case=in_delivery,
        transition="confirm_delivery_and_schedule",
        by=hospital1,
        **delivery(infusion_scheduled_at=last_evening),
    )

    assert case.state == "infusion_scheduled"


def test_infusion_a_minute_after_the_14_x_24_hours_is_refused(in_delivery, hospital1):
    # The evening of the 14th calendar day is past the window when the kit came in at 10:00.
    day_15 = RECEIVED + dt.timedelta(days=14, minutes=1)

    with pytest.raises(TransitionRefused) as refused:
        case_apply(
            case=in_delivery,
            transition="confirm_delivery_and_schedule",
            by=hospital1,
            **delivery(infusion_scheduled_at=day_15),
        )

    assert refused.value.messages == [
        "The kit must be used within 14 x 24 hours of receipt (14 Jun 2026 10:00 IST), that is "
        "by 28 Jun 2026 10:00 IST; the infusion is scheduled for 28 Jun 2026 10:01 IST."
    ]


@pytest.fixture
def turns_two_on_20_june(doctor1, facilitator):
    patient = PatientFactory(date_of_birth=dt.date(2024, 6, 20))
    case = walk_to(CaseFactory(patient=patient, doctor=doctor1.doctor), "delivery", facilitator)
    give_documents(case, "infusion_scheduled", facilitator)
    return case


def test_infusion_on_the_second_birthday_is_refused(turns_two_on_20_june, hospital1):
    with pytest.raises(TransitionRefused) as refused:
        case_apply(
            case=turns_two_on_20_june,
            transition="confirm_delivery_and_schedule",
            by=hospital1,
            **delivery(infusion_scheduled_at=dt.datetime(2026, 6, 20, 9, 0, tzinfo=IST)),
        )

    # The eligibility check (clinical issue) may say the same in its own words as well.
    assert (
        "The label covers children under 2 years only: the child turns 2 on 20 Jun 2026, "
        "and the infusion is scheduled on 20 Jun 2026."
    ) in (refused.value.messages)
    turns_two_on_20_june.refresh_from_db()
    assert turns_two_on_20_june.state == "delivery"


def test_infusion_on_the_day_before_the_second_birthday_is_allowed(turns_two_on_20_june, hospital1):
    case = case_apply(
        case=turns_two_on_20_june,
        transition="confirm_delivery_and_schedule",
        by=hospital1,
        **delivery(infusion_scheduled_at=dt.datetime(2026, 6, 19, 23, 0, tzinfo=IST)),
    )

    assert case.state == "infusion_scheduled"


def test_delivery_refused_to_other_hospitals_and_to_doctors(in_delivery, request, subtests):
    for who in ["hospital2", "doctor1", "doctor2", "outsider"]:
        with subtests.test(who=who):
            user = request.getfixturevalue(who)

            with pytest.raises(PermissionDenied):
                case_apply(
                    case=in_delivery,
                    transition="confirm_delivery_and_schedule",
                    by=user,
                    **delivery(),
                )

            in_delivery.refresh_from_db()
            assert in_delivery.state == "delivery"
            assert in_delivery.received_at is None
