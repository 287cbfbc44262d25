"""A hospital admin confirms receipt and schedules the infusion, with the temperature log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from documents import validation
from documents.models import Document
from documents.services import case_grant_clinical_access, document_review, document_upload
from tests.factories import walk_to

from .conftest import close_response, doc_type, error_text, pdf_upload, stored_files

pytestmark = pytest.mark.django_db


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _confirm(client, case, *, infusion_in=dt.timedelta(days=3), log=None, receipt=None):
    name = "confirm_delivery_and_schedule"
    received = timezone.now() - dt.timedelta(hours=2)
    data = {
        f"{name}-seen_state": case.state,
        f"{name}-received_at": _local(received),
        f"{name}-received_by": "Pharmacist R. Nair",
        f"{name}-temperature_ok": "true",
        f"{name}-infusion_scheduled_at": _local(received + infusion_in),
        f"{name}-note": "",
        "temperature_log-document_type": doc_type("temperature_log").pk,
        "delivery_receipt-document_type": doc_type("delivery_receipt").pk,
    }
    if log is not None:
        data["temperature_log-upload"] = log
    if receipt is not None:
        data["delivery_receipt-upload"] = receipt
    url = reverse("portal:hospital_confirm_delivery", args=[case.pk])
    return client.post(url, data, follow=True)


@pytest.fixture
def delivering(case_a, facilitator):
    return walk_to(case_a, "delivery", facilitator)


@pytest.fixture
def shipment_papers(delivering, hospital1, facilitator, pdf):
    """Temperature log and delivery receipt on file and accepted, as document guards want."""
    for code in ("temperature_log", "delivery_receipt"):
        document = document_upload(
            case=delivering,
            document_type=doc_type(code),
            data=pdf,
            filename=f"{code}.pdf",
            by=hospital1,
        )
        document_review(document=document, by=facilitator, status="accepted")


def test_hospital_admin_confirms_delivery_and_schedules_the_infusion(
    client, hospital1, delivering, shipment_papers
):
    client.force_login(hospital1)
    page = client.get(reverse("portal:hospital_case", args=[delivering.pk]))
    _, log_form, receipt_form = page.context["confirm"]
    assert not log_form.fields["upload"].required  # a log is already on file
    assert not receipt_form.fields["upload"].required  # and a receipt

    response = _confirm(client, delivering)

    delivering.refresh_from_db()
    assert delivering.state == "infusion_scheduled"
    assert delivering.received_by == "Pharmacist R. Nair"
    assert "is now 'Infusion scheduled'" in error_text(response)
    assert response.context["confirm"] is None  # nothing left to confirm


def test_the_form_asks_for_the_temperature_log_when_none_is_on_file(client, hospital1, delivering):
    client.force_login(hospital1)
    response = _confirm(client, delivering)
    assert "This field is required." in response.content.decode()
    delivering.refresh_from_db()
    assert delivering.state == "delivery"


def test_another_hospitals_admin_gets_404(client, hospital2, delivering):
    documents_before = Document.objects.count()
    client.force_login(hospital2)
    assert client.get(reverse("portal:hospital_case", args=[delivering.pk])).status_code == 404
    assert _confirm(client, delivering, log=pdf_upload()).status_code == 404
    delivering.refresh_from_db()
    assert delivering.state == "delivery"
    assert Document.objects.count() == documents_before


def test_refused_confirmation_shows_the_guard_and_stores_nothing(client, hospital1, delivering):
    """Issue 13: three refused confirmations left temperature logs v1, v2 and v3 waiting for
    review. Bad input changes nothing."""
    documents_before, files_before = Document.objects.count(), stored_files()
    client.force_login(hospital1)

    for _ in range(3):
        response = _confirm(
            client,
            delivering,
            infusion_in=dt.timedelta(days=15),
            log=pdf_upload("logger.pdf"),
            receipt=pdf_upload("receipt.pdf"),
        )

    assert "within 14 x 24 hours of receipt" in error_text(response)
    assert "within 14 x 24 hours of receipt" in response.content.decode()  # beside the form too
    assert "Nothing was saved" in error_text(response)
    delivering.refresh_from_db()
    assert delivering.state == "delivery"
    assert delivering.received_at is None  # no fact half-saved
    assert Document.objects.count() == documents_before
    assert stored_files() == files_before


def test_the_log_and_the_receipt_go_with_the_confirmation_in_one_form(
    client, hospital1, delivering
):
    client.force_login(hospital1)

    response = _confirm(
        client, delivering, log=pdf_upload("logger.pdf"), receipt=pdf_upload("receipt.pdf")
    )

    delivering.refresh_from_db()
    assert delivering.state == "infusion_scheduled", error_text(response)
    assert set(
        Document.objects.filter(case=delivering).values_list(
            "document_type__code", "original_filename"
        )
    ) >= {("temperature_log", "logger.pdf"), ("delivery_receipt", "receipt.pdf")}


def test_a_bad_temperature_log_stops_the_confirmation_and_stores_nothing(
    client, hospital1, delivering
):
    documents_before, files_before = Document.objects.count(), stored_files()
    client.force_login(hospital1)
    bad = SimpleUploadedFile("log.pdf", b"<html>not a pdf</html>", "application/pdf")

    response = _confirm(client, delivering, log=bad, receipt=pdf_upload("receipt.pdf"))

    assert validation.UNSUPPORTED_TYPE in error_text(response)
    delivering.refresh_from_db()
    assert delivering.state == "delivery"
    assert Document.objects.count() == documents_before
    assert stored_files() == files_before


def test_hospital_admin_uploads_the_delivery_receipt(client, hospital1, delivering):
    client.force_login(hospital1)
    url = reverse("portal:hospital_upload", args=[delivering.pk])
    data = {"document_type": doc_type("delivery_receipt").pk, "upload": pdf_upload("receipt.pdf")}

    response = client.post(url, data, follow=True)

    document = Document.objects.get(case=delivering, document_type__code="delivery_receipt")
    assert document.uploaded_by == hospital1
    assert "receipt.pdf" in response.content.decode()


def test_hospital_list_shows_the_shipment(client, hospital1, delivering, case_b):
    client.force_login(hospital1)
    body = client.get(reverse("portal:hospital_cases")).content.decode()
    assert delivering.reference in body
    assert delivering.awb_number in body
    assert delivering.permit_number in body
    assert delivering.bill_of_entry_number in body
    assert case_b.reference not in body
    assert case_b.patient.full_name not in body


def test_clinical_documents_are_hidden_from_hospital_admins_until_granted(
    client, hospital1, doctor1, facilitator, case_a, pdf
):
    case = walk_to(case_a, "documents", doctor1)
    lft = document_upload(
        case=case,
        document_type=doc_type("liver_function"),
        data=pdf,
        filename="lft.pdf",
        by=doctor1,
        sample_taken_on=timezone.localdate(),
        alt=Decimal("37.5"),
    )
    client.force_login(hospital1)
    page_url = reverse("portal:hospital_case", args=[case.pk])
    download_url = reverse("documents:download", args=[lft.pk])

    body = client.get(page_url).content.decode()
    assert "Liver function" not in body
    assert "37.5" not in body
    assert "lft.pdf" not in body
    assert client.get(download_url).status_code == 404

    case_grant_clinical_access(case=case, by=facilitator, reason="Infusion team needs the LFTs.")

    body = client.get(page_url).content.decode()
    assert "Liver function" in body
    assert "37.5" in body
    response = client.get(download_url)
    assert response.status_code == 200
    close_response(response)


def test_refusals_do_not_quote_clinical_values_to_hospital_admins(
    client, hospital1, doctor1, facilitator, delivering, shipment_papers
):
    # A newer liver panel, accepted, with ALT far above 2 x ULN: eligibility now fails.
    bad_lft = document_upload(
        case=delivering,
        document_type=doc_type("liver_function"),
        data=pdf_upload().read(),
        filename="lft-new.pdf",
        by=doctor1,
        sample_taken_on=timezone.localdate(),
        alt=Decimal("612.5"),
        ast=Decimal(30),
        total_bilirubin=Decimal("0.5"),
    )
    document_review(document=bad_lft, by=facilitator, status="accepted")
    client.force_login(hospital1)

    response = _confirm(client, delivering)

    body = response.content.decode()
    assert "Confirm delivery and schedule infusion refused" in error_text(response)
    assert "612.5" not in body
    assert "ALT" not in body
    assert "Some clinical requirements" in body
    delivering.refresh_from_db()
    assert delivering.state == "delivery"

    case_grant_clinical_access(case=delivering, by=facilitator, reason="Infusion team.")
    response = _confirm(client, delivering)
    assert "612.5" in response.content.decode()


def test_the_hospital_list_says_what_the_hospital_owes(
    client, hospital1, facilitator, case_a, delivering
):
    """Issue 13: each role's list shows what that role owes."""
    from tests.factories import CaseFactory

    CaseFactory(doctor=case_a.doctor, facilitator=facilitator)  # nothing for the hospital yet
    client.force_login(hospital1)
    rows = {
        row["case"].pk: row["actions"]
        for row in client.get(reverse("portal:hospital_cases")).context["rows"]
    }
    assert rows.pop(delivering.pk) == ["Confirm delivery and schedule infusion"]
    assert list(rows.values()) == [[]]
    assert "Nothing for you now" in client.get(reverse("portal:hospital_cases")).content.decode()
