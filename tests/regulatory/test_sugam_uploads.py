"""SUGAM-ready uploads (DOMAIN.md §9: a PDF of about 2 MB each): a heavy scan is compressed
under the limit with pypdf and Pillow, an image becomes a PDF, a file that cannot be made
small enough is refused with a warning (and downloadable anyway), every download is logged."""

from __future__ import annotations

import io
import os

import pytest
from django.test import override_settings
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from cases.states import CaseState
from documents.models import DocumentAccess
from regulatory.compression import compress_document
from tests import factories
from tests.documents.test_packets import multipage_pdf

pytestmark = pytest.mark.django_db

LIMIT = 2_000_000


def heavy_scan() -> bytes:
    """A one-page PDF holding a noisy photo: several MB that deflate cannot shrink."""
    noise = Image.frombytes("RGB", (1800, 1800), os.urandom(1800 * 1800 * 3))
    out = io.BytesIO()
    noise.save(out, format="PDF", quality=95, resolution=150)
    data = out.getvalue()
    assert len(data) > LIMIT
    return data


@pytest.fixture
def case(facilitator):
    return factories.walk_to(
        factories.CaseFactory(facilitator=facilitator), CaseState.DOCUMENTS, facilitator
    )


@pytest.fixture
def desk(client, facilitator):
    client.force_login(facilitator)
    return client


def test_a_heavy_scan_is_compressed_under_the_limit(case, facilitator, desk):
    document = factories.upload_document(
        case, "prescription", facilitator, data=heavy_scan(), filename="scan.pdf"
    )
    page = desk.get(reverse("admin:regulatory_sugam", args=[case.pk])).content.decode()
    assert "over the limit: will be compressed" in page

    response = desk.get(reverse("admin:regulatory_sugam_download", args=[document.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert len(response.content) <= LIMIT
    assert len(PdfReader(io.BytesIO(response.content)).pages) == 1
    assert "JPEG quality" in response["X-NPP-Compression"]
    assert DocumentAccess.objects.filter(document_id=document.pk, action="sugam_download").exists()


def test_a_small_pdf_goes_out_unchanged(case, facilitator, desk):
    data = multipage_pdf("prescription", 2)
    document = factories.upload_document(case, "prescription", facilitator, data=data)
    response = desk.get(reverse("admin:regulatory_sugam_download", args=[document.pk]))
    assert response.content == data
    assert response["X-NPP-Compression"] == "unchanged"


def test_an_image_becomes_a_pdf(case, facilitator):
    photo = io.BytesIO()
    Image.frombytes("RGB", (1200, 900), os.urandom(1200 * 900 * 3)).save(photo, format="PNG")
    result = compress_document(photo.getvalue(), "image/png", limit=LIMIT)
    assert result.fits
    assert result.data.startswith(b"%PDF")
    assert len(PdfReader(io.BytesIO(result.data)).pages) == 1


@override_settings(NPP_SUGAM_UPLOAD_MAX_BYTES=5_000)
def test_a_file_that_cannot_fit_is_refused_with_a_warning_and_can_be_taken_anyway(
    case, facilitator, desk
):
    document = factories.upload_document(
        case, "prescription", facilitator, data=heavy_scan(), filename="scan.pdf"
    )
    url = reverse("admin:regulatory_sugam_download", args=[document.pk])

    response = desk.get(url, follow=True)

    page = response.content.decode()
    assert "could not be brought under 0.0 MB" in page
    assert "download anyway" in page
    assert not DocumentAccess.objects.filter(action="sugam_download").exists()
    anyway = desk.get(url + "?anyway=1")
    assert anyway.status_code == 200
    assert anyway.content.startswith(b"%PDF")


def test_a_document_out_of_scope_is_not_found_and_others_are_refused(case, facilitator, client):
    document = factories.upload_document(case, "prescription", facilitator)
    client.force_login(case.doctor.user)
    assert client.get(
        reverse("admin:regulatory_sugam_download", args=[document.pk])
    ).status_code in (302, 403)
    client.force_login(facilitator)
    assert client.get(reverse("admin:regulatory_sugam_download", args=[999999])).status_code == 404


def test_a_file_that_is_neither_pdf_nor_image_is_refused_with_a_message(case, facilitator, desk):
    from documents.models import Document

    document = factories.upload_document(case, "prescription", facilitator)
    Document.objects.filter(pk=document.pk).update(content_type="text/csv")  # a logger's CSV

    response = desk.get(reverse("admin:regulatory_sugam_download", args=[document.pk]), follow=True)

    assert response.status_code == 200
    assert "is not a PDF or an image: SUGAM takes it as it is." in response.content.decode()
    assert not DocumentAccess.objects.filter(action="sugam_download").exists()
