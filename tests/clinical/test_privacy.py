"""A data-principal access request (DOMAIN.md §5.2) includes the child's clinical records."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from clinical.services import outcome_record

from .conftest import day, full_panel, on_day
from .test_adverse_events import serious
from .test_lab_values import record
from .test_outcomes import GOOD

pytestmark = pytest.mark.django_db


def test_export_patient_data_holds_the_lab_values_events_and_outcomes(infused, doctor1, tmp_path):
    with on_day(7):
        record(infused, doctor1, full_panel())
    with on_day(11):
        serious(infused, doctor1)
    with on_day(95):
        outcome_record(case=infused, by=doctor1, month=3, assessed_on=day(92), **GOOD)
    out = tmp_path / "export.json"

    call_command("export_patient_data", infused.reference, out=str(out))

    (clinical,) = json.loads(out.read_text())["clinical"]
    assert clinical["case"] == infused.reference
    assert {v["test"] for v in clinical["lab_values"]} >= {"alt", "ast", "platelets"}
    assert {v["lab"] for v in clinical["lab_values"]} == {"City Lab"}
    (event,) = clinical["adverse_events"]
    assert event["description"] == "Jaundice and vomiting; ALT 900 U/L."
    assert event["forwards"] == []
    (outcome,) = clinical["outcomes"]
    assert (outcome["month"], outcome["assessed_on"]) == (3, day(92).isoformat())
    assert "recorded_by" not in outcome  # the staff's data, not the patient's


def test_a_patient_without_an_infusion_exports_empty_clinical_records(case_a, tmp_path):
    out = tmp_path / "export.json"
    call_command("export_patient_data", case_a.reference, out=str(out))

    (clinical,) = json.loads(out.read_text())["clinical"]
    assert clinical["lab_values"] == clinical["adverse_events"] == clinical["outcomes"] == []
    assert clinical["steroid_course"] is None
