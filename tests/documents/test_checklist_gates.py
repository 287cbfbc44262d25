"""The checklist as a gate: which lines hold a case, and what they say."""

from __future__ import annotations

import pytest

from cases.services import TransitionRefused, case_apply
from documents.selectors import LineStatus, checklist
from tests.factories import default_facts, give_documents, upload_document, walk_to

pytestmark = pytest.mark.django_db


def test_a_prescription_waiting_for_review_holds_the_submission(case_a, facilitator, doctor1):
    case = walk_to(case_a, "documents", facilitator)
    give_documents(case, "regulatory_review", facilitator)
    upload_document(case, "prescription", doctor1, accept=False)  # a newer version, unreviewed
    with pytest.raises(TransitionRefused) as refused:
        case_apply(case=case, transition="submit_to_regulator", by=facilitator)
    assert any("RMP prescription" in m and "not yet reviewed" in m for m in refused.value.messages)


def test_the_hospitals_receipt_records_do_not_wait_for_review_to_schedule_the_infusion(
    case_a, facilitator, hospital1
):
    case = walk_to(case_a, "delivery", facilitator)
    give_documents(case, "infusion_scheduled", facilitator)
    for code in ("temperature_log", "delivery_receipt"):
        case.documents.filter(document_type__code=code).delete()
        upload_document(case, code, hospital1, accept=False)
    lines = {line.document_type.code: line for line in checklist(case)}
    assert lines["delivery_receipt"].status == LineStatus.PENDING  # shown as it is
    case = case_apply(
        case=case,
        transition="confirm_delivery_and_schedule",
        by=hospital1,
        **default_facts("confirm_delivery_and_schedule"),
    )
    assert case.state == "infusion_scheduled"


def test_a_rejected_temperature_log_still_holds_the_case(case_a, facilitator, hospital1):
    from documents.models import ReviewStatus
    from documents.services import document_review

    case = walk_to(case_a, "delivery", facilitator)
    give_documents(case, "infusion_scheduled", facilitator)
    log = upload_document(case, "temperature_log", hospital1, accept=False)
    document_review(
        document=log,
        by=facilitator,
        status=ReviewStatus.REJECTED,
        note="Excursion above -60 C at 14:10",
    )
    with pytest.raises(TransitionRefused) as refused:
        case_apply(
            case=case,
            transition="confirm_delivery_and_schedule",
            by=hospital1,
            **default_facts("confirm_delivery_and_schedule"),
        )
    assert any("Excursion above -60 C" in m for m in refused.value.messages)
