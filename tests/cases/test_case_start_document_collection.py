from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from cases.services import TransitionRefused, case_apply
from tests.factories import CaseFactory, PatientFactory, state_logs

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Asia/Kolkata")


def test_doctor_starts_document_collection_on_own_case_and_it_is_logged(case_a, doctor1):
    case_apply(
        case=case_a,
        transition="start_document_collection",
        by=doctor1,
        description="Consent taken.",
    )

    case_a.refresh_from_db()
    assert case_a.state == "documents"
    [log] = state_logs(case_a)
    assert (log.source_state, log.state, log.transition) == (
        "application",
        "documents",
        "start_document_collection",
    )
    assert log.by == doctor1
    assert log.description == "Consent taken."


def test_facilitator_may_start_document_collection(case_a, facilitator):
    case = case_apply(case=case_a, transition="start_document_collection", by=facilitator)

    assert case.state == "documents"
    assert state_logs(case)[0].by == facilitator


@time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=IST))
def test_start_refused_for_patient_aged_exactly_two_today(doctor1):
    patient = PatientFactory(date_of_birth=dt.date(2024, 6, 15))
    case = CaseFactory(patient=patient, doctor=doctor1.doctor)

    with pytest.raises(TransitionRefused) as refused:
        case_apply(case=case, transition="start_document_collection", by=doctor1)

    assert refused.value.messages == [
        "The label covers children under 2 years only: the child turns 2 on 15 Jun 2026, and "
        "today is 15 Jun 2026."
    ]
    case.refresh_from_db()
    assert case.state == "application"
    assert state_logs(case) == []


@time_machine.travel(dt.datetime(2026, 6, 15, 10, 0, tzinfo=IST))
def test_start_allowed_on_the_day_before_the_second_birthday(doctor1):
    patient = PatientFactory(date_of_birth=dt.date(2024, 6, 16))
    case = CaseFactory(patient=patient, doctor=doctor1.doctor)

    case = case_apply(case=case, transition="start_document_collection", by=doctor1)

    assert case.state == "documents"


@time_machine.travel(dt.datetime(2026, 6, 15, 2, 0, tzinfo=IST))
def test_age_is_judged_on_the_date_in_india_not_in_utc(doctor1):
    # 02:00 in India is still 14 June in UTC; the child turned 2 today in India.
    patient = PatientFactory(date_of_birth=dt.date(2024, 6, 15))
    case = CaseFactory(patient=patient, doctor=doctor1.doctor)

    with pytest.raises(TransitionRefused):
        case_apply(case=case, transition="start_document_collection", by=doctor1)


@pytest.mark.parametrize("who", ["doctor2", "hospital1", "hospital2", "outsider"])
def test_start_refused_to_anyone_but_the_facilitator_and_the_treating_doctor(case_a, who, request):
    user = request.getfixturevalue(who)

    with pytest.raises(PermissionDenied):
        case_apply(case=case_a, transition="start_document_collection", by=user)

    case_a.refresh_from_db()
    assert case_a.state == "application"
    assert state_logs(case_a) == []
