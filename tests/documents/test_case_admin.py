"""The case page's document parts, which documents.admin adds to the cases app's case admin."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from cases.admin import CaseModelAdmin
from cases.models import Case
from documents.demo import simple_pdf
from documents.models import DocumentType
from documents.packets.models import PacketBuild
from documents.tasks import build_packet_task
from tests.factories import give_documents, walk_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def facilitator_client(client, facilitator):
    client.force_login(facilitator)
    return client


def test_the_registered_case_admin_carries_the_document_parts():
    case_admin = admin.site._registry[Case]
    assert isinstance(case_admin, CaseModelAdmin)
    assert {"export_csv", "build_application_packets", "build_customs_packets"} <= set(
        case_admin.actions
    )


def test_a_facilitator_uploads_a_document_from_the_case_page(
    facilitator_client, case_a, facilitator
):
    case = walk_to(case_a, "documents", facilitator)
    prescription = DocumentType.objects.get(code="prescription")
    upload = SimpleUploadedFile(
        "rx.pdf", simple_pdf("Prescription", [case.reference]), content_type="application/pdf"
    )

    response = facilitator_client.post(
        reverse("admin:cases_case_upload", args=[case.pk]),
        {"document_type": prescription.pk, "upload": upload},
    )

    assert response.status_code == 302
    assert response["Location"].endswith("#npp-documents")
    assert case.documents.filter(document_type=prescription, uploaded_by=facilitator).exists()
    assert any(str(m).startswith("Uploaded") for m in get_messages(response.wsgi_request))


def test_an_upload_that_is_not_a_document_is_refused_and_stores_nothing(
    facilitator_client, case_a, facilitator
):
    case = walk_to(case_a, "documents", facilitator)
    prescription = DocumentType.objects.get(code="prescription")
    upload = SimpleUploadedFile("rx.pdf", b"not a pdf", content_type="application/pdf")

    response = facilitator_client.post(
        reverse("admin:cases_case_upload", args=[case.pk]),
        {"document_type": prescription.pk, "upload": upload},
    )

    assert response.status_code == 302
    assert not case.documents.exists()
    assert any(str(m).startswith("Upload refused") for m in get_messages(response.wsgi_request))


def test_the_case_page_shows_the_checklist_documents_upload_form_and_packets(
    facilitator_client, case_a, facilitator
):
    case = walk_to(case_a, "documents", facilitator)

    response = facilitator_client.get(reverse("admin:cases_case_change", args=[case.pk]))

    for key in ("checklist", "documents", "upload_form", "upload_url", "packets"):
        assert key in response.context
    assert response.context["upload_url"] == reverse("admin:cases_case_upload", args=[case.pk])


def test_the_build_packets_action_queues_a_build_per_selected_case(
    facilitator_client, case_a, case_b, facilitator, django_capture_on_commit_callbacks
):
    for case in (case_a, case_b):
        give_documents(walk_to(case, "documents", facilitator), "regulatory_review", facilitator)
    with (
        mock.patch.object(build_packet_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = facilitator_client.post(
            reverse("admin:cases_case_changelist"),
            {"action": "build_application_packets", "_selected_action": [case_a.pk, case_b.pk]},
        )

    assert response.status_code == 302
    assert PacketBuild.objects.filter(kind="application").count() == 2
    assert delay.call_count == 2


def test_without_the_documents_admin_an_export_with_identifiers_fails_rather_than_go_unrecorded(
    facilitator, case_a
):
    request = RequestFactory().post("/", {"confirm": "yes", "include_identifiers": "on"})
    request.user = facilitator
    bare = CaseModelAdmin(Case, admin.site)

    with pytest.raises(NotImplementedError):
        bare.export_csv(request, Case.objects.filter(pk=case_a.pk))
