from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

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


def test_facilitator_submits_a_complete_case_to_the_regulator(case_a, facilitator):
    case = walk_to(case_a, "documents", facilitator)
    give_documents(case, "regulatory_review", facilitator)

    case = case_apply(
        case=case, transition="submit_to_regulator", by=facilitator, description="Form 12A filed."
    )

    case.refresh_from_db()
    assert case.state == "regulatory_review"
    log = state_logs(case)[-1]
    assert (log.source_state, log.state, log.by, log.description) == (
        "documents",
        "regulatory_review",
        facilitator,
        "Form 12A filed.",
    )


@pytest.mark.parametrize(
    ("patient_facts", "message"),
    [
        (
            {"smn1_biallelic_confirmed": False},
            "The genetic diagnosis (bi-allelic SMN1 mutation) is not confirmed.",
        ),
        ({"smn2_copy_number": None}, "The SMN2 copy number is not recorded."),
        ({"genetic_test_lab": ""}, "The genetic test lab and date are not recorded."),
        ({"genetic_test_date": None}, "The genetic test lab and date are not recorded."),
        (
            {"weight": False},
            "No weight recorded on or before {today}: record the child's weight (the kit is made up "
            "for one weight band).",
        ),
    ],
)
def test_submission_refused_while_the_diagnosis_or_weight_is_missing(
    doctor1, facilitator, patient_facts, message
):
    case = CaseFactory(patient=PatientFactory(**patient_facts), doctor=doctor1.doctor)
    case = walk_to(case, "documents", facilitator)
    give_documents(case, "regulatory_review", facilitator)

    with pytest.raises(TransitionRefused) as refused:
        case_apply(case=case, transition="submit_to_regulator", by=facilitator)

    today = timezone.localdate()
    assert refused.value.messages == [message.format(today=f"{today:%d %b %Y}")]
    case.refresh_from_db()
    assert case.state == "documents"
    assert len(state_logs(case)) == 1


def test_submission_lists_every_missing_item_at_once(doctor1, facilitator):
    patient = PatientFactory(smn1_biallelic_confirmed=False, smn2_copy_number=None, weight=False)
    case = walk_to(CaseFactory(patient=patient, doctor=doctor1.doctor), "documents", facilitator)
    give_documents(case, "regulatory_review", facilitator)

    with pytest.raises(TransitionRefused) as refused:
        case_apply(case=case, transition="submit_to_regulator", by=facilitator)

    assert len(refused.value.messages) == 3


def test_submission_refused_once_the_child_turned_two_during_document_collection(
    doctor1, facilitator
):
    with time_machine.travel(dt.datetime(2026, 6, 10, 10, 0, tzinfo=IST)):
        patient = PatientFactory(date_of_birth=dt.date(2024, 6, 15))
        case = walk_to(CaseFactory(patient=patient, doctor=doctor1.doctor), "documents", doctor1)
        give_documents(case, "regulatory_review", facilitator)

    with (
        time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=IST)),
        pytest.raises(TransitionRefused) as refused,
    ):
        case_apply(case=case, transition="submit_to_regulator", by=facilitator)

    assert (
        "The label covers children under 2 years only: the child turns 2 on 15 Jun 2026, "
        "and today is 15 Jun 2026."
    ) in refused.value.messages
    case.refresh_from_db()
    assert case.state == "documents"
