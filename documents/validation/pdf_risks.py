"""PDF risks: attached files, scripts and actions that reach outside the file, each refused.

Every object in the PDF (found from the trailer and the cross-reference table, in a bounded
walk, so also objects inside compressed object streams and objects nothing refers to) is
checked for: attached files (the /EmbeddedFiles name tree, file specifications holding a file,
/FileAttachment annotations), JavaScript (name tree, /JS, /S /JavaScript anywhere: open action,
/AA of the catalog, pages, annotations and form fields, outlines), /Launch, /SubmitForm,
/ImportData, /GoToR and /GoToE actions, a /URI action that runs without a click (/OpenAction,
any /AA), /RichMedia and XFA forms. A link the reader clicks (/A /URI) and internal links are
allowed. The raw bytes outside streams are scanned for the same names, so an object pypdf
skips is covered too. Each risk is refused with one sentence that names the file or address
when the PDF gives one, and says what to do instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    StreamObject,
)

from .pdf_objects import PDF_TOO_COMPLEX, all_references, name_of, resolved

# The risks a PDF may carry, each refused with one sentence that says what to do instead, in the
# order they are reported when a file has several. ``detail`` names the file or address involved
# when the PDF says which (" (invoice.exe)"), else it is empty.
PDF_ATTACHMENT = "This PDF carries an attached file%(detail)s; upload a PDF without attachments."
PDF_LAUNCH = (
    "This PDF tries to start a program or open a file on the computer%(detail)s; "
    "print it to a new PDF (or scan it) and upload that."
)
PDF_ACTIVE_CONTENT = (
    "This PDF contains JavaScript, which could run when it is opened; "
    "print it to a new PDF (or scan it) and upload that."
)
PDF_SUBMIT_FORM = (
    "This PDF has a form that sends its contents to another address%(detail)s; "
    "print it to a new PDF (or scan it) and upload that."
)
PDF_IMPORT_DATA = (
    "This PDF has a form that loads data from another file%(detail)s; "
    "print it to a new PDF (or scan it) and upload that."
)
PDF_REMOTE_FILE = (
    "This PDF opens another document%(detail)s; print it to a new PDF (or scan it) and upload that."
)
PDF_OPENS_URI = (
    "This PDF opens a web address by itself when it is viewed%(detail)s; "
    "print it to a new PDF (or scan it) and upload that."
)
PDF_RICH_MEDIA = (
    "This PDF embeds media (video, sound or Flash) that can run code; "
    "print it to a new PDF (or scan it) and upload that."
)
PDF_XFA = (
    "This PDF is a dynamic (XFA) form, which can run scripts; "
    "fill it in, print it to a new PDF and upload that."
)


@dataclass(frozen=True)
class _Risk:
    code: str
    message: str


# Keyed by risk, in the order of reporting (dicts keep their order).
_RISKS = {
    "attachment": _Risk("pdf_embedded_file", PDF_ATTACHMENT),
    "launch": _Risk("pdf_launch", PDF_LAUNCH),
    "javascript": _Risk("pdf_active_content", PDF_ACTIVE_CONTENT),
    "submit": _Risk("pdf_submit_form", PDF_SUBMIT_FORM),
    "import": _Risk("pdf_import_data", PDF_IMPORT_DATA),
    "remote": _Risk("pdf_remote_file", PDF_REMOTE_FILE),
    "opens_uri": _Risk("pdf_opens_uri", PDF_OPENS_URI),
    "rich_media": _Risk("pdf_rich_media", PDF_RICH_MEDIA),
    "xfa": _Risk("pdf_xfa", PDF_XFA),
}
# Action types (/S) and the risk each is. Other actions (go to a page, open a link the reader
# clicks, a named action such as "next page", show or hide a field) are harmless and allowed.
_ACTION_RISKS = {
    "/JavaScript": "javascript",
    "/Launch": "launch",
    "/SubmitForm": "submit",
    "/ImportData": "import",
    "/GoToR": "remote",
    "/GoToE": "remote",
    "/RichMediaExecute": "rich_media",
}
# Names that are a risk wherever they appear, as a value (``/S /Launch``, ``/Subtype
# /FileAttachment``) or as a key (``/JS``, the catalog's ``/EmbeddedFiles`` and ``/JavaScript``
# name trees). Hex escapes (``/J#53``) are decoded by then.
_RISKY_NAMES = {
    **_ACTION_RISKS,
    "/JS": "javascript",
    "/EmbeddedFiles": "attachment",
    "/EmbeddedFile": "attachment",
    "/FileAttachment": "attachment",
    "/RichMedia": "rich_media",
    "/RichMediaContent": "rich_media",
}
_RAW_RISKS = {name[1:].encode(): risk for name, risk in _RISKY_NAMES.items()}
# A name token: "/" then regular characters up to a PDF delimiter or whitespace (ISO 32000 7.2).
_RAW_NAME = re.compile(rb"/(?=[JLSIGREF#])([^\x00\t\n\x0c\r ()<>\[\]{}/%]+)")
_STREAM_BODY = re.compile(rb"stream\r?\n.*?endstream", re.DOTALL)
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# The walks visit each object once; these bounds keep a hostile file from pinning a worker.
_MAX_PDF_NODES = 500_000
_MAX_ACTION_CHAIN = 100
_WALKED = (IndirectObject, DictionaryObject, ArrayObject, NameObject)
_SHOWN_DETAIL_LENGTH = 80


def refuse_risks(reader: PdfReader, data: bytes) -> None:
    """Raise for the first risk (in ``_RISKS`` order) found in the parsed objects or, failing
    that, among the names in the raw bytes."""
    found = _parsed_risks(reader) or _raw_risks(data)
    for risk, details in _RISKS.items():
        if risk in found:
            detail = found[risk]
            raise ValidationError(
                details.message,
                code=details.code,
                params={"detail": f" ({detail})" if detail else ""},
            )


def _parsed_risks(reader: PdfReader) -> dict[str, str]:
    """Walk every object from the trailer and the xref, where names are decoded (``/J#53``).

    This sees every hiding place at once: the catalog's name trees and actions, pages and their
    annotations, form fields and their kids, outlines, and objects nothing refers to; also
    objects inside compressed object streams, which the raw scan cannot. Returns each risk found
    with the file or address it names, if any.
    """
    found: dict[str, str] = {}

    def note(risk: str, detail: str = "") -> None:
        if not found.get(risk):
            found[risk] = detail

    stack: list[Any] = [reader.trailer, *all_references(reader)]
    seen: set[tuple[int, int]] = set()
    budget = _MAX_PDF_NODES
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            if (node.idnum, node.generation) in seen:
                continue
            seen.add((node.idnum, node.generation))
            node = node.get_object()
        budget -= 1
        if budget < 0:
            raise ValidationError(PDF_TOO_COMPLEX, code="pdf_too_complex")
        if isinstance(node, NameObject):
            if node in _RISKY_NAMES:
                note(_RISKY_NAMES[node])
        elif isinstance(node, DictionaryObject):  # also stream dictionaries
            _dictionary_risks(node, note)
            if isinstance(node, StreamObject) and node.get("/Type") == "/ObjStm":
                # In non-strict mode pypdf skips an object it cannot parse; a more lenient
                # viewer might not, so scan the object stream's text as well.
                for risk in _raw_risks(node.get_data()):
                    note(risk)
            stack.extend(value for value in node.values() if isinstance(value, _WALKED))
        elif isinstance(node, ArrayObject):
            stack.extend(item for item in node if isinstance(item, _WALKED))
    return found


def _dictionary_risks(node: DictionaryObject, note: Callable[..., None]) -> None:
    for key in node:
        if key in _RISKY_NAMES:
            note(_RISKY_NAMES[key])
    action = name_of(node.get("/S"))
    if action in _ACTION_RISKS:
        target = node.get("/F")
        if target is None and isinstance(win := resolved(node.get("/Win")), DictionaryObject):
            target = win.get("/F")  # a Windows launch: /Win << /F (cmd.exe) /P (...) >>
        note(_ACTION_RISKS[action], _shown_file(target))
    subtype = name_of(node.get("/Subtype"))
    if subtype == "/FileAttachment":
        note("attachment", _shown_file(node.get("/FS")))
    elif subtype == "/RichMedia":
        note("rich_media")
    if _holds_a_file(node):
        note("attachment", _shown_file(node))
    if "/XFA" in node and "/Fields" in node:  # the interactive form dictionary
        note("xfa")
    # A web address opened with no click: on opening the file, or by any trigger in /AA (page
    # opened, mouse over, field focused...). A link the reader clicks (/A) is allowed.
    automatic = [node.get("/OpenAction")]
    if isinstance(triggers := resolved(node.get("/AA")), DictionaryObject):
        automatic += list(triggers.values())
    for action_value in automatic:
        uri = _automatic_uri(action_value)
        if uri is not None:
            note("opens_uri", uri)


def _holds_a_file(node: DictionaryObject) -> bool:
    """A file specification with the file inside it (``/EF << /F <stream> >>``)."""
    embedded = resolved(node.get("/EF"))
    if not isinstance(embedded, DictionaryObject):
        return False
    return any(
        isinstance(resolved(embedded.get(key)), StreamObject)
        for key in ("/F", "/UF", "/DOS", "/Mac", "/Unix")
    )


def _automatic_uri(value: Any) -> str | None:
    """The address of a /URI action in ``value`` or its /Next chain, "" if it names none.

    Real chains have a handful of actions; a longer one is refused rather than half checked.
    """
    pending = [value]
    seen: set[tuple[int, int]] = set()
    for _ in range(_MAX_ACTION_CHAIN):
        if not pending:
            return None
        item = pending.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        if isinstance(item, ArrayObject):  # a /Next array (or a destination: harmless)
            pending.extend(item)
        elif isinstance(item, DictionaryObject):
            if name_of(item.get("/S")) == "/URI":
                return _shown(item.get("/URI"))
            if (following := item.get("/Next")) is not None:  # unresolved, to spot a loop
                pending.append(following)
    if pending:
        raise ValidationError(PDF_TOO_COMPLEX, code="pdf_too_complex")
    return None


def _shown_file(value: Any) -> str:
    """The name a file specification (a string or a dictionary) gives, for a message."""
    value = resolved(value)
    if isinstance(value, DictionaryObject):
        for key in ("/UF", "/F", "/Unix", "/DOS", "/Mac"):
            if name := _shown(value.get(key)):
                return name
        return ""
    return _shown(value)


def _shown(value: Any) -> str:
    """A string from the PDF made safe to quote: printable, one line, at most 80 characters."""
    value = resolved(value)
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str) or isinstance(value, NameObject):
        return ""
    text = "".join(char for char in value if not unicodedata.category(char).startswith("C"))
    text = " ".join(text.split())
    if len(text) > _SHOWN_DETAIL_LENGTH:
        text = text[: _SHOWN_DETAIL_LENGTH - 1] + "…"
    return text


def _raw_risks(data: bytes) -> dict[str, str]:
    """Scan the bytes outside streams, so objects pypdf never reaches are covered too.

    Stream bodies are left out: in megabytes of compressed data ``/JS`` plus a delimiter turns up
    by chance (about once in 300 MB), and a script kept in a stream is still named by a ``/JS``
    key in the stream's dictionary, which is outside the body.
    """
    found: dict[str, str] = {}
    for match in _RAW_NAME.finditer(_STREAM_BODY.sub(b" ", data)):
        name = _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        if name in _RAW_RISKS:
            found.setdefault(_RAW_RISKS[name], "")
    return found
