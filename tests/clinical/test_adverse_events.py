"""Adverse events (DOMAIN.md §5.1, §9): PvPI form fields, the forwarding clock, an immutable
record of what was sent, the PvPI PDF read back with poppler, CSV and JSON exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import subprocess

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cases.models import Notification
from cases.reminders import reminders_sweep, texts
from clinical.models import AdverseEvent, AdverseEventForward
from clinical.pvpi import pvpi_pdf
from clinical.services import (
    adverse_event_forward,
    adverse_event_report,
    steroid_course_start,
)

from .conftest import IST, day, on_day

pytestmark = pytest.mark.django_db


def serious(case, by, **extra):
    values = {
        "onset_on": day(9),
        "aware_at": dt.datetime(2026, 3, 11, 10, 0, tzinfo=IST),
        "description": "Jaundice and vomiting; ALT 900 U/L.",
        "relevant_tests": "ALT 900 U/L (10 Mar 2026), bilirubin 3.1 mg/dL",
        "aesi": "liver_injury",
        "hospitalisation": True,
        "outcome": "recovering",
        **extra,
    }
    return adverse_event_report(case=case, by=by, **values)


def test_a_serious_event_must_be_forwarded_within_24_hours_of_awareness(infused, doctor1):
    with on_day(10):
        event = serious(infused, doctor1)
    assert event.serious
    assert event.forward_due_at - event.aware_at == dt.timedelta(hours=24)


def test_a_non_serious_event_within_15_days_and_the_windows_are_settings(
    infused, doctor1, settings
):
    with on_day(10):
        event = serious(infused, doctor1, hospitalisation=False, aesi="vomiting")
        assert event.forward_due_at - event.aware_at == dt.timedelta(days=15)
        settings.NPP_AE_FORWARD_SERIOUS_HOURS = 12
        assert serious(infused, doctor1).forward_due_at - event.aware_at == dt.timedelta(hours=12)


BAD = [
    ({"onset_on": None}, "Enter the onset date."),
    ({"onset_on": day(20)}, "The onset date cannot be in the future."),
    ({"onset_on": day(-2)}, "The onset cannot be before the infusion (02 Mar 2026)."),
    ({"description": " "}, "Describe the reaction."),
    ({"death": True}, "Give the date of death."),
    ({"stopped_on": day(8)}, "The reaction cannot stop before its onset."),
]


@pytest.mark.parametrize(("change", "message"), BAD)
def test_bad_input_is_refused_and_nothing_saved(infused, doctor1, change, message):
    with on_day(10), pytest.raises(ValidationError) as refused:
        serious(infused, doctor1, **change)
    assert message in refused.value.messages
    assert not AdverseEvent.objects.exists()


def test_prednisolone_is_the_concomitant_medicine_by_default(infused, doctor1):
    course = steroid_course_start(case=infused, by=doctor1)
    with on_day(10):
        event = serious(infused, doctor1)
    assert (
        event.concomitant
        == f"Prednisolone {course.dose_mg.normalize()} mg/day oral from 01 Mar 2026"
    )


def test_the_forwarding_record_is_immutable_and_says_what_to_whom_and_when(
    infused, doctor1, facilitator
):
    with on_day(10):
        event = serious(infused, doctor1)
        with pytest.raises(PermissionDenied):
            adverse_event_forward(event=event, by=doctor1, sent_to="safety@maker.example")
        sent = adverse_event_forward(event=event, by=facilitator, sent_to="safety@maker.example")
    assert sent.payload["batch_lot"] == "AVX001A, AVX001B"
    assert len(sent.sha256) == 64
    sent.sent_to = "someone@else.example"
    with pytest.raises(ValidationError, match="cannot be changed"):
        sent.save()
    with pytest.raises(ValidationError, match="cannot be deleted"):
        sent.delete()
    assert AdverseEventForward.objects.get().sent_to == "safety@maker.example"


def test_the_reminder_goes_before_the_clock_runs_out_and_only_once(infused, doctor1, facilitator):
    with on_day(10):
        serious(infused, doctor1)
    # 24 h from 11 Mar 10:00 is 12 Mar 10:00; reminded 6 h before (setting).
    before = dt.datetime(2026, 3, 12, 3, 59, tzinfo=IST)
    reminders_sweep(now=before, enqueue=False)
    assert not Notification.objects.filter(kind="ae_forward_due").exists()
    at = dt.datetime(2026, 3, 12, 4, 5, tzinfo=IST)
    reminders_sweep(now=at, enqueue=False)
    told = Notification.objects.filter(kind="ae_forward_due")
    assert {n.recipient.username for n in told} == {"doctor1", "facilitator"}
    count = told.count()
    reminders_sweep(now=at + dt.timedelta(minutes=15), enqueue=False)
    assert Notification.objects.filter(kind="ae_forward_due").count() == count
    # Its text is rendered when it goes out (cases.reminders.texts).
    subject, body, _html = texts.render_one(told.filter(channel="email").first())
    assert "forward the adverse event to the manufacturer" in subject
    assert "12 Mar 2026 10:00" in body


def test_a_forwarded_event_is_not_reminded(infused, doctor1, facilitator):
    with on_day(10):
        event = serious(infused, doctor1)
        adverse_event_forward(event=event, by=facilitator, sent_to="safety@maker.example")
    reminders_sweep(now=dt.datetime(2026, 3, 12, 4, 5, tzinfo=IST), enqueue=False)
    assert not Notification.objects.filter(kind="ae_forward_due").exists()


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "pvpi.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")
def test_the_pvpi_pdf_carries_every_field_of_the_record(infused, doctor1, tmp_path):
    steroid_course_start(case=infused, by=doctor1)
    with on_day(10):
        event = serious(infused, doctor1, stopped_on=day(10), dechallenge="Not applicable")
        text = " ".join(pdf_text(pvpi_pdf(event), tmp_path).split())
    patient, doctor = infused.patient, infused.doctor
    initials = "".join(p[0] for p in patient.full_name.split()).upper()
    expected = [
        "SUSPECTED ADVERSE DRUG REACTION REPORTING FORM",
        f"Patient initials {initials}",
        patient.date_of_birth.strftime("%d %b %Y"),
        patient.get_sex_display(),
        "Date of reaction started 11 Mar 2026",
        "Date of recovery 12 Mar 2026",
        "Jaundice and vomiting; ALT 900 U/L.",
        "Acute serious liver injury / acute liver failure",
        "ALT 900 U/L (10 Mar 2026), bilirubin 3.1 mg/dL",
        "Zolgensma",
        infused.product.manufacturer,
        "AVX001A, AVX001B",
        "Prednisolone",
        "[X] Hospitalisation (initial or prolonged)",
        "[ ] Death",
        "[X] Recovering",
        doctor.registration_number,
        infused.hospital.name,
        doctor.user.get_full_name(),
        "Signature",
        infused.reference,
    ]
    missing = [item for item in expected if item not in text]
    assert not missing, text


def test_the_csv_and_json_exports_carry_the_same_record(client, infused, doctor1, facilitator):
    with on_day(10):
        event = serious(infused, doctor1)
    client.force_login(facilitator)
    data = json.loads(
        client.get(reverse("clinical:adverse_event_export", args=[event.pk, "json"])).content
    )
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(
                    reverse("clinical:adverse_event_export", args=[event.pk, "csv"])
                ).content.decode()
            )
        )
    )
    assert data["batch_lot"] == rows[0]["batch_lot"] == "AVX001A, AVX001B"
    assert data["seriousness"] == ["hospitalisation"]
    assert rows[0]["serious"] == "True"
    assert infused.patient.full_name not in json.dumps(data)  # initials only


def test_the_doctor_reports_from_the_portal_and_an_onset_is_required(client, infused, doctor1):
    url = reverse("clinical:adverse_event_new", args=[infused.pk])
    with on_day(10):
        client.force_login(doctor1)
        page = client.post(url, {"description": "Fever 39 C", "outcome": "recovered"})
        assert "Enter the onset date." in page.text
        assert not AdverseEvent.objects.exists()
        answer = client.post(
            url,
            {
                "description": "Fever 39 C",
                "outcome": "recovered",
                "onset_on": day(9).isoformat(),
                "aesi": "immune_response",
            },
            follow=True,
        )
    assert "Adverse event recorded. Forward it to the manufacturer by" in answer.text
    assert AdverseEvent.objects.get().forward_due_at


def test_another_doctor_cannot_read_the_event(client, infused, doctor1, doctor2):
    with on_day(10):
        event = serious(infused, doctor1)
    client.force_login(doctor2)
    assert client.get(reverse("clinical:adverse_event", args=[event.pk])).status_code == 404
    assert client.get(reverse("clinical:adverse_event_pdf", args=[event.pk])).status_code == 404


def test_the_forwarding_clock_shows_soon_in_the_hours_the_reminder_goes_out(
    infused, doctor1, settings
):
    from cases import deadlines

    with on_day(10):
        serious(infused, doctor1)  # aware 11 Mar 10:00 IST: due 12 Mar 10:00 IST

    def status(hour: int) -> str:
        at = dt.datetime(2026, 3, 12, hour, 0, tzinfo=IST)
        (clock,) = deadlines.clocks(infused, codes=["ae_forward"], at=at)
        return clock.status

    assert (status(3), status(5)) == ("running", "soon")  # 7 h left, then 5 h (setting: 6)
    settings.NPP_AE_REMIND_SERIOUS_HOURS_BEFORE = 8
    assert status(3) == "soon"
