"""cases.access answers every "may this user see / do this": one story per persona."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from cases import access
from cases.models import Case
from cases.selectors import available_transitions
from cases.services import TRANSITION_FACTS
from documents.models import DocumentType
from documents.services import case_grant_clinical_access
from tests.factories import FacilitatorFactory, UserFactory

pytestmark = pytest.mark.django_db

PERSONAS = [
    "facilitator",
    "doctor1",
    "doctor2",
    "hospital1",
    "hospital2",
    "staff_non_facilitator",
    "outsider",
]


def test_each_persona_has_one_role(
    facilitator, doctor1, hospital1, outsider, staff_non_facilitator
):
    assert access.role(facilitator) == access.FACILITATOR
    assert access.role(doctor1) == access.DOCTOR
    assert access.role(hospital1) == access.HOSPITAL
    assert access.role(outsider) is None
    assert access.role(staff_non_facilitator) is None
    assert access.role(AnonymousUser()) is None
    assert access.role(None) is None


def test_a_staff_session_without_the_second_factor_is_not_a_facilitator(facilitator):
    facilitator.is_verified = lambda: False  # what django-otp says before the code

    assert not access.is_facilitator(facilitator)
    assert not access.may_enter_admin(facilitator)
    assert access.two_factor_required(facilitator)


def test_staff_outside_the_group_may_enter_the_admin_but_see_no_patient_data(
    staff_non_facilitator, case_a
):
    assert access.may_enter_admin(staff_non_facilitator)
    assert not access.may_use_desk(staff_non_facilitator)
    assert not access.may_see_case(staff_non_facilitator, case_a)
    assert not access.cases_visible_to(staff_non_facilitator).exists()


def test_deactivated_users_are_refused_everything(case_a, doctor1):
    former = FacilitatorFactory(username="former", is_active=False)
    doctor1.is_active = False

    for user in (former, doctor1):
        assert access.role(user) is None
        assert not access.may_see_case(user, case_a)
        assert not access.may_run(user, case_a, "start_document_collection")
        assert not access.may_enter_admin(user)


def test_a_superuser_facilitator_alone_may_delete_records(facilitator):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)

    assert access.may_delete_records(root)
    assert not access.may_delete_records(facilitator)


@pytest.mark.parametrize("who", PERSONAS)
def test_may_see_case_agrees_with_cases_visible_to(who, request, case_a, case_b):
    user = request.getfixturevalue(who)
    visible = set(access.cases_visible_to(user).values_list("pk", flat=True))

    assert {case.pk for case in Case.objects.all() if access.may_see_case(user, case)} == visible


def test_each_role_sees_its_own_cases(facilitator, doctor1, hospital2, outsider, case_a, case_b):
    assert set(access.cases_visible_to(facilitator)) == {case_a, case_b}
    assert list(access.cases_visible_to(doctor1)) == [case_a]
    assert list(access.cases_visible_to(hospital2)) == [case_b]
    assert list(access.cases_visible_to(outsider)) == []


def test_hospital_admins_see_the_clinical_side_only_once_granted(
    facilitator, doctor1, hospital1, hospital2, case_a
):
    clinical = DocumentType.objects.get(code="prescription")
    shipment = DocumentType.objects.filter(shipment_side=True).first()

    assert access.sees_clinical(facilitator, case_a)
    assert access.sees_clinical(doctor1, case_a)
    assert not access.sees_clinical(hospital1, case_a)
    assert access.may_see_document(hospital1, case_a, shipment)
    assert not access.may_see_document(hospital1, case_a, clinical)

    case_grant_clinical_access(case=case_a, by=facilitator, reason="Infusion team.")

    assert access.sees_clinical(hospital1, case_a)
    assert access.may_see_document(hospital1, case_a, clinical)
    assert not access.sees_clinical(hospital2, case_a)
    assert not access.may_see_document(hospital2, case_a, shipment)


def test_uploads_follow_the_document_types_flags(facilitator, doctor1, doctor2, hospital1, case_a):
    for doc_type in DocumentType.objects.all():
        assert access.may_upload(facilitator, case_a, doc_type)
        assert access.may_upload(doctor1, case_a, doc_type) == doc_type.uploadable_by_doctor
        assert access.may_upload(hospital1, case_a, doc_type) == doc_type.uploadable_by_hospital
        assert not access.may_upload(doctor2, case_a, doc_type)


def test_every_transition_has_its_roles_and_django_fsm_asks_the_same_table(request, case_a, case_b):
    assert set(access.TRANSITION_ROLES) == set(TRANSITION_FACTS)
    for who in PERSONAS:
        user = request.getfixturevalue(who)
        for name in TRANSITION_FACTS:
            for transition in getattr(Case, name)._django_fsm.transitions.values():
                assert transition.has_perm(case_a, user) == access.may_run(user, case_a, name)


def test_doctors_and_hospital_admins_run_only_their_transitions_on_their_own_cases(
    doctor1, doctor2, hospital1, case_a
):
    assert access.may_run(doctor1, case_a, "start_document_collection")
    assert access.may_run(doctor1, case_a, "record_infusion")
    assert not access.may_run(doctor1, case_a, "cancel")
    assert not access.may_run(doctor2, case_a, "start_document_collection")
    assert access.may_run(hospital1, case_a, "confirm_delivery_and_schedule")
    assert not access.may_run(hospital1, case_a, "record_infusion")
    assert not access.may_run(doctor1, case_a, "no_such_transition")


def test_available_transitions_offers_what_may_run_allows(doctor1, case_a):
    assert available_transitions(case_a, doctor1) == ["start_document_collection"]


def test_facilitator_only_decisions(facilitator, doctor1, hospital1, case_a):
    only_facilitators = [
        access.may_create_case,
        access.may_export_identifiers,
        access.may_use_desk,
        lambda user: access.may_override_eligibility(user, case_a),
        lambda user: access.may_grant_clinical_access(user, case_a),
        lambda user: access.may_review_documents(user, case_a),
        lambda user: access.may_build_packets(user, case_a),
        lambda user: access.may_record_facilitator_facts(user, case_a),
        lambda user: access.may_record_weight(user, case_a.patient),
        lambda user: access.may_record_consent(user, case_a.patient),
    ]
    for decide in only_facilitators:
        assert decide(facilitator)
        assert not decide(doctor1)
        assert not decide(hospital1)
        assert not decide(None)


def test_lab_results_are_recorded_by_facilitators_and_the_treating_doctor(
    facilitator, doctor1, doctor2, hospital1, case_a
):
    assert access.may_record_lab_result(facilitator, case_a)
    assert access.may_record_lab_result(doctor1, case_a)
    assert not access.may_record_lab_result(doctor2, case_a)
    assert not access.may_record_lab_result(hospital1, case_a)


def test_portal_reminders_are_for_doctors_and_hospital_admins(
    facilitator, doctor1, hospital1, outsider
):
    assert access.may_read_portal_reminders(doctor1)
    assert access.may_read_portal_reminders(hospital1)
    assert not access.may_read_portal_reminders(facilitator)
    assert not access.may_read_portal_reminders(outsider)
