from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from cases.services import TransitionRefused, case_apply
from tests.factories import reweigh_on_infusion_day, state_logs, walk_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheduled(case_a, facilitator):
    case = walk_to(case_a, "infusion_scheduled", facilitator)
    # Weighed on the days the tests infuse on: an hour ago (infusion()) and now, which are
    # two India days between 00:00 and 01:00 IST.
    reweigh_on_infusion_day(case, timezone.now() - dt.timedelta(hours=1))
    reweigh_on_infusion_day(case, timezone.now())
    return case


def infusion(**overrides):
    return {
        "infused_at": timezone.now() - dt.timedelta(hours=1),
        "kit_lot_numbers": "AVX001A, AVX001B",
        **overrides,
    }


def test_treating_doctor_records_the_infusion_and_monitoring_starts(scheduled, doctor1):
    facts = infusion()

    case_apply(
        case=scheduled,
        transition="record_infusion",
        by=doctor1,
        description="Uneventful; prednisolone started.",
        **facts,
    )

    scheduled.refresh_from_db()
    assert scheduled.state == "monitoring"
    assert scheduled.infused_at == facts["infused_at"]
    assert scheduled.kit_lot_numbers == "AVX001A, AVX001B"
    log = state_logs(scheduled)[-1]
    assert (log.source_state, log.state, log.by, log.description) == (
        "infusion_scheduled",
        "monitoring",
        doctor1,
        "Uneventful; prednisolone started.",
    )


def test_facilitator_may_record_the_infusion(scheduled, facilitator):
    case = case_apply(case=scheduled, transition="record_infusion", by=facilitator, **infusion())

    assert case.state == "monitoring"


def test_infusion_refused_without_a_past_time_or_lot_numbers(scheduled, doctor1, subtests):
    for facts, message in [
        (infusion(infused_at=None), "Enter the actual infusion date and time."),
        (
            infusion(infused_at=timezone.now() + dt.timedelta(minutes=5)),
            "The infusion time cannot be in the future.",
        ),
        (infusion(kit_lot_numbers=" "), "Enter the kit lot number(s)."),
    ]:
        with subtests.test(message):
            with pytest.raises(TransitionRefused) as refused:
                case_apply(case=scheduled, transition="record_infusion", by=doctor1, **facts)

            assert refused.value.messages == [message]
            scheduled.refresh_from_db()
            assert scheduled.state == "infusion_scheduled"
            assert scheduled.infused_at is None
            assert scheduled.kit_lot_numbers == ""


def test_infusion_refused_to_anyone_but_the_treating_doctor_and_facilitator(
    scheduled, request, subtests
):
    for who in ["doctor2", "hospital1", "hospital2", "outsider"]:
        with subtests.test(who=who):
            user = request.getfixturevalue(who)

            with pytest.raises(PermissionDenied):
                case_apply(case=scheduled, transition="record_infusion", by=user, **infusion())

            scheduled.refresh_from_db()
            assert scheduled.state == "infusion_scheduled"
            assert scheduled.infused_at is None
