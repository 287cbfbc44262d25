"""Good and bad upload samples, generated in memory (no binary files in the repository).

``bad_uploads()`` is the corpus from the issue's "Bad input" list; upload-view tests can
parametrize over it too and assert that nothing is stored.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any, NamedTuple

from PIL import Image
from pypdf import PdfWriter
from pypdf.actions import JavaScript

CATALOG = b"<< /Type /Catalog /Pages 2 0 R %s >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] %s >>"


def make_pdf(pages: int = 1, *, javascript: str = "", password: str | None = None) -> bytes:
    """A real PDF from pypdf's writer: blank A4 pages, optionally with a script or encrypted."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    if javascript:
        writer.add_open_action(JavaScript(javascript))
    if password is not None:
        writer.encrypt(password, "owner-secret")
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def handmade_pdf(catalog_extra: bytes = b"", page_extra: bytes = b"", *more: bytes) -> bytes:
    """A one-page PDF written by hand (objects 1-3), with extra entries and objects 4, 5, ...

    For what pypdf's writer will not produce: hex-escaped names, /AA, /Launch.
    """
    objects = [CATALOG % catalog_extra, PAGES, PAGE % page_extra, *more]
    output = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(output)
    output += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    output += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    output += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(output)


def pdf_with_object_stream(hidden: bytes) -> bytes:
    """A PDF whose /OpenAction is object 5, kept compressed inside an object stream.

    Nothing of ``hidden`` shows in the raw bytes, so only a parse sees it.
    """
    output = bytearray(b"%PDF-1.7\n")
    offsets: dict[int, int] = {}

    def add(number: int, body: bytes) -> None:
        offsets[number] = len(output)
        output.extend(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    prefix = b"5 0 "
    packed = zlib.compress(prefix + hidden)
    add(1, CATALOG % b"/OpenAction 5 0 R")
    add(2, PAGES)
    add(3, PAGE % b"")
    add(
        4,
        b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
        % (len(prefix), len(packed), packed),
    )
    offsets[6] = len(output)
    rows = [b"\x00\x00\x00\x00\x00\xff\xff"]
    rows += [b"\x01" + struct.pack(">IH", offsets[number], 0) for number in (1, 2, 3, 4)]
    rows += [b"\x02" + struct.pack(">IH", 4, 0), b"\x01" + struct.pack(">IH", offsets[6], 0)]
    table = b"".join(rows)
    add(
        6,
        b"<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n%s\nendstream"
        % (len(table), table),
    )
    output.extend(b"startxref\n%d\n%%%%EOF\n" % offsets[6])
    return bytes(output)


def make_image(
    fmt: str, size: tuple[int, int] = (64, 48), mode: str = "RGB", **options: Any
) -> bytes:
    """A small image with some structure (a gradient), so re-encoding has something to keep."""
    image = Image.linear_gradient("L").resize(size).convert(mode)
    output = io.BytesIO()
    image.save(output, format=fmt, **options)
    return output.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A well-formed PNG header announcing huge dimensions, with almost no pixel data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


class BadUpload(NamedTuple):
    label: str
    data: bytes
    filename: str
    code: str


def bad_uploads() -> list[BadUpload]:
    """The issue's corpus; each must be refused with the given ValidationError code."""
    pdf = make_pdf()
    jpeg = make_image("JPEG")
    return [
        BadUpload(
            "html renamed .pdf",
            b"<!DOCTYPE html><script>alert(1)</script>",
            "report.pdf",
            "unsupported_type",
        ),
        BadUpload(
            "elf renamed .png",
            b"\x7fELF\x02\x01\x01\x00" + bytes(120),
            "scan.png",
            "unsupported_type",
        ),
        BadUpload(
            "pe renamed .jpg",
            b"MZ\x90\x00\x03" + bytes(59) + b"PE\x00\x00",
            "photo.jpg",
            "unsupported_type",
        ),
        BadUpload("zip renamed .pdf", b"PK\x03\x04" + bytes(40), "report.pdf", "unsupported_type"),
        BadUpload("truncated pdf", pdf[: len(pdf) // 2], "report.pdf", "pdf_unreadable"),
        BadUpload("encrypted pdf", make_pdf(password="patient-dob"), "report.pdf", "pdf_encrypted"),
        BadUpload(
            "encrypted pdf, empty password", make_pdf(password=""), "report.pdf", "pdf_encrypted"
        ),
        BadUpload(
            "pdf with /JavaScript",
            make_pdf(javascript="app.alert(1)"),
            "report.pdf",
            "pdf_active_content",
        ),
        BadUpload(
            "pdf with /OpenAction javascript",
            handmade_pdf(b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>"),
            "report.pdf",
            "pdf_active_content",
        ),
        BadUpload("empty file", b"", "report.pdf", "empty"),
        BadUpload("nul in the file name", pdf, "report.pdf\x00.exe", "filename_nul"),
        BadUpload("truncated jpeg", jpeg[: len(jpeg) // 2], "photo.jpg", "image_unreadable"),
    ]
