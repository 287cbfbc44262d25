"""The deadline engine through the API: the days to the 2nd birthday on every case row, and a
case's clocks (``/api/v1/cases/{reference}/deadlines/``) as the case pages show them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases import deadlines
from cases.clinical import add_years
from cases.services import case_apply
from tests.factories import CaseFactory, PatientFactory, walk_to

pytestmark = pytest.mark.django_db


def born_turning_two_in(days: int) -> dt.date:
    return add_years(timezone.localdate() + dt.timedelta(days=days), -2)


def test_every_case_row_says_how_many_days_are_left_to_the_2nd_birthday(api, facilitator, doctor1):
    near = CaseFactory(
        doctor=doctor1.doctor, patient=PatientFactory(date_of_birth=born_turning_two_in(40))
    )
    infused = walk_to(CaseFactory(doctor=doctor1.doctor), "monitoring", facilitator)

    rows = {r["reference"]: r for r in api(doctor1).get("/api/v1/cases/").json()["results"]}
    detail = api(doctor1).get(f"/api/v1/cases/{near.reference}/").json()

    assert rows[near.reference]["days_to_second_birthday"] == 40
    assert (
        rows[near.reference]["second_birthday_on"]
        == (timezone.localdate() + dt.timedelta(days=40)).isoformat()
    )
    assert detail["days_to_second_birthday"] == 40
    assert rows[infused.reference]["days_to_second_birthday"] is None  # infused: met


def test_a_cases_deadlines_are_the_engines_clocks_soonest_first(api, facilitator, case_a):
    case = walk_to(case_a, "customs", facilitator)

    body = api(facilitator).get(f"/api/v1/cases/{case.reference}/deadlines/").json()

    expected = deadlines.clocks(case)
    assert [(c["code"], c["due_on"]) for c in body] == [
        (c.code, c.due_on.isoformat()) for c in expected
    ]
    assert {"eta", "permit_validity", "second_birthday", "stage_expected"} <= {
        c["code"] for c in body
    }
    stage = next(c for c in body if c["code"] == "stage_expected")
    assert (stage["pauses_on_hold"], stage["paused"]) == (True, False)


def test_a_hold_pauses_the_stage_clock_and_not_the_2nd_birthday(api, facilitator, case_a):
    case = walk_to(case_a, "documents", facilitator)
    case_apply(case=case, transition="hold", by=facilitator, hold_reason="Funding.")

    body = api(facilitator).get(f"/api/v1/cases/{case.reference}/deadlines/").json()

    by_code = {c["code"]: c for c in body}
    assert by_code["stage_expected"]["status"] == "paused"
    assert by_code["second_birthday"]["paused"] is False


def test_the_treatments_clocks_only_for_those_who_see_the_clinical_side(
    api, facilitator, doctor1, hospital1, case_a
):
    case = walk_to(case_a, "monitoring", facilitator)
    url = f"/api/v1/cases/{case.reference}/deadlines/"

    doctor_codes = {c["code"] for c in api(doctor1).get(url).json()}
    admin_codes = {c["code"] for c in api(hospital1).get(url).json()}

    hidden = doctor_codes - admin_codes
    assert "monitoring_slot" in hidden
    assert all(deadlines.get(code).clinical for code in hidden)
    assert admin_codes <= doctor_codes


def test_another_users_case_has_no_deadlines_for_them(api, doctor2, case_a):
    assert api(doctor2).get(f"/api/v1/cases/{case_a.reference}/deadlines/").status_code == 404
