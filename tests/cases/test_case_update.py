"""A case's own details and a safety follow-up's resolution change through services, from the
admin as from anywhere (issue 11: every write through a service)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cases.models import Case, SafetyFollowUp
from cases.services import case_update, safety_follow_up_resolve
from tests.factories import PatientFactory, walk_to

pytestmark = pytest.mark.django_db


def test_a_facilitator_changes_the_priority_and_the_patient_while_documents_are_collected(
    case_a, facilitator
):
    other = PatientFactory()
    case = case_update(case=case_a, by=facilitator, priority="urgent", patient=other)
    case_a.refresh_from_db()
    assert (case_a.priority, case_a.patient) == ("urgent", other)
    assert case.state == "application"


def test_the_parties_are_settled_once_the_case_went_to_the_regulator(case_a, facilitator):
    case = walk_to(case_a, "regulatory_review", facilitator)
    with pytest.raises(ValidationError, match="can no longer change"):
        case_update(case=case, by=facilitator, patient=PatientFactory(), priority="urgent")
    case.refresh_from_db()
    assert case.priority == "normal"  # nothing half-saved
    assert case_update(case=case, by=facilitator, priority="urgent").priority == "urgent"


def test_only_a_facilitator_changes_a_case(case_a, doctor1):
    with pytest.raises(PermissionDenied):
        case_update(case=case_a, by=doctor1, priority="urgent")
    assert Case.objects.get(pk=case_a.pk).priority == "normal"


def test_the_admin_change_form_saves_through_the_service(client, facilitator, case_a):
    client.force_login(facilitator)
    url = reverse("admin:cases_case_change", args=[case_a.pk])
    data = {
        "priority": "urgent",
        "facilitator": facilitator.pk,
        "patient": case_a.patient_id,
        "product": case_a.product_id,
        "doctor": case_a.doctor_id,
        "hospital": case_a.hospital_id,
    }
    for prefix in {fs.prefix for fs in client.get(url).context["inline_admin_formsets"]}:
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:500]
    assert Case.objects.get(pk=case_a.pk).priority == "urgent"


def _follow_up(case, by) -> SafetyFollowUp:
    return SafetyFollowUp.objects.create(
        case=case,
        transition="record_infusion",
        codes="cold_chain_window",
        details="Late.",
        note="Flight delay.",
        raised_by=by,
    )


def test_a_resolution_closes_a_follow_up_with_when_and_clearing_it_reopens(case_a, facilitator):
    follow_up = safety_follow_up_resolve(
        follow_up=_follow_up(case_a, facilitator), by=facilitator, resolution=" Manufacturer told. "
    )
    assert follow_up.resolution == "Manufacturer told."
    assert follow_up.resolved_at is not None
    reopened = safety_follow_up_resolve(follow_up=follow_up, by=facilitator, resolution="")
    assert reopened.resolved_at is None


def test_only_a_facilitator_resolves_a_follow_up(case_a, facilitator, doctor1):
    follow_up = _follow_up(case_a, facilitator)
    with pytest.raises(PermissionDenied):
        safety_follow_up_resolve(follow_up=follow_up, by=doctor1, resolution="Done.")
    follow_up.refresh_from_db()
    assert follow_up.resolved_at is None
