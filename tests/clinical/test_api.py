"""The lab values after the infusion through the API (``/api/v1/cases/{reference}/lab-values/``):
the same service as the doctor's phone screen, so the same checks, history and signals; the
treating doctor and facilitators record, a hospital's admins read only once the clinical side
is shared, anyone else meets a 404."""

from __future__ import annotations

import pytest

from clinical.models import LabValue
from documents.services import case_grant_clinical_access
from tests.api.conftest import token_client

from .conftest import day, liver, on_day

pytestmark = pytest.mark.django_db


def url(case) -> str:
    return f"/api/v1/cases/{case.reference}/lab-values/"


def panel(values, sampled=7, slot="week_1") -> dict:
    return {
        "sampled_on": day(sampled).isoformat(),
        "slot": slot,
        "lab": "City Lab",
        "values": values,
    }


def test_the_treating_doctor_records_a_panel_and_reads_it_back_with_its_history(infused, doctor1):
    client = token_client(doctor1)
    with on_day(7):
        first = client.post(url(infused), panel(liver(alt="30")), format="json")
        second = client.post(
            url(infused),
            panel([{"test": "alt", "value": "35", "unit": "U/L", "uln": "40"}]),
            format="json",
        )
        listed = client.get(url(infused)).json()

    assert first.status_code == 201
    assert {v["test"] for v in first.json()["values"]} == {"alt", "ast", "total_bilirubin", "pt"}
    assert second.status_code == 201
    assert [v["value"] for v in second.json()["replaced"]] == ["30.0000"]
    alts = [(v["value"], v["current"]) for v in listed if v["test"] == "alt"]
    assert alts == [("30.0000", False), ("35.0000", True)]
    assert {v["lab"] for v in listed} == {"City Lab"}


def test_a_value_crossing_a_threshold_says_which_signal_it_opened(infused, doctor1):
    with on_day(7):
        response = token_client(doctor1).post(url(infused), panel(liver(alt="95")), format="json")

    assert response.status_code == 201
    assert any("ALT 95 is above 2 x ULN (80)" in s for s in response.json()["signals"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            panel([{"test": "alt", "value": "45", "unit": ""}]),
            "ALT: enter the unit the lab printed.",
        ),
        (panel(liver(), sampled=9), "A sample cannot be taken in the future."),
        (panel([{"test": "alt", "value": "nan", "unit": "U/L"}]), "'nan' is not a number."),
        ({"slot": "week_1", "values": liver()}, "sampled_on: This field is required."),
        (panel([]), "values: This list may not be empty."),
        (panel([{"test": "alt", "value": "45"}]), "values[0].unit: This field is required."),
    ],
)
def test_bad_input_is_refused_with_the_reason_and_nothing_saved(infused, doctor1, body, message):
    with on_day(8):
        response = token_client(doctor1).post(url(infused), body, format="json")

    assert response.status_code == 400
    assert any(message in m for m in response.json()["errors"]), response.json()
    assert not LabValue.objects.exists()


def test_a_hospital_admin_reads_only_once_shared_and_never_records(infused, hospital1, facilitator):
    client = token_client(hospital1)
    with on_day(7):
        before = client.get(url(infused))
        detail = client.get(f"/api/v1/cases/{infused.reference}/").json()
        case_grant_clinical_access(case=infused, by=facilitator, reason="Infusion team.")
        after = client.get(url(infused))
        detail_after = client.get(f"/api/v1/cases/{infused.reference}/").json()
        record = client.post(url(infused), panel(liver()), format="json")

    assert before.status_code == 403
    assert detail["lab_values_url"] is None
    assert after.status_code == 200
    assert detail_after["lab_values_url"].endswith(url(infused))
    assert record.status_code == 403
    assert not LabValue.objects.exists()


def test_another_doctor_meets_a_404_for_reading_and_recording(infused, doctor2):
    client = token_client(doctor2)
    with on_day(7):
        assert client.get(url(infused)).status_code == 404
        assert client.post(url(infused), panel(liver()), format="json").status_code == 404
    assert not LabValue.objects.exists()


def test_reading_the_lab_values_over_the_api_is_logged(infused, doctor1):
    from documents.models import DocumentAccess

    with on_day(7):
        token_client(doctor1).get(url(infused))

    (entry,) = DocumentAccess.objects.filter(action="clinical_read")
    assert (entry.case_reference, entry.username) == (infused.reference, doctor1.username)
