"""Refused uploads store nothing (issue 12): hostile PDFs, implausible sample dates and uploads to
a closed or cancelled case, through the upload service, the doctor's portal and the admin."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cases.services import case_apply
from cases.states import CaseState
from documents.demo import simple_pdf
from documents.models import Document, DocumentType
from documents.services import document_upload
from tests.documents.hostile import hostile_pdfs
from tests.factories import bring_to, default_facts, walk_to

pytestmark = pytest.mark.django_db

# A handful of the corpus for the slower paths through the views.
VIEW_SAMPLES = [
    "attached .exe",
    "submit form on open",
    "JavaScript in a link annotation",
    "small file expanding to 300 MB",
    "damaged",
]


def stored_files() -> list[Path]:
    root = Path(settings.PRIVATE_STORAGE_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def doc_type(code: str) -> DocumentType:
    return DocumentType.objects.get(code=code)


def messages_of(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


class NothingStored:
    """Counts Document rows and files before, to assert none were added after."""

    def __init__(self) -> None:
        self.documents = Document.objects.count()
        self.files = stored_files()

    def check(self) -> None:
        assert Document.objects.count() == self.documents
        assert stored_files() == self.files


@pytest.fixture
def collecting(case_a, doctor1):
    return walk_to(case_a, CaseState.DOCUMENTS, doctor1)


def upload(case, by, *, code="prescription", data=None, **values):
    return document_upload(
        case=case,
        document_type=doc_type(code),
        by=by,
        data=data or simple_pdf("Prescription"),
        filename="report.pdf",
        **values,
    )


def refusal(case, by, **kwargs) -> ValidationError:
    before = NothingStored()
    with pytest.raises(ValidationError) as caught:
        upload(case, by, **kwargs)
    before.check()
    return caught.value


# Hostile PDFs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("hostile", hostile_pdfs(), ids=lambda hostile: hostile.label)
def test_the_upload_service_refuses_each_hostile_pdf_and_stores_nothing(
    hostile, collecting, doctor1
):
    error = refusal(collecting, doctor1, data=hostile.data)

    assert error.messages == [hostile.message]


@pytest.mark.parametrize(
    "hostile",
    [hostile for hostile in hostile_pdfs() if hostile.label in VIEW_SAMPLES],
    ids=lambda hostile: hostile.label,
)
def test_the_doctor_sees_why_a_hostile_pdf_was_refused_and_nothing_is_stored(
    client, hostile, collecting, doctor1
):
    before = NothingStored()
    client.force_login(doctor1)

    response = client.post(
        reverse("portal:doctor_upload", args=[collecting.pk]),
        {
            "document_type": doc_type("prescription").pk,
            "upload": SimpleUploadedFile("report.pdf", hostile.data, "application/pdf"),
        },
    )

    assert response.status_code == 200
    assert hostile.message in messages_of(response)
    assert "Traceback" not in response.content.decode()
    before.check()


def test_the_facilitator_sees_why_a_hostile_pdf_was_refused_in_the_admin(
    client, collecting, facilitator
):
    hostile = next(h for h in hostile_pdfs() if h.label == "attached .exe")
    before = NothingStored()
    client.force_login(facilitator)

    response = client.post(
        reverse("admin:cases_case_upload", args=[collecting.pk]),
        {
            "document_type": doc_type("form_12a").pk,
            "upload": SimpleUploadedFile("invoice.pdf", hostile.data, "application/pdf"),
        },
        follow=True,
    )

    assert f"Upload refused: {hostile.message}" in messages_of(response)
    before.check()


def test_a_value_the_model_refuses_after_the_file_was_written_leaves_no_file(collecting, doctor1):
    # full_clean runs after the file is written; the service must remove it again.
    error = refusal(
        collecting,
        doctor1,
        code="anti_aav9_titer",
        sample_taken_on=timezone.localdate(),
        anti_aav9_titer="one in fifty",
    )

    assert "ask the lab for the numeric report" in error.messages[0]


# Lab sample dates -----------------------------------------------------------------------------


def test_a_sample_dated_1900_is_refused_by_the_service(collecting, doctor1):
    born = collecting.patient.date_of_birth

    error = refusal(
        collecting, doctor1, code="cbc", sample_taken_on=dt.date(1900, 1, 1), platelets=300
    )

    assert error.message_dict == {
        "sample_taken_on": [
            f"The sample date (01 Jan 1900) is before the child's date of birth ({born:%d %b %Y}); "
            "check the date on the report and enter it again."
        ]
    }


def test_a_sample_taken_on_the_day_of_birth_is_accepted_the_day_before_is_not(collecting, doctor1):
    born = collecting.patient.date_of_birth

    assert upload(collecting, doctor1, code="cbc", sample_taken_on=born, platelets=300).pk
    error = refusal(
        collecting, doctor1, code="cbc", sample_taken_on=born - dt.timedelta(days=1), platelets=300
    )
    assert "before the child's date of birth" in error.messages[0]


def test_a_sample_older_than_the_setting_is_refused_even_after_birth(collecting, doctor1, settings):
    settings.NPP_LAB_SAMPLE_MAX_AGE_DAYS = 30
    taken = timezone.localdate() - dt.timedelta(days=31)

    error = refusal(collecting, doctor1, code="cbc", sample_taken_on=taken, platelets=300)

    assert error.messages == [
        f"The sample date ({taken:%d %b %Y}) is more than 30 days ago; "
        "check the date on the report and enter it again."
    ]
    taken = timezone.localdate() - dt.timedelta(days=30)
    assert upload(collecting, doctor1, code="cbc", sample_taken_on=taken, platelets=300).pk


def test_the_doctor_is_told_a_1900_sample_date_is_implausible_and_nothing_is_stored(
    client, collecting, doctor1
):
    before = NothingStored()
    client.force_login(doctor1)

    response = client.post(
        reverse("portal:doctor_upload", args=[collecting.pk]),
        {
            "document_type": doc_type("cbc").pk,
            "sample_taken_on": "1900-01-01",
            "platelets": "300",
            "upload": SimpleUploadedFile("cbc.pdf", simple_pdf("CBC"), "application/pdf"),
        },
    )

    assert response.status_code == 200
    assert (
        "The sample date (01 Jan 1900) is more than 365 days ago; check the date on the "
        "report and enter it again."
    ) in messages_of(response)
    before.check()


# Closed and cancelled cases -------------------------------------------------------------------


@pytest.fixture
def closed(case_a, facilitator):
    return bring_to(case_a, CaseState.CLOSED, facilitator)


@pytest.fixture
def cancelled(case_a, facilitator):
    return bring_to(case_a, CaseState.CANCELLED, facilitator)


def test_the_service_refuses_an_upload_to_a_closed_case(closed, facilitator):
    error = refusal(closed, facilitator, code="other")

    assert error.messages == [
        f"Case {closed.reference} is closed, so no more documents can be added to it; "
        "the file was not stored."
    ]


def test_the_service_refuses_an_upload_to_a_cancelled_case(cancelled, doctor1):
    error = refusal(cancelled, doctor1, code="other")

    assert error.messages == [
        f"Case {cancelled.reference} was cancelled, so no more documents can be added to it; "
        "the file was not stored."
    ]


def test_a_case_cancelled_while_the_file_was_checked_takes_no_upload(
    collecting, facilitator, doctor1
):
    stale = type(collecting).objects.get(pk=collecting.pk)  # the page the doctor had open
    case_apply(case=collecting, transition="cancel", by=facilitator, **default_facts("cancel"))

    error = refusal(stale, doctor1, code="other")

    assert "was cancelled" in error.messages[0]


def test_the_doctor_is_told_a_cancelled_case_takes_no_documents(client, cancelled, doctor1):
    before = NothingStored()
    client.force_login(doctor1)

    response = client.post(
        reverse("portal:doctor_upload", args=[cancelled.pk]),
        {
            "document_type": doc_type("other").pk,
            "upload": SimpleUploadedFile("late.pdf", simple_pdf("Late"), "application/pdf"),
        },
    )

    assert response.status_code == 200
    assert (
        f"Case {cancelled.reference} was cancelled, so no more documents can be added to "
        "it; the file was not stored."
    ) in messages_of(response)
    before.check()


def test_the_facilitator_is_told_a_closed_case_takes_no_documents(client, closed, facilitator):
    before = NothingStored()
    client.force_login(facilitator)

    response = client.post(
        reverse("admin:cases_case_upload", args=[closed.pk]),
        {
            "document_type": doc_type("other").pk,
            "upload": SimpleUploadedFile("late.pdf", simple_pdf("Late"), "application/pdf"),
        },
        follow=True,
    )

    assert (
        f"Upload refused: Case {closed.reference} is closed, so no more documents can be "
        "added to it; the file was not stored."
    ) in messages_of(response)
    before.check()
