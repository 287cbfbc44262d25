"""A doctor uploads from the checklist on their phone; bad files and values store nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from documents import validation
from documents.models import Document
from documents.selectors import LineStatus
from documents.services import document_review
from tests.factories import walk_to

from .conftest import doc_type, error_text, line_status, parse, pdf_upload, stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def collecting(case_a, doctor1):
    return walk_to(case_a, "documents", doctor1)


def _upload(client, case, code, upload, **values):
    data = {"document_type": doc_type(code).pk, "upload": upload, **values}
    return client.post(reverse("portal:doctor_upload", args=[case.pk]), data, follow=True)


def _lft(**overrides):
    values = {
        "sample_taken_on": (timezone.localdate() - dt.timedelta(days=3)).isoformat(),
        "alt": "32",
        "ast": "41",
        "total_bilirubin": "0.6",
    }
    return {**values, **overrides}


def test_lab_report_uploaded_from_the_checklist_is_pending_then_ok(
    client, doctor1, facilitator, collecting
):
    client.force_login(doctor1)
    page = client.get(reverse("portal:doctor_case", args=[collecting.pk]))
    assert line_status(page, "liver_function") == LineStatus.MISSING

    response = _upload(client, collecting, "liver_function", pdf_upload("lft.pdf"), **_lft())

    assert response.redirect_chain[-1][0].endswith(
        f"/portal/doctor/cases/{collecting.pk}/#checklist"
    )
    assert line_status(response, "liver_function") == LineStatus.PENDING
    assert "pending review" in response.content.decode()
    document = Document.objects.get(case=collecting, document_type__code="liver_function")
    assert document.version == 1
    assert document.alt == 32
    assert document.uploaded_by == doctor1

    document_review(document=document, by=facilitator, status="accepted")
    page = client.get(reverse("portal:doctor_case", args=[collecting.pk]))
    assert line_status(page, "liver_function") == LineStatus.OK


def test_each_line_form_has_the_type_preselected_and_lab_fields_only_for_labs(
    client, doctor1, collecting
):
    client.force_login(doctor1)
    page = client.get(reverse("portal:doctor_case", args=[collecting.pk]))
    items = {item["line"].document_type.code: item for item in page.context["checklist"]}
    liver = items["liver_function"]["form"]
    assert liver.initial["document_type"] == doc_type("liver_function").pk
    assert [f.name for f in liver.shown_fields()] == [
        "upload",
        "sample_taken_on",
        "alt",
        "alt_uln",
        "ast",
        "ast_uln",
        "total_bilirubin",
        "total_bilirubin_uln",  # the lab's own upper limits (DOMAIN.md §1.10)
    ]
    assert [f.name for f in items["prescription"]["form"].shown_fields()] == ["upload"]


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("report.pdf", b"<html><body>hi</body></html>", "application/pdf"),
            validation.UNSUPPORTED_TYPE,
        ),
        (SimpleUploadedFile("empty.pdf", b"", "application/pdf"), "The submitted file is empty."),
    ],
    ids=["html-renamed-pdf", "zero-bytes"],
)
def test_a_bad_file_is_refused_with_a_message_and_nothing_stored(
    client, doctor1, collecting, upload, message
):
    documents_before, files_before = Document.objects.count(), stored_files()
    client.force_login(doctor1)
    response = _upload(client, collecting, "prescription", upload)
    assert response.status_code == 200
    assert message in error_text(response)
    assert escape(message) in response.content.decode()  # also beside the field
    assert Document.objects.count() == documents_before
    assert stored_files() == files_before


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"alt": "99999"}, "less than or equal to 5000"),
        (
            {"sample_taken_on": (timezone.localdate() + dt.timedelta(days=1)).isoformat()},
            "The sample date cannot be in the future.",
        ),
        ({"sample_taken_on": ""}, "Enter the date the sample was taken."),
    ],
    ids=["alt-out-of-range", "sample-in-the-future", "sample-date-missing"],
)
def test_implausible_lab_values_are_refused_and_nothing_stored(
    client, doctor1, collecting, values, message
):
    documents_before, files_before = Document.objects.count(), stored_files()
    client.force_login(doctor1)
    response = _upload(client, collecting, "liver_function", pdf_upload(), **_lft(**values))
    assert message in error_text(response)
    assert Document.objects.count() == documents_before
    assert stored_files() == files_before
    # The refused form comes back open on its own line, keeping what was typed.
    items = {i["line"].document_type.code: i for i in response.context["checklist"]}
    assert items["liver_function"]["form"].is_bound


def test_a_doctor_cannot_upload_a_type_that_is_not_theirs(client, doctor1, collecting):
    client.force_login(doctor1)
    response = _upload(client, collecting, "form_12b_permit", pdf_upload())
    assert "Select a valid choice" in error_text(response)
    assert not Document.objects.filter(document_type__code="form_12b_permit").exists()


def test_the_any_document_form_takes_other_documents(client, doctor1, collecting):
    client.force_login(doctor1)
    response = _upload(client, collecting, "other", pdf_upload("note.pdf"))
    assert Document.objects.get(case=collecting, document_type__code="other").uploaded_by == doctor1
    assert "note.pdf" in response.content.decode()


def test_a_doctor_cannot_upload_to_another_doctors_case(client, doctor1, case_b):
    client.force_login(doctor1)
    response = _upload(client, case_b, "prescription", pdf_upload())
    assert response.status_code == 404
    assert not Document.objects.filter(case=case_b).exists()


def test_case_page_meets_the_ui_standards(client, doctor1, collecting):
    client.force_login(doctor1)
    page = parse(client.get(reverse("portal:doctor_case", args=[collecting.pk])))
    assert page.current_steps == 1
    assert all(form["csrf"] for form in page.forms if form["method"] == "post")
    visible = [i for i in page.inputs if i.get("type") not in ("hidden", "submit")]
    assert visible
    unlabelled = [i for i in visible if i.get("id") not in page.label_for]
    assert unlabelled == []
    ids = [i["id"] for i in visible]
    assert len(ids) == len(set(ids))
