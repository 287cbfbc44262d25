"""Data protection: consent before the data goes out, access requests, anonymisation."""

from __future__ import annotations

import datetime as dt
import io
import json
import os

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from cases.models import Case, Consent, Patient
from cases.services import TransitionRefused, case_apply
from documents.models import Document, DocumentAccess
from tests.factories import CaseFactory, PatientFactory, give_documents, walk_to

pytestmark = pytest.mark.django_db


def test_submission_is_refused_until_the_guardians_consent_is_recorded(facilitator, doctor1):
    patient = PatientFactory(consent=False)
    case = walk_to(CaseFactory(patient=patient, doctor=doctor1.doctor), "documents", facilitator)
    give_documents(case, "regulatory_review", facilitator)
    with pytest.raises(TransitionRefused) as refused:
        case_apply(case=case, transition="submit_to_regulator", by=facilitator)
    assert any("consent" in message for message in refused.value.messages)

    Consent.objects.create(
        patient=patient,
        given_by=patient.guardian_name,
        relationship="Mother",
        verified_how="in_person",
        notice_version="2026-11",
    )
    assert (
        case_apply(case=case, transition="submit_to_regulator", by=facilitator).state
        == "regulatory_review"
    )


def test_a_withdrawn_consent_does_not_count(facilitator, doctor1):
    case = walk_to(CaseFactory(doctor=doctor1.doctor), "documents", facilitator)
    give_documents(case, "regulatory_review", facilitator)
    case.patient.consents.update(withdrawn_at=timezone.now())
    with pytest.raises(TransitionRefused):
        case_apply(case=case, transition="submit_to_regulator", by=facilitator)


def test_export_patient_data_gives_everything_held_as_json_and_logs_it(case_a, facilitator):
    case = walk_to(case_a, "approved", facilitator)
    out = io.StringIO()
    call_command("export_patient_data", case.reference, stdout=out)
    data = json.loads(out.getvalue())
    assert data["patient"]["full_name"] == case.patient.full_name
    assert data["patient"]["aadhaar_last4"] == "1234"
    assert data["consents"][0]["notice_version"] == "2026-11"
    exported = data["cases"][0]
    assert exported["reference"] == case.reference
    assert [h["to"] for h in exported["history"]] == ["documents", "regulatory_review", "approved"]
    assert {d["type"] for d in exported["documents"]} >= {"prescription", "liver_function"}
    assert all("file" not in d for d in exported["documents"])  # metadata, never the bytes
    assert DocumentAccess.objects.filter(
        action="export_patient_data", case_reference=case.reference
    ).exists()


def test_export_of_an_unknown_case_is_a_clear_error():
    with pytest.raises(CommandError, match="No case 'NPP-1999-0001'"):
        call_command("export_patient_data", "NPP-1999-0001")


def _closed_long_ago(facilitator, doctor1) -> Case:
    with time_machine.travel(timezone.now() - dt.timedelta(days=500)):
        case = walk_to(CaseFactory(doctor=doctor1.doctor), "closed", facilitator)
    return case


def test_anonymise_dry_run_lists_and_changes_nothing(facilitator, doctor1, case_b):
    case = _closed_long_ago(facilitator, doctor1)
    out = io.StringIO()
    call_command("anonymise_closed_cases", "--older-than-days", "365", "--dry-run", stdout=out)
    assert f"would anonymise: {case.reference}" in out.getvalue()
    assert case_b.reference not in out.getvalue()  # open cases are never touched
    assert Patient.objects.get(pk=case.patient_id).full_name == case.patient.full_name


def test_anonymise_replaces_identifiers_keeps_statistics_and_removes_files(
    facilitator, doctor1, django_capture_on_commit_callbacks
):
    case = _closed_long_ago(facilitator, doctor1)
    patient = case.patient
    stored = [d.file.path for d in case.documents.all()]
    assert stored
    assert all(os.path.exists(p) for p in stored)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("anonymise_closed_cases", "--older-than-days", "365", stdout=io.StringIO())
    assert not any(os.path.exists(p) for p in stored)
    patient.refresh_from_db()
    assert patient.full_name.startswith("Anonymised patient")
    assert patient.guardian_phone == ""
    assert patient.guardian_email == ""
    assert patient.aadhaar_last4 == ""
    assert patient.smn2_copy_number == 2
    assert patient.sma_type == "1"
    case.refresh_from_db()
    assert case.state == "closed"
    assert case.infused_at is not None
    assert Document.objects.filter(case=case).count() == len(stored)
    assert all(d.original_filename == "anonymised" for d in case.documents.all())
    # A second run finds nobody left to anonymise.
    out = io.StringIO()
    call_command("anonymise_closed_cases", "--older-than-days", "365", stdout=out)
    assert "0 patient(s)" in out.getvalue()
