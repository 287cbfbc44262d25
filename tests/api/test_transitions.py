"""Transitions through the API run ``case_apply``: the same refusals (messages and rule
codes), conflicts, permissions and scope as the portals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cases.models import Case
from cases.services import TransitionRefused, case_apply
from documents.services import case_grant_clinical_access, document_review, document_upload
from tests.factories import CaseFactory, PatientFactory, default_facts, give_documents, walk_to
from tests.portal.conftest import doc_type, pdf_bytes

pytestmark = pytest.mark.django_db


def url(case, name: str) -> str:
    return f"/api/v1/cases/{case.reference}/transitions/{name}/"


def iso(facts: dict) -> dict:
    return {
        k: v.isoformat() if isinstance(v, dt.date | dt.datetime) else v for k, v in facts.items()
    }


@pytest.fixture
def approved(case_a, facilitator):
    case = walk_to(case_a, "approved", facilitator)
    give_documents(case, "customs", facilitator)  # only the shipment facts are missing
    return case


def test_a_transition_runs_and_answers_the_case(api, facilitator, approved):
    facts = default_facts("dispatch")

    response = api(facilitator).post(
        url(approved, "dispatch"), {**iso(facts), "note": "Shipped.", "expected_state": "approved"}
    )

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "customs"
    assert response.json()["shipment"]["awb_number"] == facts["awb_number"]
    approved.refresh_from_db()
    assert approved.state == "customs"


def test_a_refusal_gives_case_applys_messages_and_rule_codes(api, facilitator, approved):
    facts = {"courier": "World Courier"}  # no order reference, AWB or ETA
    with pytest.raises(TransitionRefused) as direct:
        case_apply(
            case=Case.objects.get(pk=approved.pk), transition="dispatch", by=facilitator, **facts
        )

    response = api(facilitator).post(url(approved, "dispatch"), facts)

    assert response.status_code == 422
    assert response.json() == {"errors": direct.value.messages, "codes": direct.value.codes}
    assert "order_details_missing" in response.json()["codes"]
    approved.refresh_from_db()
    assert approved.state == "approved"
    assert approved.courier == ""  # a refused transition records no fact


def test_a_doctor_giving_a_facilitator_only_fact_is_refused_in_case_applys_words(
    api, doctor1, facilitator
):
    case = walk_to(
        CaseFactory(doctor=doctor1.doctor, facilitator=facilitator),
        "infusion_scheduled",
        facilitator,
    )

    response = api(doctor1).post(
        url(case, "record_infusion"), {"infusion_deviation_note": "Given late."}
    )

    assert response.status_code == 422
    assert response.json() == {
        "errors": ["Only a facilitator may record the protocol deviation note."],
        "codes": ["facilitator_facts"],
    }


def test_a_case_changed_since_the_client_saw_it_answers_409(api, facilitator, approved):
    response = api(facilitator).post(
        url(approved, "dispatch"), {**iso(default_facts("dispatch")), "expected_state": "documents"}
    )

    assert response.status_code == 409
    assert response.json()["codes"] == ["case_conflict"]
    assert "was changed by someone else" in response.json()["errors"][0]


def test_a_transition_that_does_not_start_from_the_state_answers_409(api, facilitator, case_a):
    response = api(facilitator).post(url(case_a, "dispatch"), {})

    assert response.status_code == 409
    assert response.json()["codes"] == ["transition_not_available"]


def test_someone_who_sees_the_case_but_may_not_run_the_transition_gets_403(api, hospital1, case_a):
    response = api(hospital1).post(url(case_a, "start_document_collection"), {})

    assert response.status_code == 403
    assert response.json()["detail"].startswith("You may not 'Start document collection'")
    case_a.refresh_from_db()
    assert case_a.state == "application"


@pytest.mark.parametrize("who", ["doctor2", "hospital2", "outsider"])
def test_a_case_out_of_scope_answers_404_and_stays_as_it_was(api, request, who, case_a):
    response = api(request.getfixturevalue(who)).post(url(case_a, "start_document_collection"), {})

    assert response.status_code == 404
    case_a.refresh_from_db()
    assert case_a.state == "application"


def test_a_fact_the_transition_does_not_record_answers_400(api, facilitator, approved):
    response = api(facilitator).post(
        url(approved, "dispatch"), {**iso(default_facts("dispatch")), "permit_number": "X"}
    )

    assert response.status_code == 400
    assert "permit_number" in response.json()
    approved.refresh_from_db()
    assert approved.state == "approved"


def test_a_fact_of_the_wrong_type_answers_400(api, facilitator, approved):
    response = api(facilitator).post(url(approved, "dispatch"), {"eta": "next Tuesday"})

    assert response.status_code == 400
    assert set(response.json()) == {"eta"}


def test_an_unknown_transition_answers_404(api, facilitator, case_a):
    assert api(facilitator).post(url(case_a, "teleport"), {}).status_code == 404


def test_a_fact_left_out_keeps_the_value_on_the_case(api, facilitator, approved):
    Case.objects.filter(pk=approved.pk).update(courier="Cryoport")  # recorded earlier
    facts = iso({k: v for k, v in default_facts("dispatch").items() if k != "courier"})

    response = api(facilitator).post(url(approved, "dispatch"), facts)

    assert response.status_code == 200, response.json()
    approved.refresh_from_db()
    assert approved.courier == "Cryoport"


def test_a_hospital_admin_refused_reads_no_clinical_reason_until_granted(
    api, hospital1, doctor1, facilitator, case_a
):
    delivering = walk_to(case_a, "delivery", facilitator)
    for code in ("temperature_log", "delivery_receipt"):
        document = document_upload(
            case=delivering,
            document_type=doc_type(code),
            data=pdf_bytes(),
            filename=f"{code}.pdf",
            by=hospital1,
        )
        document_review(document=document, by=facilitator, status="accepted")
    bad_lft = document_upload(
        case=delivering,
        document_type=doc_type("liver_function"),
        data=pdf_bytes(),
        filename="lft-new.pdf",
        by=doctor1,
        sample_taken_on=timezone.localdate(),
        alt=Decimal("612.5"),
        ast=Decimal(30),
        total_bilirubin=Decimal("0.5"),
    )
    document_review(document=bad_lft, by=facilitator, status="accepted")
    facts = iso(default_facts("confirm_delivery_and_schedule"))
    client = api(hospital1)

    hidden = client.post(url(delivering, "confirm_delivery_and_schedule"), facts)

    assert hidden.status_code == 422
    assert "612.5" not in hidden.content.decode()
    assert "eligibility" not in hidden.json()["codes"]
    assert hidden.json()["codes"] == ["clinical_reasons_hidden"]
    assert hidden.json()["errors"][0].startswith("Some clinical requirements")

    case_grant_clinical_access(case=delivering, by=facilitator, reason="Infusion team.")
    shown = client.post(url(delivering, "confirm_delivery_and_schedule"), facts)

    assert "eligibility" in shown.json()["codes"]
    assert "612.5" in shown.content.decode()


def test_a_browser_session_must_send_the_csrf_token(facilitator, doctor1):
    from rest_framework.test import APIClient

    too_old = PatientFactory(date_of_birth=timezone.localdate() - dt.timedelta(days=800))
    case = CaseFactory(doctor=doctor1.doctor, patient=too_old)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(doctor1)

    refused = client.post(url(case, "start_document_collection"), {})
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]

    client.get("/api/v1/docs/")  # sets the CSRF cookie, as the doc page does for a browser
    token = client.cookies["csrftoken"].value
    response = client.post(url(case, "start_document_collection"), {}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 422  # past CSRF: the rulebook answers
    assert response.json()["codes"] == ["second_birthday"]
