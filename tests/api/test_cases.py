"""The case endpoints: list (scope, filters, cursor), one case, blockers, timeline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from time_machine import travel

from cases.states import CaseState
from documents.services import case_grant_clinical_access
from tests.factories import CaseFactory, PatientFactory, walk_to

pytestmark = pytest.mark.django_db


def references(response) -> list[str]:
    return [row["reference"] for row in response.json()["results"]]


def test_a_doctor_lists_only_their_own_cases_newest_first(api, case_a, case_b, doctor1):
    newer = CaseFactory(doctor=doctor1.doctor)

    response = api(doctor1).get("/api/v1/cases/")

    assert response.status_code == 200
    assert references(response) == [newer.reference, case_a.reference]


def test_the_facilitator_lists_every_case_and_filters_by_state_hospital_doctor(
    api, facilitator, case_a, case_b, doctor2
):
    walk_to(case_a, CaseState.DOCUMENTS, facilitator)
    client = api(facilitator)

    assert set(references(client.get("/api/v1/cases/"))) == {case_a.reference, case_b.reference}
    assert references(client.get("/api/v1/cases/?state=documents")) == [case_a.reference]
    assert references(client.get(f"/api/v1/cases/?hospital={case_b.hospital_id}")) == [
        case_b.reference
    ]
    assert references(client.get(f"/api/v1/cases/?doctor={doctor2.doctor.pk}")) == [
        case_b.reference
    ]


def test_updated_since_lists_cases_changed_at_or_after_it(api, facilitator, case_a, case_b):
    since = timezone.now() + dt.timedelta(seconds=1)

    with travel(since + dt.timedelta(minutes=1)):
        walk_to(case_b, CaseState.DOCUMENTS, facilitator)

    response = api(facilitator).get("/api/v1/cases/", {"updated_since": since.isoformat()})

    assert references(response) == [case_b.reference]


def test_a_filter_value_that_is_not_one_answers_400(api, facilitator):
    response = api(facilitator).get("/api/v1/cases/?state=lost&updated_since=yesterday")

    assert response.status_code == 400
    assert set(response.json()) == {"state", "updated_since"}


def test_filtering_never_widens_the_scope(api, doctor1, case_b):
    response = api(doctor1).get(f"/api/v1/cases/?hospital={case_b.hospital_id}")

    assert references(response) == []


def test_lists_page_by_cursor(api, doctor1):
    made = [CaseFactory(doctor=doctor1.doctor).reference for _ in range(3)]
    client = api(doctor1)

    first = client.get("/api/v1/cases/?page_size=2").json()
    second = client.get(first["next"]).json()

    assert [r["reference"] for r in first["results"] + second["results"]] == made[::-1]
    assert second["next"] is None
    assert "cursor=" in first["next"]


def test_a_case_by_reference_with_its_shipment_and_clinical_side(api, doctor1, case_a):
    response = api(doctor1).get(f"/api/v1/cases/{case_a.reference}/")

    body = response.json()
    assert response.status_code == 200
    assert body["reference"] == case_a.reference
    assert body["patient"] == case_a.patient.full_name
    assert body["shipment"]["awb_number"] == ""
    assert body["clinical"] is not None
    assert body["documents_url"].endswith(f"/api/v1/cases/{case_a.reference}/documents/")


def test_a_hospital_admin_sees_the_clinical_side_only_once_granted(
    api, hospital1, facilitator, case_a
):
    client = api(hospital1)
    url = f"/api/v1/cases/{case_a.reference}/"

    assert client.get(url).json()["clinical"] is None
    case_grant_clinical_access(case=case_a, by=facilitator, reason="Pharmacy needs the labs.")
    assert client.get(url).json()["clinical"] is not None


def test_a_case_out_of_scope_answers_404_like_one_that_does_not_exist(api, doctor2, case_a):
    client = api(doctor2)

    for url in (f"/api/v1/cases/{case_a.reference}/", "/api/v1/cases/NPP-1999-0001/"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json() == {"detail": "No such case."}


def test_blockers_name_each_available_transition_with_its_rule_codes(api, doctor1, facilitator):
    case = CaseFactory(
        doctor=doctor1.doctor,
        patient=PatientFactory(date_of_birth=timezone.localdate() - dt.timedelta(days=800)),
    )

    body = api(doctor1).get(f"/api/v1/cases/{case.reference}/blockers/").json()

    (start,) = body["transitions"]  # a doctor may only start document collection here
    assert start["name"] == "start_document_collection"
    assert start["ready"] is False
    assert [b["code"] for b in start["blockers"]] == ["second_birthday"]
    assert start["url"].endswith(
        f"/api/v1/cases/{case.reference}/transitions/start_document_collection/"
    )


def test_the_timeline_gives_each_stay_and_the_milestones(api, facilitator, case_a):
    walk_to(case_a, CaseState.DOCUMENTS, facilitator)

    body = api(facilitator).get(f"/api/v1/cases/{case_a.reference}/timeline/").json()

    assert [span["state"] for span in body["spans"]] == ["application", "documents"]
    assert body["spans"][-1]["ongoing"] is True
    assert body["milestones"] == []


def test_the_list_costs_the_same_queries_for_many_cases(api, doctor1):
    client = api(doctor1)
    CaseFactory(doctor=doctor1.doctor)
    client.get("/api/v1/cases/")  # the token's first use writes last_used_at

    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/cases/")
    for _ in range(5):
        CaseFactory(doctor=doctor1.doctor)
    with CaptureQueriesContext(connection) as six:
        client.get("/api/v1/cases/")

    assert len(six) == len(one) <= 4  # the token, the page of cases with its parties
