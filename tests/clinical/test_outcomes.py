"""Outcomes at 3, 6 and 12 months: entered by the doctor, exported with the case CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cases.exports import cases_csv
from cases.models import Case
from clinical.models import Outcome
from clinical.services import outcome_record

from .conftest import day, on_day

pytestmark = pytest.mark.django_db

GOOD = {
    "head_control": True,
    "sits_unaided": True,
    "stands": False,
    "walks": False,
    "ventilation": "none",
    "feeding": "oral",
}


def test_a_month_recorded_again_replaces_it(infused, doctor1):
    with on_day(95):
        outcome_record(case=infused, by=doctor1, month=3, assessed_on=day(92), **GOOD)
        outcome_record(
            case=infused, by=doctor1, month=3, assessed_on=day(93), **{**GOOD, "stands": True}
        )
    (outcome,) = Outcome.objects.all()
    assert (outcome.assessed_on, outcome.stands) == (day(93), True)


@pytest.mark.parametrize(
    ("month", "assessed", "message"),
    [
        (4, 92, "Outcomes are recorded at 3, 6 and 12 months."),
        (3, 99, "The assessment cannot be in the future."),
        (3, -3, "The assessment cannot be before the infusion."),
        (3, None, "Enter the date of the assessment."),
    ],
)
def test_bad_input_is_refused(infused, doctor1, month, assessed, message):
    with on_day(95), pytest.raises(ValidationError, match=message):
        outcome_record(
            case=infused,
            by=doctor1,
            month=month,
            assessed_on=day(assessed) if assessed is not None else None,
            **GOOD,
        )
    assert not Outcome.objects.exists()


def test_another_doctor_cannot_record(infused, doctor2):
    with on_day(95), pytest.raises(PermissionDenied):
        outcome_record(case=infused, by=doctor2, month=3, assessed_on=day(92), **GOOD)


def test_outcomes_go_out_with_the_case_csv_and_identifiers_stay_opt_in(infused, doctor1):
    with on_day(95):
        outcome_record(case=infused, by=doctor1, month=3, assessed_on=day(92), **GOOD)
    (row,) = csv.DictReader(io.StringIO(cases_csv(Case.objects.filter(pk=infused.pk))))
    assert row["m3_head_control"] == "yes"
    assert row["m3_walks"] == "no"
    assert row["m3_ventilation"] == "none"
    assert row["m6_assessed_on"] == ""
    assert "patient_name" not in row


def test_the_doctor_records_from_the_portal(client, infused, doctor1):
    url = reverse("clinical:outcome", args=[infused.pk, 3])
    with on_day(95):
        client.force_login(doctor1)
        answer = client.post(
            url,
            {
                "assessed_on": day(92).isoformat(),
                "head_control": "on",
                "ventilation": "none",
                "feeding": "tube",
            },
            follow=True,
        )
    assert "3-month outcome saved." in answer.text
    assert Outcome.objects.get().feeding == "tube"
