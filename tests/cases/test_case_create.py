"""case_create opens and numbers a case, for facilitators only; the admin's add form uses it."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Case, CaseSequence
from cases.services import case_create
from tests.factories import PatientFactory, zolgensma

pytestmark = pytest.mark.django_db


def _fields(doctor_user):
    doctor = doctor_user.doctor
    return {
        "patient": PatientFactory(),
        "product": zolgensma(),
        "doctor": doctor,
        "hospital": doctor.hospital,
    }


def test_a_facilitator_opens_a_numbered_case_in_application(facilitator, doctor1):
    case = case_create(by=facilitator, **_fields(doctor1))

    assert case.state == "application"
    assert case.reference == f"NPP-{timezone.localdate().year}-0001"


@pytest.mark.parametrize("who", ["doctor1", "hospital1", "staff_non_facilitator", "outsider"])
def test_no_one_else_may_open_a_case_and_no_number_is_used(who, request, doctor1):
    with pytest.raises(PermissionDenied):
        case_create(by=request.getfixturevalue(who), **_fields(doctor1))

    assert not Case.objects.exists()
    assert not CaseSequence.objects.exists()


def test_without_a_user_no_case_is_opened(doctor1):
    with pytest.raises(PermissionDenied):
        case_create(by=None, **_fields(doctor1))


def test_an_invalid_case_is_refused_without_using_a_number(facilitator, doctor1):
    fields = _fields(doctor1)
    del fields["patient"]

    with pytest.raises(ValidationError):
        case_create(by=facilitator, **fields)

    assert not Case.objects.exists()
    assert case_create(by=facilitator, **_fields(doctor1)).reference.endswith("-0001")


def test_facts_recorded_by_transitions_cannot_be_given_at_opening(facilitator, doctor1):
    with pytest.raises(ValueError, match="permit_number"):
        case_create(by=facilitator, permit_number="12B/FORGED", **_fields(doctor1))

    assert not Case.objects.exists()


def test_the_admins_add_form_opens_the_case_through_the_service(
    client, facilitator, doctor1, monkeypatch
):
    calls = []
    real = services.case_create

    def spy(**kwargs):
        calls.append(kwargs["by"])
        return real(**kwargs)

    monkeypatch.setattr(services, "case_create", spy)
    client.force_login(facilitator)
    fields = _fields(doctor1)
    data = {
        "priority": "normal",
        "facilitator": facilitator.pk,
        **{name: value.pk for name, value in fields.items()},
    }

    response = client.post(reverse("admin:cases_case_add"), data)

    case = Case.objects.get()
    assert response.status_code == 302
    assert calls == [facilitator]
    # The admin's own record of the addition names the case the service saved.
    assert LogEntry.objects.get(action_flag=ADDITION).object_id == str(case.pk)
    assert case.reference.endswith("-0001")
    assert case.state == "application"
