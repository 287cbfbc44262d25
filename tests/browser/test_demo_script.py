"""README's demo script, "Try it: one case from application to closed", step by step (issue 13).

The seeded demo's application-state case (Aarav Sharma, doctor1 at Kaveri Children's Hospital)
goes to ``closed`` through the pages a person uses: the doctor portal, the facilitator's
admin (case page, Documents, Patients) and the hospital portal. Each form is read from the
page it is on and posted with the values the script names, as a browser would, and the only
uploads are the ones the script names. If this test fails, the script in README.md is wrong.

The clock is set to 09:00 India time on the day the test runs (``time_machine``), so seeding,
the weights, the lab samples, the infusion and the closing fall on one India date, as in a
demo run in one sitting; it moves three hours on between scheduling the infusion and
recording it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from cases.clock import IST
from cases.models import Case
from documents.demo import simple_pdf, simple_png
from documents.models import Document, DocumentType, ReviewStatus
from regulatory.models import TariffHeading

pytestmark = pytest.mark.django_db

PATIENT = "Aarav Sharma"

# What README's steps 2, 6, 7, 10 and 11 upload, by document type code.
DOCTOR_UPLOADS = [
    "medical_report",
    "prescription",
    "genetic_report",
    "patient_id",
    "guardian_consent",
    "justification_letter",
]
LAB_UPLOADS = {  # the sample date is yesterday's
    "anti_aav9_titer": {"anti_aav9_titer": "1:25"},
    "liver_function": {
        "alt": "28",
        "alt_uln": "40",
        "ast": "41",
        "ast_uln": "40",
        "total_bilirubin": "0.6",
        "total_bilirubin_uln": "1.2",
    },
    "cbc": {"platelets": "310"},
    "creatinine": {"creatinine": "0.30"},
    "troponin": {"troponin_i": "0.010"},
}
FILED_APPLICATION = ["form_12a"]
PERMIT_PAPERS = ["form_12b_permit", "rare_disease_certificate"]
SHIPPING_PAPERS = [
    "commercial_invoice",
    "air_waybill",
    "packing_list",
    "certificate_of_analysis",
    "bill_of_entry",
]
HOSPITAL_FILES = ["temperature_log", "delivery_receipt"]
# An error message (admin, portal) or the admin's "Please correct the errors below."
ERRORS = re.compile(
    r'<li class="error">(.*?)</li>|<p class="message message-error"[^>]*>(.*?)</p>'
    r'|<p class="errornote">(.*?)</p>',
    re.DOTALL,
)


# --- Forms, read from the page as a browser sees them -------------------------------------------


class _Forms(HTMLParser):
    """Each <form>: its attributes and the values a browser would send without a click."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"attrs": a, "fields": [], "hidden": []})
        elif not self.forms:
            return
        elif tag == "input" and a.get("type", "text") not in (
            "submit",
            "button",
            "image",
            "reset",
            "file",
        ):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self._add(
                    a.get("name"), a.get("value", "on" if a.get("type") == "checkbox" else "")
                )
            if a.get("type") == "hidden":
                self.forms[-1]["hidden"].append((a.get("name"), a.get("value", "")))
        elif tag == "select":
            self._select, self._options = a.get("name"), []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea = a.get("name")
            self._add(self._textarea, "")

    def handle_data(self, data) -> None:
        if self._textarea is not None:
            name, value = self.forms[-1]["fields"][-1]
            self.forms[-1]["fields"][-1] = (name, value + data)

    def handle_endtag(self, tag) -> None:
        if tag == "select" and self._select is not None:
            chosen = [v for v, selected in self._options if selected] or [
                v for v, _ in self._options[:1]
            ]
            for value in chosen:
                self._add(self._select, value)
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def _add(self, name: str | None, value: str) -> None:
        if name:
            self.forms[-1]["fields"].append((name, value))


def form_on(
    html: str,
    *,
    action: str | None = None,
    form_id: str | None = None,
    having: tuple[str, str] | None = None,
) -> dict:
    """The one form on the page with this action (ending), id, or (name, value) hidden field."""
    parser = _Forms()
    parser.feed(html)
    found = [
        f
        for f in parser.forms
        if (action is None or f["attrs"].get("action", "").endswith(action))
        and (form_id is None or f["attrs"].get("id") == form_id)
        and (having is None or having in f["hidden"])
    ]
    assert len(found) == 1, (action, form_id, having, [f["attrs"] for f in parser.forms])
    return found[0]


