"""An infusion that happened outside the label (after the 2nd birthday, after the 14 x 24
hours, with another weight band) is neither refused silently nor accepted silently: it needs a
facilitator's deviation note, shows in the history and raises a safety follow-up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from cases.clinical import eligibility
from cases.models import SafetyFollowUp
from cases.services import TransitionRefused, case_apply
from tests.factories import reweigh_on_infusion_day, state_logs, walk_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheduled(case_a, facilitator):
    return walk_to(case_a, "infusion_scheduled", facilitator)


def late(case):
    """An infusion 15 days after receipt, with the infusion-day weight."""
    infused_at = case.received_at + dt.timedelta(days=15)
    reweigh_on_infusion_day(case, infused_at)
    return {"infused_at": infused_at, "kit_lot_numbers": "AVX001A"}


def later(case):
    """The clock an hour after that late infusion."""
    return time_machine.travel(case.received_at + dt.timedelta(days=15, hours=1))


def test_a_late_infusion_is_refused_without_a_deviation_note(scheduled, doctor1):
    with later(scheduled), pytest.raises(TransitionRefused) as refused:
        case_apply(case=scheduled, transition="record_infusion", by=doctor1, **late(scheduled))

    [message] = refused.value.messages
    assert "within 14 x 24 hours of receipt" in message
    assert "a facilitator records it with a protocol deviation note" in message
    assert not SafetyFollowUp.objects.exists()


def test_only_a_facilitator_records_a_deviation_note(scheduled, doctor1):
    with pytest.raises(TransitionRefused) as refused:
        case_apply(
            case=scheduled,
            transition="record_infusion",
            by=doctor1,
            infusion_deviation_note="Kit used on day 15.",
            **late(scheduled),
        )

    assert refused.value.messages == ["Only a facilitator may record the protocol deviation note."]
    scheduled.refresh_from_db()
    assert scheduled.state == "infusion_scheduled"


def test_a_facilitator_records_the_deviation_and_a_safety_follow_up_is_raised(
    scheduled, facilitator
):
    with later(scheduled):
        case = case_apply(
            case=scheduled,
            transition="record_infusion",
            by=facilitator,
            infusion_deviation_note="Flight delay; manufacturer consulted.",
            **late(scheduled),
        )

    assert case.state == "monitoring"
    follow_up = SafetyFollowUp.objects.get(case=case)
    assert follow_up.codes == "cold_chain_window"
    assert "14 x 24 hours" in follow_up.details
    assert follow_up.raised_by == facilitator
    assert state_logs(case)[-1].description == (
        "Protocol deviation: Flight delay; manufacturer consulted."
    )
    from cases.timeline import case_timeline

    labels = [marker["label"] for marker in case_timeline(case).markers]
    assert "Infusion given (protocol deviation)" in labels
    assert "Infusion" not in labels  # the scheduled date no longer shows once given


def test_a_band_change_at_infusion_is_a_deviation_too(scheduled, facilitator):
    infused_at = timezone.now() - dt.timedelta(minutes=30)
    reweigh_on_infusion_day(scheduled, infused_at, weight_kg=Decimal("8.60"))  # kit: 8.1-8.5
    with pytest.raises(TransitionRefused) as refused:
        case_apply(
            case=scheduled,
            transition="record_infusion",
            by=facilitator,
            infused_at=infused_at,
            kit_lot_numbers="AVX001A",
        )
    assert "ordered for 8.1-8.5 kg" in refused.value.messages[0]

    case = case_apply(
        case=scheduled,
        transition="record_infusion",
        by=facilitator,
        infused_at=infused_at,
        kit_lot_numbers="AVX001A",
        infusion_deviation_note="Weight gain; manufacturer approved the kit.",
    )
    assert SafetyFollowUp.objects.get(case=case).codes == "weight_band_changed"


@pytest.mark.parametrize(
    ("weeks_at_birth", "days_old", "passes"),
    [
        (30, 49, True),  # 30 weeks + 7 weeks = 37 weeks exactly
        (30, 48, False),  # one day short
        (None, 104, False),  # 14 weeks 6 days old, gestation unknown: it could matter
        (None, 105, True),  # 15 weeks: past 37 weeks corrected whatever the gestation
        (40, 0, True),
    ],
)
def test_full_term_corrected_age(weeks_at_birth, days_old, passes):
    class Child:
        date_of_birth = dt.date(2026, 1, 1)
        smn1_biallelic_confirmed = True
        gestational_age_weeks = weeks_at_birth

    on = Child.date_of_birth + dt.timedelta(days=days_old)
    assert eligibility(Child(), on, None)["full_term_corrected_age"].passed is passes
