"""A doctor starts document collection and records the infusion, through ``case_apply``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from tests.factories import CaseFactory, PatientFactory, reweigh_on_infusion_day, walk_to

from .conftest import error_text

pytestmark = pytest.mark.django_db


def _run(client, case, name, **facts):
    data = {f"{name}-seen_state": case.state, f"{name}-note": ""}
    data.update({f"{name}-{key}": value for key, value in facts.items()})
    url = reverse("portal:doctor_transition", args=[case.pk, name])
    return client.post(url, data, follow=True)


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_doctor_starts_document_collection_on_own_case(client, doctor1, case_a):
    client.force_login(doctor1)
    page = client.get(reverse("portal:doctor_case", args=[case_a.pk]))
    assert [a["name"] for a in page.context["actions"]] == ["start_document_collection"]

    response = _run(client, case_a, "start_document_collection")

    case_a.refresh_from_db()
    assert case_a.state == "documents"
    assert "is now 'Document collection'" in error_text(response)


def test_refused_start_shows_the_guard_message_and_changes_nothing(client, doctor1, facilitator):
    too_old = PatientFactory(date_of_birth=timezone.localdate() - dt.timedelta(days=800))
    case = CaseFactory(doctor=doctor1.doctor, facilitator=facilitator, patient=too_old)
    client.force_login(doctor1)

    response = _run(client, case, "start_document_collection")

    assert "Start document collection refused" in error_text(response)
    assert "children under 2 years only" in response.content.decode()
    case.refresh_from_db()
    assert case.state == "application"


def test_doctor_records_the_infusion_on_own_case(client, doctor1, facilitator, case_a):
    case = walk_to(case_a, "infusion_scheduled", facilitator)
    reweigh_on_infusion_day(case, timezone.now() - dt.timedelta(hours=1))  # as infused_at below
    client.force_login(doctor1)

    response = _run(
        client,
        case,
        "record_infusion",
        infused_at=_local(timezone.now() - dt.timedelta(hours=1)),
        kit_lot_numbers="AVX001A",
    )

    case.refresh_from_db()
    assert case.state == "monitoring"
    assert case.kit_lot_numbers == "AVX001A"
    assert "is now 'Monitoring'" in error_text(response)


def test_infusion_in_the_future_is_refused_and_nothing_half_saved(
    client, doctor1, facilitator, case_a
):
    case = walk_to(case_a, "infusion_scheduled", facilitator)
    reweigh_on_infusion_day(case, timezone.now())
    client.force_login(doctor1)

    response = _run(
        client,
        case,
        "record_infusion",
        infused_at=_local(timezone.now() + dt.timedelta(days=1)),
        kit_lot_numbers="AVX001A",
    )

    assert "The infusion time cannot be in the future." in error_text(response)
    case.refresh_from_db()
    assert case.state == "infusion_scheduled"
    assert case.kit_lot_numbers == ""  # the facts were not saved either


def test_a_stale_page_is_refused_as_a_conflict(client, doctor1, case_a):
    client.force_login(doctor1)
    stale = Case.objects.get(pk=case_a.pk)
    _run(client, case_a, "start_document_collection")
    response = _run(client, stale, "start_document_collection")
    assert "changed by someone else" in error_text(response)


def test_a_doctor_cannot_act_on_another_doctors_case(client, doctor1, case_b):
    client.force_login(doctor1)
    response = _run(client, case_b, "start_document_collection")
    assert response.status_code == 404
    case_b.refresh_from_db()
    assert case_b.state == "application"


def test_a_doctor_cannot_run_a_facilitators_transition(client, doctor1, case_a):
    client.force_login(doctor1)
    response = _run(client, case_a, "cancel", cancellation_reason="Because I can")
    assert response.status_code == 403
    case_a.refresh_from_db()
    assert case_a.state == "application"


def test_unknown_action_is_404(client, doctor1, case_a):
    client.force_login(doctor1)
    assert _run(client, case_a, "teleport").status_code == 404


def test_case_list_shows_state_next_step_and_what_is_missing(client, doctor1, case_a, case_b):
    case = walk_to(case_a, "documents", doctor1)
    client.force_login(doctor1)
    response = client.get(reverse("portal:doctor_cases"))
    body = response.content.decode()
    assert case.reference in body
    assert case.patient.full_name in body
    assert case_b.reference not in body
    assert case_b.patient.full_name not in body
    (row,) = response.context["rows"]
    assert row["next_step"] == "Regulatory review"
    assert "liver_function" in {line.document_type.code for line in row["mine"]}


def test_the_doctor_list_shows_what_the_doctor_owes_and_who_owes_the_rest(
    client, doctor1, facilitator, case_a
):
    """Issue 13: 'Still needed' listed the Form 12B and the invoice, which the doctor never
    supplies, and 'Nothing' while the doctor had an action to take."""
    client.force_login(doctor1)
    (row,) = client.get(reverse("portal:doctor_cases")).context["rows"]
    assert row["actions"] == ["Start document collection"]  # in application: theirs to start

    case = walk_to(case_a, "approved", facilitator)  # next: customs papers nobody asks of him
    (row,) = client.get(reverse("portal:doctor_cases")).context["rows"]
    assert row["mine"] == []
    assert row["actions"] == []
    owed = {line.document_type.code: owner for line, owner in row["others"]}
    assert owed  # the regulator's and the health authority's papers, with who owes them
    assert all(not line.document_type.uploadable_by_doctor for line, _ in row["others"])
    body = client.get(reverse("portal:doctor_cases")).content.decode()
    assert "Yours to do" in body
    assert "Waiting on others" in body
    assert case.reference in body