def submit(client: Client, page: str, values: dict | None = None, **which) -> str:
    """Open ``page``, fill the form ``which`` names with ``values`` (files as uploads), post
    it where it says; answers the page the browser ends on, which must not report an error."""
    response = client.get(page)
    assert response.status_code == 200, (page, response.status_code)
    form = form_on(response.content.decode(), **which)
    data: dict = {}
    for name, value in form["fields"]:
        data.setdefault(name, []).append(value)
    data = {name: v[0] if len(v) == 1 else v for name, v in data.items()}
    data.update(values or {})
    response = client.post(form["attrs"].get("action") or page, data, follow=True)
    assert response.status_code == 200, (page, response.status_code)
    html = response.content.decode()
    errors = [" ".join(found).strip() for found in ERRORS.findall(html)]
    assert not errors, f"{page}: " + "\n".join(errors)
    return html


def a_file(code: str, lines: list[str]) -> SimpleUploadedFile:
    if code in ("patient_id", "temperature_log", "delivery_receipt"):
        return SimpleUploadedFile(f"{code}.png", simple_png("\n".join(lines)), "image/png")
    return SimpleUploadedFile(f"{code}.pdf", simple_pdf(code, lines), "application/pdf")


def local(moment: dt.datetime) -> str:
    """A datetime-local input's value, in India time."""
    return timezone.localtime(moment, IST).strftime("%Y-%m-%dT%H:%M")


# --- The walk -----------------------------------------------------------------------------------


