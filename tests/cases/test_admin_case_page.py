"""The case page in the admin: the transition buttons, their forms, and the history."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cases.models import Case
from cases.services import transition_label
from cases.states import CaseState
from tests.factories import (
    PatientFactory,
    default_facts,
    give_documents,
    reweigh_on_infusion_day,
    state_logs,
    walk_to,
)

pytestmark = pytest.mark.django_db


def change_url(case):
    return reverse("admin:cases_case_change", args=[case.pk])


def form_value(value):
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def post_transition(client, case, name, *, note="", seen_state=None, **facts):
    """Submit the transition's form as the case page renders it (fields prefixed by name)."""
    data = {f"{name}-seen_state": seen_state or case.state, f"{name}-note": note}
    data.update({f"{name}-{field}": form_value(value) for field, value in facts.items()})
    return client.post(reverse("admin:cases_case_transition", args=[case.pk, name]), data)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def facilitator_client(client, facilitator):
    client.force_login(facilitator)
    return client


def test_case_page_offers_only_the_transitions_the_user_may_run_now(
    facilitator_client, case_a, facilitator
):
    case = walk_to(case_a, "approved", facilitator)

    response = facilitator_client.get(change_url(case))

    assert response.status_code == 200
    assert [a["name"] for a in response.context["case_actions"]] == ["dispatch", "hold", "cancel"]
    content = response.content.decode()
    for label in ("Dispatch (kit shipped)", "Put on hold", "Cancel case"):
        assert f">{label}</button>" in content, label
    assert "Record Form 12B permit" not in content
    assert 'id="npp-action-dispatch"' in content
    assert 'id="npp-action-record_permit"' not in content


def test_case_page_says_what_is_missing_before_a_transition_can_run(
    facilitator_client, case_a, facilitator
):
    case = walk_to(case_a, "approved", facilitator)

    content = facilitator_client.get(change_url(case)).content.decode()

    assert "Before this can run:" in content
    assert escape("Enter the air waybill (AWB) number.") in content


def test_a_closed_case_offers_no_action(facilitator_client, case_a, facilitator):
    case = walk_to(case_a, "closed", facilitator)

    response = facilitator_client.get(change_url(case))

    assert response.context["case_actions"] == []
    assert "No action is open to you in this state." in response.content.decode()


def test_case_page_shows_the_history_with_who_acted_and_their_note(
    facilitator_client, case_a, facilitator
):
    post_transition(
        facilitator_client, case_a, "hold", note="Waiting for titre.", hold_reason="Titre."
    )

    content = facilitator_client.get(change_url(case_a)).content.decode()

    assert "Application &rarr; On hold" in content
    assert f"by {escape(facilitator.get_full_name())}: Waiting for titre." in content


def test_posting_a_transition_form_moves_the_case_and_logs_who_and_the_note(
    facilitator_client, case_a, facilitator
):
    case = walk_to(case_a, "regulatory_review", facilitator)
    give_documents(case, "approved", facilitator)
    facts = default_facts("record_permit")

    response = post_transition(
        facilitator_client, case, "record_permit", note="Permit came by email.", **facts
    )

    assert response.status_code == 302
    assert response["Location"] == change_url(case)
    case.refresh_from_db()
    assert case.state == "approved"
    assert case.permit_number == facts["permit_number"]
    assert case.permit_valid_until == facts["permit_valid_until"]
    log = state_logs(case)[-1]
    assert (log.transition, log.by, log.description) == (
        "record_permit",
        facilitator,
        "Permit came by email.",
    )
    assert messages_of(response) == [
        f"Record Form 12B permit: {case.reference} is now 'Approved (Form 12B)'."
    ]


def test_a_refused_transition_comes_back_with_the_guard_message_and_changes_nothing(
    facilitator_client, case_a, facilitator
):
    case = walk_to(case_a, "regulatory_review", facilitator)
    give_documents(case, "approved", facilitator)
    facts = {**default_facts("record_permit"), "permit_number": ""}

    response = post_transition(facilitator_client, case, "record_permit", **facts)

    assert response.status_code == 302
    assert response["Location"] == change_url(case)
    assert messages_of(response) == [
        "Record Form 12B permit refused: Enter the Form 12B permit number."
    ]
    case.refresh_from_db()
    assert case.state == "regulatory_review"
    assert case.permit_valid_until is None
    assert len(state_logs(case)) == 2


def test_after_a_refusal_the_form_reopens_with_what_was_typed(
    facilitator_client, case_a, facilitator
):
    case = walk_to(case_a, "regulatory_review", facilitator)
    facts = {**default_facts("record_permit"), "permit_number": ""}
    post_transition(facilitator_client, case, "record_permit", note="Typed note.", **facts)

    response = facilitator_client.get(change_url(case))

    [action] = [a for a in response.context["case_actions"] if a["name"] == "record_permit"]
    assert action["open"] is True
    content = response.content.decode()
    assert facts["permit_valid_until"].isoformat() in content
    assert "Typed note." in content
    assert escape("Enter the Form 12B permit number.") in content


def test_a_transition_posted_from_a_stale_page_is_refused_as_a_conflict(
    facilitator_client, case_a, facilitator
):
    case = walk_to(case_a, "documents", facilitator)

    response = post_transition(
        facilitator_client, case, "hold", seen_state="application", hold_reason="Titre."
    )

    [message] = messages_of(response)
    assert message.startswith("Put on hold refused:")
    assert "changed by someone else" in message
    case.refresh_from_db()
    assert case.state == "documents"


def test_a_transition_form_with_a_missing_required_field_changes_nothing(
    facilitator_client, case_a
):
    response = post_transition(facilitator_client, case_a, "hold", hold_reason="")

    assert messages_of(response) == ["Put on hold: please correct the fields below."]
    case_a.refresh_from_db()
    assert case_a.state == "application"


