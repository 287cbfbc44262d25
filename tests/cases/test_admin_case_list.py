from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from cases.services import case_apply
from tests.factories import CaseFactory, PatientFactory, default_facts, walk_to

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:cases_case_changelist")
# What one page of the case list may cost, whatever the number of cases: session, user,
# facilitator check, permissions, counts, one query for the page, filter choices (11 today).
QUERY_BUDGET = 12


def make_cases(count, doctors, facilitator):
    patients = [PatientFactory() for _ in range(5)]
    cases = []
    for n in range(count):
        doctor = doctors[n % len(doctors)]
        cases.append(
            CaseFactory(patient=patients[n % 5], doctor=doctor.doctor, facilitator=facilitator)
        )
    return cases


@pytest.fixture
def facilitator_client(client, facilitator):
    client.force_login(facilitator)
    return client


def test_case_list_costs_the_same_queries_for_10_and_200_cases(
    facilitator_client, facilitator, doctor1, doctor2, django_assert_max_num_queries
):
    cases = make_cases(10, [doctor1, doctor2], facilitator)
    # A few cases further along, so the page shows more than one state.
    walk_to(cases[0], "customs", facilitator)
    case_apply(case=cases[1], transition="hold", by=facilitator, **default_facts("hold"))

    with django_assert_max_num_queries(QUERY_BUDGET):
        response = facilitator_client.get(CHANGELIST)
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 10
    with CaptureQueriesContext(connection) as at_10:
        facilitator_client.get(CHANGELIST)

    make_cases(190, [doctor1, doctor2], facilitator)

    with django_assert_max_num_queries(QUERY_BUDGET):
        response = facilitator_client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 200
    with django_assert_max_num_queries(len(at_10)):
        facilitator_client.get(CHANGELIST)


def test_case_list_shows_state_days_patient_doctor_hospital_and_facilitator(
    facilitator_client, case_a, facilitator
):
    walk_to(case_a, "approved", facilitator)

    response = facilitator_client.get(CHANGELIST)

    content = response.content.decode()
    for shown in (
        case_a.reference,
        "Approved (Form 12B)",
        case_a.patient.full_name,
        case_a.hospital.name,
        str(case_a.doctor),
        facilitator.username,
        "Days in state",
    ):
        assert escape(shown) in content, shown


@pytest.fixture
def three_cases(case_a, case_b, facilitator):
    case_a = walk_to(case_a, "customs", facilitator)  # has an AWB now
    return case_a, case_b, CaseFactory(doctor=case_b.doctor)


def search(client, term):
    response = client.get(CHANGELIST, {"q": term})
    assert response.status_code == 200
    return {case.reference for case in response.context["cl"].result_list}


def test_search_finds_a_case_by_reference(facilitator_client, three_cases):
    target = three_cases[1]

    assert search(facilitator_client, target.reference) == {target.reference}


def test_search_finds_a_case_by_patient_name(facilitator_client, three_cases):
    target = three_cases[2]

    assert search(facilitator_client, target.patient.full_name) == {target.reference}


def test_search_finds_a_case_by_air_waybill(facilitator_client, three_cases):
    target = three_cases[0]
    target.refresh_from_db()

    assert search(facilitator_client, target.awb_number) == {target.reference}


def test_list_filters_by_state(facilitator_client, three_cases):
    response = facilitator_client.get(CHANGELIST, {"state__exact": "customs"})

    assert [c.reference for c in response.context["cl"].result_list] == [three_cases[0].reference]


def test_staff_outside_the_facilitators_group_cannot_see_cases(
    client, staff_non_facilitator, case_a
):
    client.force_login(staff_non_facilitator)

    assert client.get(CHANGELIST).status_code == 403
    assert client.get(reverse("admin:cases_case_change", args=[case_a.pk])).status_code == 403
    assert case_a.reference not in client.get(reverse("admin:index")).content.decode()


def test_doctors_are_sent_to_the_admin_login(client, doctor1, case_a):
    client.force_login(doctor1)

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
