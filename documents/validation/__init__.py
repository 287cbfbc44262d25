"""Upload validation: decide what an uploaded file really is, and refuse what we must not store.

A pure module (no database, no storage): ``validate_upload`` takes the uploaded bytes and the
name the browser sent and returns a ``ValidatedUpload`` holding the exact bytes to store, or
raises ``ValidationError`` with a message for the form and a stable ``code``. It never raises
anything else, whatever the input. ``check_sample_date`` does the same for a lab sample date.

- The type is decided by the content (magic bytes, then a full parse), never by the file's
  extension or the browser's content type.
- PDFs are stored byte for byte, or refused; never rewritten. A rewrite would break the digital
  signatures on lab reports and Form 12B permits, and would silently change a clinical record;
  every risk below can be removed by the sender ("print to PDF", or a scan), so we say which.
  A PDF must parse with pypdf, be unencrypted and have pages, and every object in it (found from
  the trailer and the cross-reference table, in a bounded walk) is checked for: attached files
  (the /EmbeddedFiles name tree, file specifications holding a file, /FileAttachment
  annotations), JavaScript (name tree, /JS, /S /JavaScript anywhere: open action, /AA of the
  catalog, pages, annotations and form fields, outlines), /Launch, /SubmitForm, /ImportData,
  /GoToR and /GoToE actions, a /URI action that runs without a click (/OpenAction, any /AA),
  /RichMedia and XFA forms. A link the reader clicks (/A /URI) and internal links are allowed.
- Size: the streams' total decompressed bytes and the page count are capped. Streams are
  inflated 64 KB at a time and only counted, stopping at the cap, so a bomb is refused in about
  a second with a few buffers of memory.
- JPEG and PNG images are decoded with Pillow and re-encoded (JPEG at quality 90, PNG
  losslessly), upright per their EXIF orientation, with all metadata dropped (EXIF incl. GPS,
  comments, text chunks, ICC profile). Anything appended to the image (a ZIP, HTML, a PDF: a
  polyglot) or hidden in its metadata is therefore not in the stored bytes.

Settings read: ``NPP_UPLOAD_MAX_BYTES`` (default 20 MB), ``NPP_UPLOAD_MAX_IMAGE_PIXELS``
(default 40 megapixels; an A4 page scanned at 600 dpi is about 35), ``NPP_UPLOAD_MAX_PDF_PAGES``
(default 500), ``NPP_UPLOAD_MAX_PDF_DECOMPRESSED_BYTES`` (default 256 MB: about 13 times the
20 MB upload limit; scans are mostly JPEG, which counts at its stored size, and Flate-compressed
scans or text rarely shrink more than 10 times, so a real upload stays below it while a 20 MB
bomb could expand to 20 GB; inflating 256 MB takes about 0.7 s on one core), and for
``check_sample_date`` ``NPP_LAB_SAMPLE_MAX_AGE_DAYS`` (default 365).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from pypdf import PdfReader
from pypdf.errors import LimitReachedError
from pypdf.filters import (
    ASCII85Decode,
    ASCIIHexDecode,
    BrotliDecode,
    LZWDecode,
    RunLengthDecode,
)
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    StreamObject,
)

from .filetypes import (
    FALLBACK_STEM,
    JPEG,
    MAX_FILENAME_LENGTH,
    PDF,
    PNG,
    detect_content_type,
    sanitise_filename,
)
from .images import IMAGE_TOO_LARGE, IMAGE_UNREADABLE, reencode_image
from .limits import (
    lab_sample_max_age_days,
    max_image_pixels,
    max_pdf_decompressed_bytes,
    max_pdf_pages,
    max_upload_bytes,
    megabytes,
)
from .sample_dates import SAMPLE_BEFORE_BIRTH, SAMPLE_IN_FUTURE, SAMPLE_TOO_OLD, check_sample_date

# The package's public names, as importable from ``documents.validation`` as before the split.
__all__ = [
    "FALLBACK_STEM",
    "IMAGE_TOO_LARGE",
    "IMAGE_UNREADABLE",
    "JPEG",
    "MAX_FILENAME_LENGTH",
    "PDF",
    "PNG",
    "SAMPLE_BEFORE_BIRTH",
    "SAMPLE_IN_FUTURE",
    "SAMPLE_TOO_OLD",
    "ValidatedUpload",
    "check_sample_date",
    "detect_content_type",
    "lab_sample_max_age_days",
    "max_image_pixels",
    "max_pdf_decompressed_bytes",
    "max_pdf_pages",
    "max_upload_bytes",
    "megabytes",
    "sanitise_filename",
    "validate_upload",
]

# Messages are constants so that forms and tests share one source.
FILENAME_NUL = "The file name contains a NUL character. Please rename the file and upload it again."
EMPTY = "The file is empty. Please choose the file again."
TOO_LARGE = "The file is larger than the %(limit)s limit. Please upload a smaller file."
UNSUPPORTED_TYPE = (
    "Only PDF, JPEG and PNG files can be uploaded, and this file's content is none of these "
    "(whatever its name says)."
)
PDF_UNREADABLE = (
    "This PDF could not be read; it may be damaged or incomplete. "
    "Please save or scan it again and upload the new file."
)
PDF_ENCRYPTED = (
    "This PDF is password-protected or encrypted. Please upload a copy without a password."
)
PDF_ACTIVE_CONTENT = (
    "This PDF contains JavaScript, which could run when it is opened; "
    "print it to a new PDF (or scan it) and upload that."
)
PDF_NO_PAGES = "This PDF has no pages."
PDF_TOO_COMPLEX = (
    "This PDF is too complex to be checked. Please print it to a new PDF and upload that."
)


@dataclass(frozen=True)
class ValidatedUpload:
    """An upload that passed validation.

    ``data`` holds the bytes to store; ``size`` and ``sha256`` describe them.
    """

    filename: str
    content_type: str
    size: int
    sha256: str
    page_count: int
    data: bytes = field(repr=False)


def validate_upload(data: bytes, filename: str, *, max_bytes: int | None = None) -> ValidatedUpload:
    """Check an upload and return what to store, or raise ``ValidationError`` (and only that).

    A NUL in the file name is refused rather than stripped: browsers never send one, so it is a
    crafted request (a classic ``report.pdf\\0.exe`` trick), and the user is better told.
    """
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    if "\x00" in filename:
        raise ValidationError(FILENAME_NUL, code="filename_nul")
    if not data:
        raise ValidationError(EMPTY, code="empty")
    if len(data) > limit:
        raise ValidationError(TOO_LARGE, code="too_large", params={"limit": megabytes(limit)})
    content_type = detect_content_type(data)
    if content_type is None:
        raise ValidationError(UNSUPPORTED_TYPE, code="unsupported_type")
    if content_type == PDF:
        stored, page_count = data, _check_pdf(data)
    else:
        stored, page_count = reencode_image(data, content_type), 1
    return ValidatedUpload(
        filename=sanitise_filename(filename, content_type=content_type),
        content_type=content_type,
        size=len(stored),
        sha256=hashlib.sha256(stored).hexdigest(),
        page_count=page_count,
        data=stored,
    )


# PDF -------------------------------------------------------------------------------------------

# The risks a PDF may carry, each refused with one sentence that says what to do instead, in the
# order they are reported when a file has several. ``detail`` names the file or address involved
# when the PDF says which (" (invoice.exe)"), else it is empty.
PDF_ATTACHMENT = "This PDF carries an attached file%(detail)s; upload a PDF without attachments."
PDF_LAUNCH = (
    "This PDF tries to start a program or open a file on the computer%(detail)s; "
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
PDF_TOO_MANY_PAGES = (
    "This PDF has more than %(limit)s pages; split it into smaller files and upload each one."
)
PDF_TOO_LARGE_DECOMPRESSED = (
    "This PDF expands to more than %(limit)s when it is opened, far more than a scanned report "
    "needs; scan it again at a lower resolution (or split it) and upload that."
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

# Decompression: Flate (zlib) is inflated 64 KB at a time and only counted; the other general
# purpose filters are decoded whole by pypdf, whose own limits (75 MB a stream) bound them, and
# image codecs are left to the viewer (their output is pixels, not PDF objects).
_INFLATE_CHUNK = 64 * 1024
_FLATE = frozenset({"/FlateDecode", "/Fl"})
_DECODED_WHOLE = {
    "/ASCIIHexDecode": ASCIIHexDecode,
    "/AHx": ASCIIHexDecode,
    "/ASCII85Decode": ASCII85Decode,
    "/A85": ASCII85Decode,
    "/LZWDecode": LZWDecode,
    "/LZW": LZWDecode,
    "/RunLengthDecode": RunLengthDecode,
    "/RL": RunLengthDecode,
    "/BrotliDecode": BrotliDecode,
    "/Br": BrotliDecode,
}
_SHRINKING = frozenset({"/ASCIIHexDecode", "/AHx", "/ASCII85Decode", "/A85"})


def _check_pdf(data: bytes) -> int:
    """The page count of an acceptable PDF; refuses damaged, encrypted, empty, oversized and
    risky PDFs (attachments, scripts, actions that reach outside the file)."""
    # pypdf in non-strict mode repairs broken cross-reference tables, which real scanners produce,
    # but it would also read a cut-off file; like strict mode, require the end marker near the end.
    if b"%%EOF" not in data[-1024:]:
        raise ValidationError(PDF_UNREADABLE, code="pdf_unreadable")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ValidationError(PDF_ENCRYPTED, code="pdf_encrypted")
        # First, before anything is read out of a compressed object stream.
        _check_decompressed_size(reader)
        page_count = _check_page_count(reader)
        _refuse_risks(reader, data)
        if page_count < 1:
            raise ValidationError(PDF_NO_PAGES, code="pdf_no_pages")
        return page_count
    except ValidationError:
        raise
    except LimitReachedError as exc:  # one of pypdf's own bounds (a stream, an array, a tree)
        raise ValidationError(PDF_TOO_COMPLEX, code="pdf_too_complex") from exc
    except Exception as exc:  # pypdf raises many types, also RecursionError on deep nesting
        raise ValidationError(PDF_UNREADABLE, code="pdf_unreadable") from exc


# Size: decompressed bytes and pages -----------------------------------------------------------


def _check_decompressed_size(reader: PdfReader) -> None:
    """Refuse a PDF whose streams hold more than the limit once decompressed.

    Every stream in the file counts (page content, fonts, images, object streams), each
    measured without keeping its output, and the count stops as soon as it passes the limit,
    so a bomb costs at most the limit's worth of inflating and a few buffers of memory.
    """
    limit = max_pdf_decompressed_bytes()
    total = 0
    for reference in _in_file_references(reader):
        stream = reference.get_object()
        if isinstance(stream, StreamObject):
            total += _decompressed_size(stream, allowance=limit - total)
            if total > limit:
                raise ValidationError(
                    PDF_TOO_LARGE_DECOMPRESSED,
                    code="pdf_too_large_decompressed",
                    params={"limit": megabytes(limit)},
                )


def _decompressed_size(stream: StreamObject, *, allowance: int) -> int:
    """The stream's length with its general purpose compression undone, counted up to just past
    ``allowance``. A damaged stream counts what came out before the damage, as a viewer shows."""
    # The raw (still encoded) bytes; pypdf keeps them there until asked to decode.
    data: bytes = stream._data
    filters = _filter_names(stream)
    while filters and filters[0] in _DECODED_WHOLE:
        try:
            data = _DECODED_WHOLE[filters[0]].decode(data)
        except LimitReachedError:
            raise  # pypdf's own limit on one stream: refused as too complex
        except Exception:  # a damaged stage: nothing after it decodes either
            return len(data)
        filters.pop(0)
    flate_stages = 0
    while filters and filters[0] in _FLATE:
        flate_stages += 1
        filters.pop(0)
    if flate_stages == 0:
        return len(data)
    if any(name in _DECODED_WHOLE and name not in _SHRINKING for name in filters):
        # Flate then LZW, RunLength or Brotli: no real producer writes that, and measuring it
        # would mean keeping the inflated bytes.
        raise ValidationError(PDF_TOO_COMPLEX, code="pdf_too_complex")
    chunks: Iterator[bytes] = _inflate_first(data)
    for _ in range(flate_stages - 1):
        chunks = _inflate(chunks, wbits=zlib.MAX_WBITS | 32)
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > allowance:
            break
    return size


def _filter_names(stream: StreamObject) -> list[str]:
    filters = _resolved(stream.get("/Filter"))
    if isinstance(filters, ArrayObject):
        return [name for name in map(_name, filters) if name is not None]
    name = _name(filters)
    return [name] if name is not None else []


def _inflate_first(data: bytes) -> Iterator[bytes]:
    """Inflate a zlib (or gzip) stream; some producers write raw deflate, which viewers accept."""
    probe = zlib.decompressobj(zlib.MAX_WBITS | 32)
    try:
        probe.decompress(data[:_INFLATE_CHUNK], 1)
    except zlib.error:
        return _inflate(iter([data]), wbits=-zlib.MAX_WBITS)
    return _inflate(iter([data]), wbits=zlib.MAX_WBITS | 32)


def _inflate(chunks: Iterator[bytes], *, wbits: int) -> Iterator[bytes]:
    """Inflate ``chunks`` lazily, at most 64 KB of output at a time, until the end or damage."""
    inflater = zlib.decompressobj(wbits)
    for chunk in chunks:
        pending = chunk
        while True:
            try:
                output = inflater.decompress(pending, _INFLATE_CHUNK)
            except zlib.error:
                return
            if not output:  # input used up (input is left over only when the output is full)
                break
            yield output
            if inflater.eof:
                return
            pending = inflater.unconsumed_tail
    with contextlib.suppress(zlib.error):
        if output := inflater.flush():
            yield output


def _check_page_count(reader: PdfReader) -> int:
    """Count the pages, refusing more than the limit before pypdf lists them all.

    The page tree is walked with a stack of iterators, so memory stays small whatever the tree's
    depth or width; a node may be used twice (a viewer shows it twice), and a loop or a tree of
    empty nodes runs into the bound on nodes visited.
    """
    limit = max_pdf_pages()
    budget = 4 * limit + 10_000
    root = _resolved(reader.trailer["/Root"])
    stack: list[Iterator[Any]] = [iter([root["/Pages"]])]
    pages = 0
    while stack:
        node = _resolved(next(stack[-1], _END))
        if node is _END:
            stack.pop()
            continue
        budget -= 1
        if budget < 0:
            raise ValidationError(PDF_TOO_COMPLEX, code="pdf_too_complex")
        if not isinstance(node, DictionaryObject):
            continue
        kids = _resolved(node.get("/Kids"))
        if _name(node.get("/Type")) == "/Pages" or ("/Type" not in node and kids is not None):
            if isinstance(kids, ArrayObject):
                stack.append(iter(kids))
            continue
        pages += 1
        if pages > limit:
            raise ValidationError(
                PDF_TOO_MANY_PAGES, code="pdf_too_many_pages", params={"limit": f"{limit:,}"}
            )
    # pypdf's own count (it may skip what it cannot use) is the one stored.
    return len(reader.pages)


_END = object()


def _resolved(value: Any) -> Any:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _name(value: Any) -> str | None:
    """``value`` if it is (or refers to) a name, else None: safe to compare or look up."""
    value = _resolved(value)
    return str(value) if isinstance(value, NameObject) else None


# Risks: attachments, scripts, actions ---------------------------------------------------------


def _refuse_risks(reader: PdfReader, data: bytes) -> None:
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

    stack: list[Any] = [reader.trailer, *_all_references(reader)]
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
    action = _name(node.get("/S"))
    if action in _ACTION_RISKS:
        target = node.get("/F")
        if target is None and isinstance(win := _resolved(node.get("/Win")), DictionaryObject):
            target = win.get("/F")  # a Windows launch: /Win << /F (cmd.exe) /P (...) >>
        note(_ACTION_RISKS[action], _shown_file(target))
    subtype = _name(node.get("/Subtype"))
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
    if isinstance(triggers := _resolved(node.get("/AA")), DictionaryObject):
        automatic += list(triggers.values())
    for action_value in automatic:
        uri = _automatic_uri(action_value)
        if uri is not None:
            note("opens_uri", uri)


def _holds_a_file(node: DictionaryObject) -> bool:
    """A file specification with the file inside it (``/EF << /F <stream> >>``)."""
    embedded = _resolved(node.get("/EF"))
    if not isinstance(embedded, DictionaryObject):
        return False
    return any(
        isinstance(_resolved(embedded.get(key)), StreamObject)
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
            if _name(item.get("/S")) == "/URI":
                return _shown(item.get("/URI"))
            if (following := item.get("/Next")) is not None:  # unresolved, to spot a loop
                pending.append(following)
    if pending:
        raise ValidationError(PDF_TOO_COMPLEX, code="pdf_too_complex")
    return None


def _shown_file(value: Any) -> str:
    """The name a file specification (a string or a dictionary) gives, for a message."""
    value = _resolved(value)
    if isinstance(value, DictionaryObject):
        for key in ("/UF", "/F", "/Unix", "/DOS", "/Mac"):
            if name := _shown(value.get(key)):
                return name
        return ""
    return _shown(value)


def _shown(value: Any) -> str:
    """A string from the PDF made safe to quote: printable, one line, at most 80 characters."""
    value = _resolved(value)
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


def _in_file_references(reader: PdfReader) -> list[IndirectObject]:
    """The objects stored directly in the file (streams are never inside object streams)."""
    return [
        IndirectObject(number, generation, reader)
        for generation, entries in reader.xref.items()
        for number in entries
    ]


def _all_references(reader: PdfReader) -> list[IndirectObject]:
    references = _in_file_references(reader)
    references += [IndirectObject(number, 0, reader) for number in reader.xref_objStm]
    return references
