"""The clinical pages: the doctor enters a slot's grid from the portal; out of scope is a 404;
a hospital admin sees no values unless granted; every read is in the access log."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clinical.models import LabValue, SafetySignal
from documents.models import DocumentAccess
from documents.services import case_grant_clinical_access

from .conftest import day, on_day

pytestmark = pytest.mark.django_db


def grid_post(**values):
    data = {"sampled_on": day(7).isoformat(), "lab": "City Lab"}
    units = {
        "alt": "U/L",
        "ast": "U/L",
        "total_bilirubin": "mg/dL",
        "pt": "s",
        "platelets": "x10^3/µL",
        "troponin_i": "ng/mL",
        "inr": "ratio",
        "haemoglobin": "g/dL",
        "creatinine": "mg/dL",
    }
    for test, unit in units.items():
        data[f"{test}_unit"] = unit
    data.update(values)
    return data


def test_the_doctor_enters_a_week_1_panel_and_sees_the_signal(client, infused, doctor1):
    url = reverse("clinical:slot", args=[infused.pk, "week_1"])
    with on_day(7):
        client.force_login(doctor1)  # sessions last less than a week
        page = client.get(url)
        assert page.status_code == 200
        assert "Week 1 results" in page.text
        answer = client.post(
            url,
            grid_post(
                alt="190",
                alt_uln="40",
                ast="60",
                ast_uln="40",
                total_bilirubin="0.4",
                pt="12",
                platelets="290",
                troponin_i="0.01",
            ),
            follow=True,
        )
    assert answer.status_code == 200
    assert "Safety signal opened: ALT 190 is above 2 x ULN (80)." in answer.text
    assert LabValue.objects.filter(case=infused).count() == 6
    assert SafetySignal.objects.get().kind == "alt_above_2x_uln"
    assert "<svg" in answer.text
    assert "Monitoring slots" in answer.text


def test_a_bad_grid_shows_every_message_and_saves_nothing(client, infused, doctor1):
    url = reverse("clinical:slot", args=[infused.pk, "week_1"])
    with on_day(7):
        client.force_login(doctor1)  # sessions last less than a week
        page = client.post(url, grid_post(alt="45", alt_unit="", ast="9999999"))
    assert page.status_code == 200
    assert "ALT: enter the unit the lab printed." in page.text
    assert "outside the physiological range" in page.text
    assert not LabValue.objects.exists()


def test_another_doctors_case_is_a_404(client, infused, doctor2):
    client.force_login(doctor2)
    for url in (
        reverse("clinical:monitoring", args=[infused.pk]),
        reverse("clinical:slot", args=[infused.pk, "week_1"]),
    ):
        assert client.get(url).status_code == 404


def test_a_hospital_admin_sees_values_only_once_granted(client, infused, hospital1, facilitator):
    client.force_login(hospital1)
    url = reverse("clinical:monitoring", args=[infused.pk])
    assert client.get(url).status_code == 404
    case_grant_clinical_access(case=infused, by=facilitator, reason="Ward follow-up")
    page = client.get(url)
    assert page.status_code == 200
    assert "Enter results" not in page.text  # reading is granted, recording is not


def test_every_read_is_in_the_access_log(client, infused, doctor1):
    client.force_login(doctor1)
    client.get(reverse("clinical:monitoring", args=[infused.pk]))
    log = DocumentAccess.objects.get(action="clinical_read")
    assert (log.username, log.case_reference) == ("doctor1", infused.reference)


def test_the_doctors_case_page_links_to_monitoring_once_infused(client, infused, doctor1):
    client.force_login(doctor1)
    page = client.get(reverse("portal:doctor_case", args=[infused.pk]))
    assert reverse("clinical:monitoring", args=[infused.pk]) in page.text


def test_the_dashboard_lists_open_signals(client, infused, doctor1, facilitator):
    from clinical.services import lab_values_record

    with on_day(7):
        lab_values_record(
            case=infused,
            by=doctor1,
            slot="week_1",
            sampled_on=day(7),
            values=[{"test": "alt", "value": "190", "unit": "U/L", "uln": "40"}],
        )
    client.force_login(facilitator)
    page = client.get(reverse("dashboard"))
    assert "Open safety signals" in page.text
    assert "ALT 190 is above 2 x ULN (80)." in page.text


def test_the_admin_grid_answers_facilitators(client, infused, facilitator):
    client.force_login(facilitator)
    page = client.get(reverse("admin:clinical_case_grid", args=[infused.pk]))
    assert page.status_code == 200
    assert "<svg" in page.text