def test_a_transition_not_open_in_this_state_is_refused_with_a_message(facilitator_client, case_a):
    response = post_transition(
        facilitator_client, case_a, "record_permit", **default_facts("record_permit")
    )

    assert messages_of(response) == [
        (
            "Record Form 12B permit refused: 'Record Form 12B permit' cannot be done while the "
            "case is 'Application'."
        )
    ]
    case_a.refresh_from_db()
    assert case_a.state == "application"


def test_an_unknown_action_is_refused(facilitator_client, case_a):
    response = post_transition(facilitator_client, case_a, "approve")

    assert messages_of(response) == ["Unknown action."]
    case_a.refresh_from_db()
    assert case_a.state == "application"


def test_opening_a_transition_url_without_posting_changes_nothing(facilitator_client, case_a):
    url = reverse("admin:cases_case_transition", args=[case_a.pk, "cancel"])

    response = facilitator_client.get(url, {"cancel-cancellation_reason": "Link prefetch."})

    assert response.status_code == 302
    case_a.refresh_from_db()
    assert case_a.state == "application"


def test_staff_outside_the_facilitators_group_cannot_post_transitions(
    client, staff_non_facilitator, case_a
):
    client.force_login(staff_non_facilitator)

    response = post_transition(client, case_a, "cancel", cancellation_reason="Not mine to cancel.")

    assert response.status_code == 403
    case_a.refresh_from_db()
    assert case_a.state == "application"
    assert case_a.cancellation_reason == ""


def test_a_facilitator_walks_a_case_from_application_to_closed_in_the_admin(
    facilitator_client, case_a, facilitator
):
    case = case_a
    path = [
        ("start_document_collection", "documents"),
        ("submit_to_regulator", "regulatory_review"),
        ("record_permit", "approved"),
        ("dispatch", "customs"),
        ("clear_customs", "delivery"),
        ("confirm_delivery_and_schedule", "infusion_scheduled"),
        ("record_infusion", "monitoring"),
        ("close", "closed"),
    ]
    for name, target in path:
        # Each step starts from the case page, as a person would.
        page = facilitator_client.get(change_url(case))
        assert name in [a["name"] for a in page.context["case_actions"]], name
        give_documents(case, target, facilitator)  # uploads are the documents issue's screen
        facts = default_facts(name)
        if name == "record_infusion":
            reweigh_on_infusion_day(case, facts["infused_at"])  # the weights inline's job

        response = post_transition(facilitator_client, case, name, note=f"Step {name}.", **facts)

        assert messages_of(response) == [
            f"{transition_label(name)}: {case.reference} is now '{CaseState(target).label}'."
        ]
        case.refresh_from_db()
        assert case.state == target

    logs = state_logs(case)
    assert [log.transition for log in logs] == [name for name, _ in path]
    assert {log.by for log in logs} == {facilitator}
    content = facilitator_client.get(change_url(case)).content.decode()
    assert "Step close." in content


def test_adding_a_case_in_the_admin_gives_it_the_next_reference(
    facilitator_client, case_a, doctor1, facilitator
):
    patient = PatientFactory()
    data = {
        "priority": "urgent",
        "facilitator": facilitator.pk,
        "patient": patient.pk,
        "product": case_a.product.pk,
        "doctor": doctor1.doctor.pk,
        "hospital": doctor1.doctor.hospital.pk,
    }

    response = facilitator_client.post(reverse("admin:cases_case_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    new = Case.objects.get(patient=patient)
    year = timezone.localdate().year
    assert case_a.reference == f"NPP-{year}-0001"
    assert new.reference == f"NPP-{year}-0002"
    assert new.state == "application"


def test_adding_a_case_refuses_a_doctor_from_another_hospital(
    facilitator_client, case_a, doctor2, hospital_a
):
    data = {
        "priority": "normal",
        "patient": PatientFactory().pk,
        "product": case_a.product.pk,
        "doctor": doctor2.doctor.pk,
        "hospital": hospital_a.pk,
    }

    response = facilitator_client.post(reverse("admin:cases_case_add"), data)

    assert response.status_code == 200
    assert "doctor" in response.context["adminform"].form.errors
    assert Case.objects.count() == 1


def test_a_refusal_on_one_case_does_not_open_forms_on_another(
    facilitator_client, case_a, case_b, facilitator
):
    case_a = walk_to(case_a, "regulatory_review", facilitator)
    case_b = walk_to(case_b, "regulatory_review", facilitator)
    post_transition(facilitator_client, case_a, "record_permit", permit_number="")

    response = facilitator_client.get(change_url(case_b))

    assert not any(action["open"] for action in response.context["case_actions"])


def test_editing_a_case_in_the_admin_keeps_its_state_and_recorded_facts(
    facilitator_client, case_a, facilitator
):
    case = walk_to(case_a, "approved", facilitator)

    response = facilitator_client.post(
        change_url(case), {"priority": "urgent", "facilitator": facilitator.pk}
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.priority == "urgent"
    assert case.state == "approved"
    assert case.permit_number == default_facts("record_permit")["permit_number"]


def test_the_case_page_cannot_change_the_state_or_recorded_facts(
    facilitator_client, case_a, facilitator
):
    case = walk_to(case_a, "approved", facilitator)

    facilitator_client.post(
        change_url(case),
        {"priority": "normal", "state": "closed", "permit_number": "FORGED", "awb_number": "1"},
    )

    case.refresh_from_db()
    assert case.state == "approved"
    assert case.permit_number == default_facts("record_permit")["permit_number"]
    assert case.awb_number == ""
