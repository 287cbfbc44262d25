"""Weights and the guardian's consent are written through services, by facilitators only; the
patient page's inlines use the same services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Consent, WeightMeasurement
from cases.services import (
    patient_change_consent,
    patient_correct_weight,
    patient_delete_weight,
    patient_record_consent,
    patient_record_weight,
)
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

OTHERS = ["doctor1", "hospital1", "staff_non_facilitator", "outsider"]


@pytest.fixture
def patient(db):
    return PatientFactory(weight=False, consent=False)


def _weigh(patient, by, **values):
    return patient_record_weight(
        patient=patient,
        by=by,
        **{"measured_on": timezone.localdate(), "weight_kg": Decimal("8.45"), **values},
    )


def _consent(patient, by, **values):
    return patient_record_consent(
        patient=patient,
        by=by,
        **{
            "given_by": patient.guardian_name,
            "relationship": "Mother",
            "verified_how": "in_person",
            "notice_version": "2026-11",
            **values,
        },
    )


# --- Weights ------------------------------------------------------------------------------------


def test_a_facilitator_records_a_weight_to_the_hundredth(patient, facilitator):
    weight = _weigh(patient, facilitator, measured_by="Clinic nurse")

    assert patient.latest_weight() == weight
    assert weight.weight_kg == Decimal("8.45")


@pytest.mark.parametrize("who", OTHERS)
def test_no_one_else_records_corrects_or_removes_a_weight(who, request, patient, facilitator):
    user = request.getfixturevalue(who)
    weight = _weigh(patient, facilitator)

    with pytest.raises(PermissionDenied):
        _weigh(patient, user)
    with pytest.raises(PermissionDenied):
        patient_correct_weight(weight=weight, by=user, weight_kg=Decimal("9"))
    with pytest.raises(PermissionDenied):
        patient_delete_weight(weight=weight, by=user)

    assert list(WeightMeasurement.objects.values_list("weight_kg", flat=True)) == [Decimal("8.45")]


@pytest.mark.parametrize(
    "bad",
    [
        {"weight_kg": Decimal("0.3")},
        {"weight_kg": Decimal("31")},
        {"measured_on": timezone.localdate() + dt.timedelta(days=1)},
    ],
)
def test_an_impossible_weight_is_refused_and_nothing_changes(bad, patient, facilitator):
    with pytest.raises(ValidationError):
        _weigh(patient, facilitator, **bad)
    assert not WeightMeasurement.objects.exists()

    weight = _weigh(patient, facilitator)
    with pytest.raises(ValidationError):
        patient_correct_weight(weight=weight, by=facilitator, **bad)
    weight.refresh_from_db()
    assert weight.weight_kg == Decimal("8.45")
    assert weight.measured_on == timezone.localdate()


def test_a_facilitator_corrects_and_removes_a_weight(patient, facilitator):
    weight = _weigh(patient, facilitator)

    patient_correct_weight(weight=weight, by=facilitator, weight_kg=Decimal("8.5"))
    assert WeightMeasurement.objects.get().weight_kg == Decimal("8.5")

    patient_delete_weight(weight=weight, by=facilitator)
    assert not WeightMeasurement.objects.exists()


def test_a_weight_records_only_its_own_fields(patient, facilitator):
    weight = _weigh(patient, facilitator)

    with pytest.raises(ValueError, match="patient"):
        patient_correct_weight(
            weight=weight, by=facilitator, patient=PatientFactory(weight=False, consent=False)
        )

    assert WeightMeasurement.objects.get().patient == patient


# --- Consents -----------------------------------------------------------------------------------


def test_a_facilitator_records_the_guardians_consent_and_is_named_on_it(patient, facilitator):
    consent = _consent(patient, facilitator)

    assert patient.current_consent() == consent
    assert consent.recorded_by == facilitator


@pytest.mark.parametrize("who", OTHERS)
def test_no_one_else_records_or_changes_a_consent(who, request, patient, facilitator):
    user = request.getfixturevalue(who)
    consent = _consent(patient, facilitator)

    with pytest.raises(PermissionDenied):
        _consent(patient, user)
    with pytest.raises(PermissionDenied):
        patient_change_consent(consent=consent, by=user, withdrawn_at=timezone.now())

    assert Consent.objects.get().withdrawn_at is None


def test_a_withdrawal_is_recorded_on_the_consent_which_is_kept(patient, facilitator):
    consent = _consent(patient, facilitator)

    patient_change_consent(consent=consent, by=facilitator, withdrawn_at=timezone.now())

    assert Consent.objects.get().withdrawn_at is not None
    assert patient.current_consent() is None


def test_a_consent_without_its_verification_is_refused_and_nothing_changes(patient, facilitator):
    with pytest.raises(ValidationError):
        _consent(patient, facilitator, verified_how="a phone call")
    assert not Consent.objects.exists()

    consent = _consent(patient, facilitator)
    with pytest.raises(ValidationError):
        patient_change_consent(consent=consent, by=facilitator, notice_version="")
    assert Consent.objects.get().notice_version == "2026-11"


# --- The patient page's inlines -----------------------------------------------------------------


def _patient_form(client, patient) -> dict:
    url = reverse("admin:cases_patient_change", args=[patient.pk])
    form = client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update(
        {
            "date_of_birth": patient.date_of_birth.isoformat(),
            "genetic_test_date": patient.genetic_test_date.isoformat(),
            "smn1_biallelic_confirmed": "on",
            "consents-TOTAL_FORMS": "0",
            "consents-INITIAL_FORMS": "0",
            "weights-TOTAL_FORMS": "0",
            "weights-INITIAL_FORMS": "0",
        }
    )
    data.pop("active_infection", None)
    return data


@pytest.fixture
def spy(monkeypatch):
    calls = []
    for name in (
        "patient_record_weight",
        "patient_correct_weight",
        "patient_delete_weight",
        "patient_record_consent",
        "patient_change_consent",
    ):
        real = getattr(services, name)
        monkeypatch.setattr(
            services, name, lambda real=real, name=name, **kw: calls.append(name) or real(**kw)
        )
    return calls


def test_facilitators_see_the_consent_and_weight_inlines(client, patient, facilitator):
    client.force_login(facilitator)

    response = client.get(reverse("admin:cases_patient_change", args=[patient.pk]))

    prefixes = [inline.formset.prefix for inline in response.context["inline_admin_formsets"]]
    assert prefixes == ["consents", "weights"]


def test_the_patient_pages_inlines_write_through_the_services(client, patient, facilitator, spy):
    client.force_login(facilitator)
    url = reverse("admin:cases_patient_change", args=[patient.pk])
    today = timezone.localdate().isoformat()
    data = _patient_form(client, patient)
    data.update(
        {
            "weights-TOTAL_FORMS": "1",
            "weights-0-measured_on": today,
            "weights-0-weight_kg": "8.40",
            "weights-0-measured_by": "Clinic nurse",
            "consents-TOTAL_FORMS": "1",
            "consents-0-given_by": patient.guardian_name,
            "consents-0-relationship": "Mother",
            "consents-0-verified_how": "in_person",
            "consents-0-notice_version": "2026-11",
            "consents-0-given_at_0": today,
            "consents-0-given_at_1": "10:00:00",
        }
    )

    response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert Consent.objects.get().recorded_by == facilitator
    weight = WeightMeasurement.objects.get()
    assert spy == ["patient_record_consent", "patient_record_weight"]

    data = _patient_form(client, patient)
    data.update(
        {
            "weights-TOTAL_FORMS": "1",
            "weights-INITIAL_FORMS": "1",
            "weights-0-id": weight.pk,
            "weights-0-patient": patient.pk,
            "weights-0-measured_on": today,
            "weights-0-weight_kg": "8.60",
            "weights-0-measured_by": "Clinic nurse",
        }
    )
    assert client.post(url, data).status_code == 302
    assert WeightMeasurement.objects.get().weight_kg == Decimal("8.60")

    data["weights-0-DELETE"] = "on"
    assert client.post(url, data).status_code == 302
    assert not WeightMeasurement.objects.exists()
    assert spy[2:] == ["patient_correct_weight", "patient_delete_weight"]
