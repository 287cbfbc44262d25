"""Adding a patient asks up front for what blocks the case later: the guardian's consent
(required: DPDP Act s.9(1)) and a weight (offered, and missed out loud)."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from cases.models import Patient

pytestmark = pytest.mark.django_db

ADD = reverse("admin:cases_patient_add")


def patient_form(**extra) -> dict:
    data = {
        "full_name": "Riya Menon",
        "date_of_birth": "2026-03-01",
        "sex": "F",
        "guardian_name": "Leela Menon",
        "guardian_relationship": "Mother",
        "city": "Kochi",
        "state": "Kerala",
        "identity_document": "birth_certificate",
        "consents-TOTAL_FORMS": "1",
        "consents-INITIAL_FORMS": "0",
        "consents-MIN_NUM_FORMS": "1",
        "consents-MAX_NUM_FORMS": "1000",
        "weights-TOTAL_FORMS": "1",
        "weights-INITIAL_FORMS": "0",
        "weights-MIN_NUM_FORMS": "0",
        "weights-MAX_NUM_FORMS": "1000",
    }
    data.update(extra)
    return data


CONSENT = {
    "consents-0-given_by": "Leela Menon",
    "consents-0-relationship": "Mother",
    "consents-0-verified_how": "in_person",
    "consents-0-notice_version": "2026-11",
    "consents-0-given_at_0": "2026-11-30",
    "consents-0-given_at_1": "10:00",
}


def test_the_add_form_asks_for_consent_weight_and_gestational_age(client, facilitator):
    client.force_login(facilitator)
    page = client.get(ADD).content.decode()
    assert 'name="consents-0-given_by"' in page
    assert 'name="weights-0-weight_kg"' in page
    assert 'name="gestational_age_weeks"' in page


def test_a_patient_without_the_guardians_consent_is_not_added(client, facilitator):
    client.force_login(facilitator)
    response = client.post(ADD, patient_form())
    assert response.status_code == 200  # the form again, with its errors
    assert not Patient.objects.filter(full_name="Riya Menon").exists()


def test_a_patient_with_consent_and_weight_is_added_with_both(client, facilitator):
    client.force_login(facilitator)
    today = timezone.localdate().isoformat()
    client.post(
        ADD,
        patient_form(**CONSENT, **{"weights-0-measured_on": today, "weights-0-weight_kg": "4.35"}),
    )
    patient = Patient.objects.get(full_name="Riya Menon")
    assert patient.current_consent().given_by == "Leela Menon"
    assert str(patient.latest_weight().weight_kg) == "4.35"


def test_adding_a_patient_without_a_weight_says_what_it_blocks(client, facilitator):
    client.force_login(facilitator)
    response = client.post(ADD, patient_form(**CONSENT), follow=True)
    assert Patient.objects.filter(full_name="Riya Menon").exists()
    assert any(
        "No weight is recorded for Riya Menon" in str(m)
        for m in get_messages(response.wsgi_request)
    )