def as_user(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def doctor_uploads(doctor: Client, case: Case, codes: list[str], labs: dict) -> None:
    """On the doctor's case page, each checklist line's own upload form."""
    page = f"/portal/doctor/cases/{case.pk}/"
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    for code in [*codes, *labs]:
        values = {"upload": a_file(code, [case.reference, code])}
        if code in labs:
            values |= {"sample_taken_on": yesterday, **labs[code]}
        pk = str(DocumentType.objects.get(code=code).pk)
        html = submit(
            doctor, page, values, action=f"/cases/{case.pk}/upload/", having=("document_type", pk)
        )
        assert "it now waits for review" in html


def facilitator_uploads(facilitator: Client, case: Case, codes: list[str]) -> None:
    """The case page's "Upload a document" form, one document type at a time."""
    for code in codes:
        values = {
            "document_type": str(DocumentType.objects.get(code=code).pk),
            "upload": a_file(code, [case.reference, code]),
        }
        submit(facilitator, f"/admin/cases/case/{case.pk}/change/", values, form_id="npp-upload")


def accept_pending(facilitator: Client, case: Case) -> None:
    """Documents, searched for the case: tick its documents waiting for review, "Accept
    selected documents", Go."""
    pending = [
        str(pk)
        for pk in Document.objects.filter(
            case=case, review_status=ReviewStatus.PENDING
        ).values_list("pk", flat=True)
    ]
    assert pending
    submit(
        facilitator,
        f"/admin/documents/document/?q={case.reference}",
        {"action": "accept_selected", "_selected_action": pending},
        form_id="changelist-form",
    )
    assert not Document.objects.filter(case=case, review_status=ReviewStatus.PENDING).exists()


def record_in_file(facilitator: Client, case: Case, values: dict) -> None:
    """The case page's "Regulatory and customs file" link, the file's form, Save."""
    opened = facilitator.get(f"/admin/regulatory/regulatoryfile/for-case/{case.pk}/")
    assert opened.status_code == 302
    submit(facilitator, opened["Location"], values, form_id="regulatoryfile_form")


def _split(moment: dt.datetime) -> tuple[str, str]:
    """The admin's date and time inputs of a datetime, in India time."""
    local_time = timezone.localtime(moment, IST)
    return local_time.date().isoformat(), local_time.strftime("%H:%M:%S")


def run(client: Client, case: Case, transition: str, values: dict | None = None) -> Case:
    """A transition's form: on the admin case page, or on the portal case page."""
    prefixed = {f"{transition}-{name}": value for name, value in (values or {}).items()}
    if get_user_model().objects.get(pk=client.session["_auth_user_id"]).is_staff:
        submit(
            client,
            f"/admin/cases/case/{case.pk}/change/",
            prefixed,
            form_id=f"npp-action-{transition}",
        )
    else:
        submit(
            client, f"/portal/doctor/cases/{case.pk}/", prefixed, action=f"/actions/{transition}/"
        )
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def nine_am():
    today = timezone.localdate()
    with time_machine.travel(dt.datetime.combine(today, dt.time(9, 0), IST), tick=True) as clock:
        yield clock


@pytest.fixture
def demo(settings, nine_am):
    settings.DEBUG = True  # seed_demo refuses to run without it
    call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = False


@pytest.fixture
def packets_build_in_process(monkeypatch):
    """The build the button queues runs here, as the Celery worker of `make run` would."""
    from documents.tasks import build_packet_task

    monkeypatch.setattr(
        "documents.packets.services._enqueue",
        lambda build_id: build_packet_task.apply(args=[build_id], throw=True),
    )


def test_the_readme_demo_script_takes_aarav_sharma_from_application_to_closed(
    demo, nine_am, packets_build_in_process, django_capture_on_commit_callbacks
):
    case = Case.objects.get(patient__full_name=PATIENT)
    assert case.state == "application"
    doctor, facilitator, hospital = as_user("doctor1"), as_user("facilitator"), as_user("hospital1")
    now = timezone.now()

    # 1. doctor1 starts document collection.
    case = run(doctor, case, "start_document_collection")
    assert case.state == "documents"
    # 2. doctor1 uploads the eleven documents of the checklist, five of them lab reports.
    doctor_uploads(doctor, case, DOCTOR_UPLOADS, LAB_UPLOADS)
    # 3. The facilitator accepts them in Documents.
    accept_pending(facilitator, case)
    # 4. The facilitator records the applicant's facts Form 12A asks for in the case's
    # regulatory file (the new file suggests the importer, consignee and consignor) ...
    record_in_file(
        facilitator,
        case,
        {
            "applicant_address": "12, 3rd Main Road, JP Nagar",
            "applicant_district": "Bengaluru Urban",
            "applicant_pin": "560078",
            "applicant_occupation": "Software engineer",
            "country_of_export": "United States of America",
        },
    )
    # ... builds the application packet on the case page (the worker renders it) ...
    with django_capture_on_commit_callbacks(execute=True):
        submit(
            facilitator,
            f"/admin/cases/case/{case.pk}/change/",
            action=f"/packets/case/{case.pk}/build/application/",
        )
    # 5. ... and submits it to the regulator.
    case = run(facilitator, case, "submit_to_regulator")
    assert case.state == "regulatory_review"
    # 6. The filed Form 12A, uploaded and accepted; the SUGAM application in the file; the
    # permit recorded.
    facilitator_uploads(facilitator, case, FILED_APPLICATION)
    accept_pending(facilitator, case)
    submitted_on, submitted_at = _split(now - dt.timedelta(minutes=5))
    record_in_file(
        facilitator,
        case,
        {
            "sugam_application_number": "SUGAM/12A/2026/4242",
            "sugam_submitted_at_0": submitted_on,
            "sugam_submitted_at_1": submitted_at,
        },
    )
    case = run(
        facilitator,
        case,
        "record_permit",
        {
            "permit_number": "12B/BLR/2026/4242",
            "permit_issued_on": now.date().isoformat(),
            "permit_valid_until": (now.date() + dt.timedelta(days=180)).isoformat(),
        },
    )
    assert case.state == "approved"
    # 7. The permit and the rare-disease certificate, uploaded and accepted.
    facilitator_uploads(facilitator, case, PERMIT_PAPERS)
    accept_pending(facilitator, case)
    # 8. Today's weight, in the patient's page (the kit's band; also the infusion day's).
    weigh(facilitator, case, "7.50")
    # 9. The kit is ordered.
    case = run(
        facilitator,
        case,
        "dispatch",
        {
            "supplier_order_ref": "NGT-IN-42424",
            "awb_number": "176-42424242",
            "courier": "World Courier",
            "eta": local(now + dt.timedelta(hours=1)),
        },
    )
    assert case.state == "customs"
    # 10. The shipping papers, uploaded and accepted; the shipment, the certificate and the
    # Bill of Entry in the file; customs cleared.
    facilitator_uploads(facilitator, case, SHIPPING_PAPERS)
    accept_pending(facilitator, case)
    out_on, out_at = _split(now - dt.timedelta(minutes=2))
    record_in_file(
        facilitator,
        case,
        {
            "consignor_address": "2275 Half Day Road, Bannockburn, IL 60015, USA",
            "importer_address": "12, 3rd Main Road, JP Nagar, Bengaluru 560078",
            "country_of_origin": "United States of America",
            "invoice_number": "NGT-INV-4242",
            "invoice_date": now.date().isoformat(),
            "invoice_value": "2125000",
            "invoice_currency": "USD",
            "tariff_heading": str(TariffHeading.objects.get(heading="3002").pk),
            "batch_number": "AVXB4242",
            "batch_expiry": (now.date() + dt.timedelta(days=180)).isoformat(),
            "quantity_vials": "6",
            "gross_weight_kg": "38.5",
            "net_weight_kg": "0.31",
            "dry_ice_kg": "30",
            "certificate_authority": "dmo",
            "certificate_office": "District Health Office, Bengaluru Urban",
            "certificate_number": "DHO/BLR/RD/2026/4242",
            "certificate_date": now.date().isoformat(),
            "bill_of_entry_number": "7304242",
            "bill_of_entry_date": now.date().isoformat(),
            "broker_name": "Skyline Customs Brokers",
            "duty_assessed_inr": "0",
            "out_of_charge_at_0": out_on,
            "out_of_charge_at_1": out_at,
        },
    )
    case = run(facilitator, case, "clear_customs", {"bill_of_entry_number": "7304242"})
    assert case.state == "delivery"
    # 11. hospital1 confirms receipt with the two files and schedules the infusion at noon.
    noon = now + dt.timedelta(hours=3)
    submit(
        hospital,
        f"/portal/hospital/cases/{case.pk}/",
        {
            "confirm_delivery_and_schedule-received_at": local(now - dt.timedelta(minutes=30)),
            "confirm_delivery_and_schedule-received_by": "Pharmacist R. Nair",
            "confirm_delivery_and_schedule-temperature_ok": "true",
            "confirm_delivery_and_schedule-infusion_scheduled_at": local(noon),
            **{f"{code}-upload": a_file(code, [case.reference, code]) for code in HOSPITAL_FILES},
        },
        form_id="confirm-delivery",
    )
    case = Case.objects.get(pk=case.pk)
    assert case.state == "infusion_scheduled"
    # 12. At noon doctor1 records the infusion.
    nine_am.shift(dt.timedelta(hours=3, minutes=15))
    doctor = as_user("doctor1")  # signs in again: a portal session ends after 30 idle minutes
    case = run(
        doctor,
        case,
        "record_infusion",
        {"infused_at": local(noon), "kit_lot_numbers": "AVX424A, AVX424B"},
    )
    assert case.state == "monitoring"
    # 13. The facilitator closes the case with a documented reason.
    case = run(
        facilitator,
        case,
        "close",
        {
            "close_reason": "other",
            "close_override_reason": "Demo walk-through: follow-up continues at the hospital.",
        },
    )
    assert case.state == "closed"

    uploads = Document.objects.filter(case=case).exclude(document_type__code="application_packet")
    assert sorted(uploads.values_list("document_type__code", flat=True)) == sorted(
        [
            *DOCTOR_UPLOADS,
            *LAB_UPLOADS,
            *FILED_APPLICATION,
            *PERMIT_PAPERS,
            *SHIPPING_PAPERS,
            *HOSPITAL_FILES,
        ]
    )
    assert [log.state for log in _logs(case)] == [
        "documents",
        "regulatory_review",
        "approved",
        "customs",
        "delivery",
        "infusion_scheduled",
        "monitoring",
        "closed",
    ]


def weigh(facilitator: Client, case: Case, kg: str) -> None:
    """Patients -> the child -> the empty row of "Weight measurements" -> Save."""
    page = f"/admin/cases/patient/{case.patient_id}/change/"
    form = form_on(facilitator.get(page).content.decode(), form_id="patient_form")
    row = next(
        name.removesuffix("-measured_on")
        for name, value in form["fields"]
        if name.startswith("weights-")
        and name.endswith("-measured_on")
        and not value
        and "__prefix__" not in name
    )
    submit(
        facilitator,
        page,
        {
            f"{row}-measured_on": timezone.localdate().isoformat(),
            f"{row}-weight_kg": kg,
            f"{row}-measured_by": "Ward nurse",
        },
        form_id="patient_form",
    )


def _logs(case: Case):
    from django_fsm_log.models import StateLog

    return StateLog.objects.for_(case).order_by("timestamp", "pk")
