from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.services import TransitionRefused, case_apply
from tests.factories import (
    CaseFactory,
    PatientFactory,
    WeightMeasurementFactory,
    default_facts,
    give_documents,
    state_logs,
    walk_to,
)

pytestmark = pytest.mark.django_db


def weight_message(days_ago: int) -> str:
    today = timezone.localdate()
    return (
        f"The latest weight is of {today - dt.timedelta(days=days_ago):%d %b %Y}, more than "
        f"14 days before {today:%d %b %Y}: weigh the child again (the kit is made up for one "
        "band)."
    )


def shipment(**overrides):
    return {**default_facts("dispatch"), **overrides}


@pytest.fixture
def approved(case_a, facilitator):
    case = walk_to(case_a, "approved", facilitator)
    give_documents(case, "customs", facilitator)  # only the shipment facts are missing
    return case


def approved_case_with_weight_measured(days_ago, doctor, facilitator):
    patient = PatientFactory(weight=False)
    WeightMeasurementFactory(
        patient=patient, measured_on=timezone.localdate() - dt.timedelta(days=days_ago)
    )
    case = walk_to(CaseFactory(patient=patient, doctor=doctor), "approved", facilitator)
    give_documents(case, "customs", facilitator)
    return case


def test_dispatch_moves_the_case_to_customs_and_records_the_shipment(approved, facilitator):
    facts = shipment()

    case_apply(
        case=approved, transition="dispatch", by=facilitator, description="Shipped.", **facts
    )

    approved.refresh_from_db()
    assert approved.state == "customs"
    assert approved.awb_number == facts["awb_number"]
    assert approved.supplier_order_ref == facts["supplier_order_ref"]
    assert approved.courier == facts["courier"]
    assert approved.eta == facts["eta"]
    log = state_logs(approved)[-1]
    assert (log.source_state, log.state, log.by, log.description) == (
        "approved",
        "customs",
        facilitator,
        "Shipped.",
    )


def test_dispatch_refused_without_order_reference_awb_or_eta(approved, facilitator, subtests):
    for facts, message in [
        (shipment(supplier_order_ref=""), "Enter the supplier order reference."),
        (shipment(awb_number=" "), "Enter the air waybill (AWB) number."),
        (shipment(eta=None), "Enter the ETA."),
    ]:
        with subtests.test(message):
            with pytest.raises(TransitionRefused) as refused:
                case_apply(case=approved, transition="dispatch", by=facilitator, **facts)

            assert refused.value.messages == [message]
            approved.refresh_from_db()
            assert approved.state == "approved"
            assert approved.awb_number == ""
            assert approved.supplier_order_ref == ""


def test_dispatch_refused_when_the_permit_has_expired(case_a, facilitator):
    today = timezone.localdate()
    case = walk_to(case_a, "regulatory_review", facilitator)
    give_documents(case, "approved", facilitator)
    give_documents(case, "customs", facilitator)
    case = case_apply(
        case=case,
        transition="record_permit",
        by=facilitator,
        permit_number="12B/BLR/2026/0999",
        permit_issued_on=today - dt.timedelta(days=200),
        permit_valid_until=today - dt.timedelta(days=1),
    )

    with pytest.raises(TransitionRefused) as refused:
        case_apply(case=case, transition="dispatch", by=facilitator, **shipment())

    expired = today - dt.timedelta(days=1)
    assert refused.value.messages == [
        f"The Form 12B permit expired on {expired:%d %b %Y}; the kit cannot be dispatched on it. "
        "Apply for a new permit.",
        f"The Form 12B permit expires on {expired:%d %b %Y}, before the kit's ETA of "
        f"{timezone.localdate(shipment()['eta']):%d %b %Y}: it would arrive on an expired permit.",
    ]
    case.refresh_from_db()
    assert case.state == "approved"


def test_dispatch_allowed_on_the_last_day_of_the_permit(case_a, facilitator):
    today = timezone.localdate()
    case = walk_to(case_a, "regulatory_review", facilitator)
    give_documents(case, "approved", facilitator)
    give_documents(case, "customs", facilitator)
    case = case_apply(
        case=case,
        transition="record_permit",
        by=facilitator,
        permit_number="12B/BLR/2026/0999",
        permit_issued_on=today - dt.timedelta(days=180),
        permit_valid_until=today,
    )

    # The kit is due today as well: the permit must not expire before the ETA.
    case = case_apply(
        case=case, transition="dispatch", by=facilitator, **shipment(eta=timezone.now())
    )

    assert case.state == "customs"


def test_dispatch_refused_without_recent_weight(doctor1, facilitator):
    case = approved_case_with_weight_measured(15, doctor1.doctor, facilitator)

    with pytest.raises(TransitionRefused) as refused:
        case_apply(case=case, transition="dispatch", by=facilitator, **shipment())

    assert refused.value.messages == [weight_message(15)]
    case.refresh_from_db()
    assert case.state == "approved"


def test_dispatch_allowed_with_a_weight_measured_exactly_14_days_ago(doctor1, facilitator):
    case = approved_case_with_weight_measured(14, doctor1.doctor, facilitator)

    case = case_apply(case=case, transition="dispatch", by=facilitator, **shipment())

    assert case.state == "customs"


def test_dispatch_uses_the_latest_weight_not_an_older_one(doctor1, facilitator):
    case = approved_case_with_weight_measured(40, doctor1.doctor, facilitator)
    WeightMeasurementFactory(patient=case.patient, measured_on=timezone.localdate())

    case = case_apply(case=case, transition="dispatch", by=facilitator, **shipment())

    assert case.state == "customs"
