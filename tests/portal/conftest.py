"""Helpers for the portal tests: small real files, document types, and what is on disk."""

from __future__ import annotations

import io
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter

from documents.models import DocumentType

PASSWORD = "demo-pass-2026"  # tests.factories.UserFactory's password


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def pdf() -> bytes:
    return pdf_bytes()


def pdf_upload(name: str = "report.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


def doc_type(code: str) -> DocumentType:
    return DocumentType.objects.get(code=code)


def stored_files() -> list[Path]:
    root = Path(settings.PRIVATE_STORAGE_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def line_status(response, code: str) -> str:
    """The status of checklist line ``code`` on a rendered case page."""
    for item in response.context["checklist"]:
        if item["line"].document_type.code == code:
            return item["line"].status
    raise AssertionError(f"no checklist line {code}")


def error_text(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


class PageParser(HTMLParser):
    """Collects links, form actions and the parts the UI standards care about."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.forms: list[dict] = []
        self.inputs: list[dict] = []
        self.label_for: set[str] = set()
        self.current_steps = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        elif tag == "form":
            self.forms.append(
                {
                    "method": (attrs.get("method") or "get").lower(),
                    "action": attrs.get("action") or "",
                    "csrf": False,
                }
            )
        elif tag == "input" and attrs.get("name") == "csrfmiddlewaretoken" and self.forms:
            self.forms[-1]["csrf"] = True
        if tag in ("input", "select", "textarea"):
            self.inputs.append(attrs)
        if tag == "label" and attrs.get("for"):
            self.label_for.add(attrs["for"])
        if attrs.get("aria-current") == "step":
            self.current_steps += 1


def parse(response) -> PageParser:
    parser = PageParser()
    parser.feed(response.content.decode())
    return parser


def close_response(response) -> None:
    """Close a streamed response without closing the test's database connection: closing
    fires request_finished, whose close_old_connections would end the test transaction's
    connection on PostgreSQL (Django's test client mutes it the same way)."""
    from django.core.signals import request_finished
    from django.db import close_old_connections

    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
