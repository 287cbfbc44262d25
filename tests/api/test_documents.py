"""Documents through the API: listed and shown within scope, uploaded through the portals'
form and ``document_upload`` (the same refusals), downloaded through the portals' view (the
same access log)."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases.states import CaseState
from documents.models import Document, DocumentAccess
from documents.services import document_upload
from tests.documents.hostile import hostile_pdfs
from tests.factories import walk_to
from tests.portal.conftest import doc_type, pdf_bytes, stored_files

from .conftest import streamed

pytestmark = pytest.mark.django_db


@pytest.fixture
def collecting(case_a, facilitator):
    return walk_to(case_a, CaseState.DOCUMENTS, facilitator)


def upload(client, case, code: str, data: bytes, filename: str = "report.pdf", **values):
    return client.post(
        f"/api/v1/cases/{case.reference}/documents/",
        {"document_type": code, "file": SimpleUploadedFile(filename, data), **values},
        format="multipart",
    )


def test_a_doctor_uploads_a_lab_report_with_its_values(api, doctor1, collecting):
    taken = timezone.localdate() - dt.timedelta(days=2)

    response = upload(
        api(doctor1),
        collecting,
        "liver_function",
        pdf_bytes(),
        "lft.pdf",
        sample_taken_on=taken.isoformat(),
        alt="31.5",
        ast="30",
        total_bilirubin="0.5",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["document_type"]["code"] == "liver_function"
    assert body["version"] == 1
    assert body["review_status"] == "pending"
    assert body["lab_values"]["alt"] == "31.5"
    assert body["uploaded_by"] == doctor1.get_full_name()
    document = Document.objects.get(pk=body["id"])
    assert document.sample_taken_on == taken


def test_a_hostile_pdf_is_refused_with_the_validators_message_and_nothing_is_stored(
    api, doctor1, collecting
):
    client = api(doctor1)
    before = (Document.objects.count(), stored_files())
    for hostile in hostile_pdfs()[:4]:
        response = upload(client, collecting, "medical_report", hostile.data, "report.pdf")

        assert response.status_code == 400, hostile.label
        assert response.json()["errors"] == [hostile.message], hostile.label
        assert response.json()["codes"] == [hostile.code], hostile.label
    assert (Document.objects.count(), stored_files()) == before


def test_a_lab_report_without_its_sample_date_is_refused_as_in_the_portal(api, doctor1, collecting):
    response = upload(api(doctor1), collecting, "liver_function", pdf_bytes())

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "sample_taken_on": ["Enter the date the sample was taken."]
    }


def test_an_unknown_type_or_no_file_is_refused_per_field(api, doctor1, collecting):
    client = api(doctor1)

    no_type = upload(client, collecting, "passport", pdf_bytes())
    no_file = client.post(
        f"/api/v1/cases/{collecting.reference}/documents/",
        {"document_type": "medical_report"},
        format="multipart",
    )

    assert set(no_type.json()["fields"]) == {"document_type"}
    assert set(no_file.json()["fields"]) == {"file"}


def test_an_upload_to_a_cancelled_case_is_refused_in_the_services_words(
    api, facilitator, collecting
):
    from cases.services import case_apply

    case_apply(
        case=collecting, transition="cancel", by=facilitator, cancellation_reason="Withdrawn."
    )

    response = upload(api(facilitator), collecting, "medical_report", pdf_bytes())

    assert response.status_code == 400
    assert response.json()["codes"] == ["case_ended"]
    assert "was cancelled" in response.json()["errors"][0]


def test_a_type_the_user_may_not_upload_answers_403(api, hospital1, collecting):
    response = upload(api(hospital1), collecting, "medical_report", pdf_bytes())

    assert response.status_code == 403
    assert not Document.objects.filter(case=collecting).exists()


def test_an_upload_to_a_case_out_of_scope_answers_404(api, doctor2, collecting):
    assert upload(api(doctor2), collecting, "medical_report", pdf_bytes()).status_code == 404


def test_a_token_upload_is_in_the_audit_trail_with_its_user(api, doctor1, collecting):
    response = upload(api(doctor1), collecting, "medical_report", pdf_bytes())

    entry = LogEntry.objects.get_for_object(Document.objects.get(pk=response.json()["id"])).get()
    assert entry.actor == doctor1


def test_the_list_and_metadata_leave_out_clinical_documents_for_a_hospital_admin(
    api, doctor1, hospital1, collecting
):
    lab = document_upload(
        case=collecting,
        document_type=doc_type("liver_function"),
        data=pdf_bytes(),
        filename="lft.pdf",
        by=doctor1,
        sample_taken_on=timezone.localdate(),
    )
    receipt = document_upload(
        case=collecting,
        document_type=doc_type("delivery_receipt"),
        data=pdf_bytes(),
        filename="receipt.pdf",
        by=hospital1,
    )
    client = api(hospital1)

    listed = client.get(f"/api/v1/cases/{collecting.reference}/documents/").json()

    assert [d["id"] for d in listed] == [receipt.pk]
    assert listed[0]["lab_values"] is None
    assert client.get(f"/api/v1/documents/{lab.pk}/").status_code == 404
    assert client.get(f"/api/v1/documents/{lab.pk}/download/").status_code == 404
    assert client.get(f"/api/v1/documents/{receipt.pk}/").json()["case"] == collecting.reference


def test_a_download_is_the_file_and_a_line_in_the_access_log(api, doctor1, collecting):
    data = pdf_bytes()
    document = document_upload(
        case=collecting,
        document_type=doc_type("medical_report"),
        data=data,
        filename="report.pdf",
        by=doctor1,
    )
    client = api(doctor1)

    response = client.get(
        f"/api/v1/documents/{document.pk}/download/", HTTP_ACCEPT="application/pdf"
    )

    assert response.status_code == 200
    assert streamed(response) == data
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert 'filename="report.pdf"' in response["Content-Disposition"]
    (line,) = DocumentAccess.objects.filter(document_id=document.pk)
    assert (line.username, line.action, line.case_reference) == (
        "doctor1",
        "download",
        collecting.reference,
    )


def test_a_refused_download_writes_no_access_log_line(api, doctor2, doctor1, collecting):
    document = document_upload(
        case=collecting,
        document_type=doc_type("medical_report"),
        data=pdf_bytes(),
        filename="report.pdf",
        by=doctor1,
    )

    assert api(doctor2).get(f"/api/v1/documents/{document.pk}/download/").status_code == 404
    assert not DocumentAccess.objects.filter(document_id=document.pk).exists()
