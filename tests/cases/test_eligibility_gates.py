"""Eligibility gates on `dispatch` and `confirm_delivery_and_schedule`, and their overrides."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from cases.models import EligibilityOverride
from cases.services import (
    CaseActionError,
    TransitionRefused,
    case_apply,
    case_override_eligibility,
)
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
TITRE = (
    "Eligibility: Anti-AAV9 antibody titre within the threshold: Titre 1:100 is above "
    "1:50; a retest may be done."
)
INFECTION = (
    "Eligibility: No active infection: An active infection is recorded; postpone until it resolves."
)
LIVER = "Eligibility: ALT, AST and total bilirubin not above 2 x ULN: ALT 100.0 is above 2 x ULN"


@pytest.fixture
def approved(case_a, facilitator):
    """Ready to dispatch: permit, shipment facts and documents; good baseline labs."""
    case = walk_to(case_a, "approved", facilitator)
    give_documents(case, "customs", facilitator)
    return case


def dispatch(case, by):
    return case_apply(case=case, transition="dispatch", by=by, **default_facts("dispatch"))


def refusal(case, by) -> list[str]:
    with pytest.raises(TransitionRefused) as refused:
        dispatch(case, by)
    case.refresh_from_db()
    assert case.state == "approved"
    return refused.value.messages


def test_dispatch_refused_while_the_titre_is_1_to_100(approved, facilitator):
    upload_document(approved, "anti_aav9_titer", facilitator, anti_aav9_titer="1:100")

    assert refusal(approved, facilitator) == [TITRE]


def test_dispatch_refused_while_alt_is_above_twice_the_uln(approved, facilitator):
    upload_document(approved, "liver_function", facilitator, alt=Decimal(100))

    [message] = refusal(approved, facilitator)
    assert message.startswith(LIVER)  # then the cap, "(80)" with the default ULN of 40 U/L


def test_dispatch_refused_while_an_active_infection_is_recorded(approved, facilitator):
    approved.patient.active_infection = True
    approved.patient.save()

    assert refusal(approved, facilitator) == [INFECTION]


def test_dispatch_refused_while_a_baseline_lab_is_stale(doctor1, facilitator):
    """All labs were taken 37 days ago; all but troponin were repeated since."""
    with time_machine.travel(timezone.now() - dt.timedelta(days=35), tick=False):
        case = walk_to(
            CaseFactory(doctor=doctor1.doctor, facilitator=facilitator), "approved", facilitator
        )
        give_documents(case, "customs", facilitator)
        sampled = timezone.localdate() - dt.timedelta(days=2)
    WeightMeasurementFactory(patient=case.patient, measured_on=timezone.localdate())
    for code in ("anti_aav9_titer", "liver_function", "cbc", "creatinine"):
        upload_document(case, code, facilitator)
    planned = timezone.localdate() + dt.timedelta(days=2)  # the ETA
    earliest = planned - dt.timedelta(days=30)

    assert refusal(case, facilitator) == [
        (
            f"Eligibility: Troponin-I measured: Troponin-I sample of {sampled:%d %b %Y} is more "
            f"than 30 days before {planned:%d %b %Y} (earliest accepted {earliest:%d %b %Y}); "
            "repeat the test."
        )
    ]

    case_override_eligibility(
        case=case,
        criterion="troponin_measured",
        by=facilitator,
        reason="Cardiology cleared the child on the older result.",
    )
    assert dispatch(case, facilitator).state == "customs"


def test_a_facilitators_override_lets_that_criterion_pass(approved, facilitator):
    upload_document(approved, "anti_aav9_titer", facilitator, anti_aav9_titer="1:100")

    override = case_override_eligibility(
        case=approved,
        criterion="aav9_titer",
        by=facilitator,
        reason="Retest at the reference lab pending; treating team accepts the risk.",
    )

    assert dispatch(approved, facilitator).state == "customs"
    assert (override.criterion, override.by, override.reason) == (
        "aav9_titer",
        facilitator,
        "Retest at the reference lab pending; treating team accepts the risk.",
    )


def test_an_override_lets_only_its_own_criterion_pass(approved, facilitator):
    upload_document(approved, "anti_aav9_titer", facilitator, anti_aav9_titer="1:100")
    approved.patient.active_infection = True
    approved.patient.save()

    case_override_eligibility(
        case=approved, criterion="aav9_titer", by=facilitator, reason="Retest pending."
    )

    assert refusal(approved, facilitator) == [INFECTION]


def test_a_doctor_may_not_override(approved, doctor1):
    with pytest.raises(PermissionDenied):
        case_override_eligibility(
            case=approved, criterion="aav9_titer", by=doctor1, reason="I accept the risk."
        )

    assert not EligibilityOverride.objects.exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_override_without_a_reason_is_refused(approved, facilitator, reason):
    with pytest.raises(CaseActionError) as refused:
        case_override_eligibility(
            case=approved, criterion="aav9_titer", by=facilitator, reason=reason
        )

    assert refused.value.messages == [
        "Write the reason for overriding; it is kept in the case log."
    ]
    assert not EligibilityOverride.objects.exists()


def test_an_override_of_an_unknown_criterion_is_refused(approved, facilitator):
    with pytest.raises(CaseActionError) as refused:
        case_override_eligibility(
            case=approved, criterion="weight", by=facilitator, reason="No scale."
        )

    assert refused.value.messages == ["Unknown eligibility criterion 'weight'."]


# --- The 2nd birthday at confirm_delivery_and_schedule -------------------------------------------

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=IST)
SECOND_BIRTHDAY = dt.date(2026, 3, 5)


@pytest.fixture
def delivered(doctor1, facilitator):
    """Kit received on 2 Mar 2026; the child turns 2 on 5 Mar 2026."""
    with time_machine.travel(NOW, tick=False):
        patient = PatientFactory(date_of_birth=dt.date(2024, 3, 5))
        case = walk_to(
            CaseFactory(patient=patient, doctor=doctor1.doctor, facilitator=facilitator),
            "delivery",
            facilitator,
        )
        give_documents(case, "infusion_scheduled", facilitator)
        yield case


def schedule(case, by, infusion_day: dt.date):
    at = dt.datetime.combine(infusion_day, dt.time(10, 0), tzinfo=IST)
    return case_apply(
        case=case,
        transition="confirm_delivery_and_schedule",
        by=by,
        **{**default_facts("confirm_delivery_and_schedule"), "infusion_scheduled_at": at},
    )


def test_confirm_delivery_refused_for_an_infusion_on_the_second_birthday(delivered, facilitator):
    with pytest.raises(TransitionRefused) as refused:
        schedule(delivered, facilitator, SECOND_BIRTHDAY)

    assert (
        "Eligibility: Under 2 years old on the infusion date: Turns 2 on 05 Mar 2026, on or "
        "before 05 Mar 2026."
    ) in refused.value.messages
    delivered.refresh_from_db()
    assert delivered.state == "delivery"


def test_confirm_delivery_allowed_for_an_infusion_the_day_before_the_second_birthday(
    delivered, facilitator
):
    case = schedule(delivered, facilitator, SECOND_BIRTHDAY - dt.timedelta(days=1))

    assert case.state == "infusion_scheduled"
