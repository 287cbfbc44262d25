"""A transition's permission is checked before its form (issue 12, item 7).

A form error ("please correct the fields below", the form redrawn with the case's page) tells
whoever posted it that the case exists and what it asks for; someone who may not run the
transition gets 404 (outside their scope) or 403 before any form is read. The rule is the
transition's own permission predicate, whatever it says; where no real user is refused (every
facilitator may run everything, a hospital admin may always confirm their own deliveries) the
tests make it say no.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases import access
from documents.models import Document
from tests.factories import walk_to

pytestmark = pytest.mark.django_db

CORRECT = "please correct the fields below"


@pytest.fixture
def refuse(monkeypatch):
    """``refuse("hold")``: from now on nobody may run ``hold``."""

    def refuse(name: str) -> None:
        monkeypatch.setitem(access.TRANSITION_ROLES, name, ())  # the one place that decides

    return refuse


def _messages(client) -> str:
    from django.contrib.messages import get_messages

    response = client.get(reverse("portal:home"))
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_admin_refuses_an_unpermitted_transition_before_reading_its_form(
    client, facilitator, case_a, refuse
):
    refuse("hold")
    client.force_login(facilitator)
    url = reverse("admin:cases_case_transition", args=[case_a.pk, "hold"])

    response = client.post(url, {"hold-hold_reason": "", "hold-seen_state": "application"})

    assert response.status_code == 403
    assert CORRECT not in _messages(client)
    case_a.refresh_from_db()
    assert case_a.state == "application"


def test_admin_refuses_staff_who_are_not_facilitators_before_any_form(
    client, staff_non_facilitator, case_a
):
    client.force_login(staff_non_facilitator)
    url = reverse("admin:cases_case_transition", args=[case_a.pk, "hold"])

    response = client.post(url, {"hold-hold_reason": ""})

    assert response.status_code == 403


def test_doctor_portal_refuses_a_facilitators_transition_before_reading_its_form(
    client, doctor1, case_a
):
    client.force_login(doctor1)
    url = reverse("portal:doctor_transition", args=[case_a.pk, "hold"])

    response = client.post(url, {"hold-hold_reason": "", "hold-seen_state": "application"})

    assert response.status_code == 403
    assert CORRECT not in response.content.decode()
    assert case_a.patient.full_name not in response.content.decode()
    assert CORRECT not in _messages(client)


def test_doctor_portal_answers_404_for_another_doctors_case_whatever_the_form(
    client, doctor2, case_a
):
    client.force_login(doctor2)
    url = reverse("portal:doctor_transition", args=[case_a.pk, "start_document_collection"])

    response = client.post(url, {"start_document_collection-seen_state": "bogus"})

    assert response.status_code == 404


def test_hospital_portal_refuses_an_unpermitted_confirmation_before_reading_its_form(
    client, hospital1, case_a, facilitator, refuse
):
    case = walk_to(case_a, "delivery", facilitator)
    refuse("confirm_delivery_and_schedule")
    client.force_login(hospital1)
    url = reverse("portal:hospital_confirm_delivery", args=[case.pk])

    response = client.post(url, {"confirm_delivery_and_schedule-received_at": "not a time"})

    assert response.status_code == 403
    assert CORRECT not in response.content.decode()
    assert not Document.objects.filter(case=case, document_type__code="temperature_log").exists()


def test_hospital_portal_answers_404_for_another_hospitals_case_whatever_the_form(
    client, hospital2, case_a, facilitator
):
    case = walk_to(case_a, "delivery", facilitator)
    client.force_login(hospital2)
    url = reverse("portal:hospital_confirm_delivery", args=[case.pk])

    response = client.post(url, {"confirm_delivery_and_schedule-received_at": "not a time"})

    assert response.status_code == 404
