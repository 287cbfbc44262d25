"""Upload validation: decide what an uploaded file really is, and refuse what we must not store.

A pure module (no database, no storage): ``validate_upload`` takes the uploaded bytes and the
name the browser sent and returns a ``ValidatedUpload`` holding the exact bytes to store, or
raises ``ValidationError`` with a message for the form and a stable ``code``. It never raises
anything else, whatever the input.

- The type is decided by the content (magic bytes, then a full parse), never by the file's
  extension or the browser's content type.
- PDFs are stored byte for byte, because rewriting them would break digital signatures on lab
  reports and permits; instead they must parse with pypdf, be unencrypted, have pages, and carry
  no JavaScript or launch actions.
- JPEG and PNG images are decoded with Pillow and re-encoded (JPEG at quality 90, PNG
  losslessly), upright per their EXIF orientation, with all metadata dropped (EXIF incl. GPS,
  comments, text chunks, ICC profile). Anything appended to the image (a ZIP, HTML, a PDF: a
  polyglot) or hidden in its metadata is therefore not in the stored bytes.

Settings read: ``NPP_UPLOAD_MAX_BYTES`` (default 20 MB) and ``NPP_UPLOAD_MAX_IMAGE_PIXELS``
(default 40 megapixels; an A4 page scanned at 600 dpi is about 35).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, ImageOps
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    StreamObject,
)

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_IMAGE_PIXELS = 40_000_000
MAX_FILENAME_LENGTH = 120
FALLBACK_STEM = "document"

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
    "This PDF contains JavaScript or a launch action, which we do not accept. "
    "Please print it to a new PDF (or scan it) and upload that."
)
PDF_NO_PAGES = "This PDF has no pages."
PDF_TOO_COMPLEX = (
    "This PDF is too complex to be checked. Please print it to a new PDF and upload that."
)
IMAGE_UNREADABLE = (
    "This image could not be read; it may be damaged or incomplete. "
    "Please take or save the picture again."
)
IMAGE_TOO_LARGE = (
    "This image has too many pixels (the limit is %(limit)s megapixels). "
    "Please upload a smaller photo or scan."
)

_MAGIC = ((b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
_EXTENSIONS = {PDF: (".pdf",), JPEG: (".jpg", ".jpeg", ".jpe", ".jfif"), PNG: (".png",)}
_PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG"}

# Names that make a PDF act: document/page JavaScript (/JavaScript name tree, /S /JavaScript
# actions in /OpenAction or /AA, the /JS script key) and /Launch actions that start programs.
# Other /AA actions (go to a page, open a URI) are harmless and allowed.
_ACTIVE_NAMES = frozenset({"/JavaScript", "/JS", "/Launch"})
_ACTIVE_RAW_NAMES = frozenset(name[1:].encode() for name in _ACTIVE_NAMES)
# A name token: "/" then regular characters up to a PDF delimiter or whitespace (ISO 32000 7.2).
_RAW_NAME = re.compile(rb"/(?=[JL#])([^\x00\t\n\x0c\r ()<>\[\]{}/%]+)")
_STREAM_BODY = re.compile(rb"stream\r?\n.*?endstream", re.DOTALL)
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# The walk visits each object once; a bound keeps a hostile file from pinning a worker.
_MAX_PDF_NODES = 500_000
_WALKED = (IndirectObject, DictionaryObject, ArrayObject, NameObject)

_SAFE_PUNCTUATION = frozenset(" .-_()")
_SAFE_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Nd"})
_PNG_MODES = frozenset({"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"})


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


def max_upload_bytes() -> int:
    """The size limit, so a form can refuse a large upload before reading it into memory."""
    return int(getattr(settings, "NPP_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


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
        stored, page_count = _reencode_image(data, content_type), 1
    return ValidatedUpload(
        filename=sanitise_filename(filename, content_type=content_type),
        content_type=content_type,
        size=len(stored),
        sha256=hashlib.sha256(stored).hexdigest(),
        page_count=page_count,
        data=stored,
    )


def detect_content_type(data: bytes) -> str | None:
    """PDF, JPEG or PNG by magic bytes at offset 0, else None; the parse decides the rest."""
    for magic, content_type in _MAGIC:
        if data.startswith(magic):
            return content_type
    return None


def sanitise_filename(name: str, *, content_type: str | None = None) -> str:
    """A safe display name: last path part, safe characters only, at most 120 characters.

    Keeps letters (any script), digits, space, ``.``, ``-``, ``_`` and parentheses; drops control
    and format characters (NUL included: ``validate_upload`` refuses those names before getting
    here); replaces anything else with ``_``. With ``content_type`` the extension is made to match
    it (``scan.JPEG`` -> ``scan.jpg``, ``evil.exe`` holding a PNG -> ``evil.exe.png``). Never empty.
    """
    # NFKC first: it turns look-alikes such as a fullwidth solidus into "/" before the split.
    base = re.split(r"[/\\]", unicodedata.normalize("NFKC", name))[-1]
    base = " ".join("".join(_safe_char(char) for char in base).split())
    stem, extension = _split_extension(base, content_type)
    # Leading dots would hide the file on Unix; trailing dots and spaces vanish on Windows.
    stem = stem.strip(" .")[: MAX_FILENAME_LENGTH - len(extension)].rstrip(" .") or FALLBACK_STEM
    return stem + extension


def _safe_char(char: str) -> str:
    category = unicodedata.category(char)
    if char in _SAFE_PUNCTUATION or category in _SAFE_CATEGORIES:
        return char
    if char.isspace():
        return " "
    return "" if category.startswith("C") else "_"


def _split_extension(base: str, content_type: str | None) -> tuple[str, str]:
    if content_type is None:
        stem, dot, extension = base.rpartition(".")
        if dot and stem and 0 < len(extension) <= 10 and " " not in extension:
            return stem, "." + extension.lower()
        return base, ""
    for alias in _EXTENSIONS[content_type]:
        if base.lower().endswith(alias):
            return base[: -len(alias)], _EXTENSIONS[content_type][0]
    return base, _EXTENSIONS[content_type][0]


def megabytes(limit: int) -> str:
    megabytes = limit / (1024 * 1024)
    if megabytes >= 0.1:
        return f"{megabytes:.1f}".removesuffix(".0") + " MB"
    return f"{limit:,} bytes"  # only tiny limits, as in tests


# PDF -------------------------------------------------------------------------------------------


def _check_pdf(data: bytes) -> int:
    """The page count of an acceptable PDF; refuses damaged, encrypted, empty and active PDFs."""
    # pypdf in non-strict mode repairs broken cross-reference tables, which real scanners produce,
    # but it would also read a cut-off file; like strict mode, require the end marker near the end.
    if b"%%EOF" not in data[-1024:]:
        raise ValidationError(PDF_UNREADABLE, code="pdf_unreadable")
    if _has_raw_active_name(data):
        raise ValidationError(PDF_ACTIVE_CONTENT, code="pdf_active_content")
    try:
        return _inspect_pdf(PdfReader(io.BytesIO(data), strict=False))
    except ValidationError:
        raise
    except Exception as exc:  # pypdf raises many types, also RecursionError on deep nesting
        raise ValidationError(PDF_UNREADABLE, code="pdf_unreadable") from exc


def _inspect_pdf(reader: PdfReader) -> int:
    if reader.is_encrypted:
        raise ValidationError(PDF_ENCRYPTED, code="pdf_encrypted")
    page_count = len(reader.pages)
    if _has_parsed_active_name(reader):
        raise ValidationError(PDF_ACTIVE_CONTENT, code="pdf_active_content")
    if page_count < 1:
        raise ValidationError(PDF_NO_PAGES, code="pdf_no_pages")
    return page_count


def _has_raw_active_name(data: bytes) -> bool:
    """Scan the bytes outside streams, so objects pypdf never reaches are covered too.

    Stream bodies are left out: in megabytes of compressed data ``/JS`` plus a delimiter turns up
    by chance (about once in 300 MB), and a script kept in a stream is still named by a ``/JS``
    key in the stream's dictionary, which is outside the body.
    """
    for match in _RAW_NAME.finditer(_STREAM_BODY.sub(b" ", data)):
        name = _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        if name in _ACTIVE_RAW_NAMES:
            return True
    return False


def _has_parsed_active_name(reader: PdfReader) -> bool:
    """Walk every object from the trailer and the xref, where names are decoded (``/J#53``).

    This also sees objects inside compressed object streams, which the raw scan cannot.
    """
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
            if node in _ACTIVE_NAMES:
                return True
        elif isinstance(node, DictionaryObject):  # also stream dictionaries
            if any(key in _ACTIVE_NAMES for key in node) or _is_active_object_stream(node):
                return True
            stack.extend(value for value in node.values() if isinstance(value, _WALKED))
        elif isinstance(node, ArrayObject):
            stack.extend(item for item in node if isinstance(item, _WALKED))
    return False


def _is_active_object_stream(node: DictionaryObject) -> bool:
    """Scan the decoded text of an object stream as well.

    In non-strict mode pypdf skips an object it cannot parse; a more lenient viewer might not.
    """
    if not isinstance(node, StreamObject) or node.get("/Type") != "/ObjStm":
        return False
    return _has_raw_active_name(node.get_data())


def _all_references(reader: PdfReader) -> list[IndirectObject]:
    references = [
        IndirectObject(number, generation, reader)
        for generation, entries in reader.xref.items()
        for number in entries
    ]
    references += [IndirectObject(number, 0, reader) for number in reader.xref_objStm]
    return references


# Images ----------------------------------------------------------------------------------------


def _max_image_pixels() -> int:
    return int(getattr(settings, "NPP_UPLOAD_MAX_IMAGE_PIXELS", DEFAULT_MAX_IMAGE_PIXELS))


def _reencode_image(data: bytes, content_type: str) -> bytes:
    """Verify, decode and re-encode an image; the result holds pixels and nothing else."""
    formats = [_PILLOW_FORMATS[content_type]]
    try:
        # Pillow's own bomb guard is global state (Image.MAX_IMAGE_PIXELS) that we leave alone;
        # our limit is lower and checked from the header before any pixel is decoded, and
        # Pillow's warning is made an error in case a setting raises our limit above its.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=formats) as probe:
                _check_pixels(probe.size)
                probe.verify()
            with Image.open(io.BytesIO(data), formats=formats) as image:
                image.load()
                return _encode(image, formats[0])
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    except Exception as exc:  # Pillow raises OSError, ValueError, SyntaxError, struct.error, ...
        raise ValidationError(IMAGE_UNREADABLE, code="image_unreadable") from exc


def _check_pixels(size: tuple[int, int]) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise ValidationError(IMAGE_UNREADABLE, code="image_unreadable")
    if width * height > _max_image_pixels():
        raise _too_many_pixels()


def _too_many_pixels() -> ValidationError:
    limit = f"{_max_image_pixels() / 1_000_000:g}"
    return ValidationError(IMAGE_TOO_LARGE, code="image_too_large", params={"limit": limit})


def _encode(image: Image.Image, pillow_format: str) -> bytes:
    """Re-encode upright, keeping only pixels, transparency and the scan resolution (dpi)."""
    # A broken EXIF block costs the orientation, not the upload.
    with contextlib.suppress(Exception):
        ImageOps.exif_transpose(image, in_place=True)
    options: dict[str, Any] = {}
    if pillow_format == "JPEG":
        options["quality"] = 90
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
    elif image.mode not in _PNG_MODES:
        image = image.convert("RGBA")
    elif image.info.get("transparency") is not None:
        options["transparency"] = image.info["transparency"]
    if dpi := _plausible_dpi(image.info.get("dpi")):
        options["dpi"] = dpi
    image.info = {}  # Pillow writes some metadata (comment, ICC profile) from here by default
    output = io.BytesIO()
    image.save(output, format=pillow_format, **options)
    return output.getvalue()


def _plausible_dpi(dpi: object) -> tuple[float, float] | None:
    if not isinstance(dpi, tuple) or len(dpi) != 2:
        return None
    if all(isinstance(value, (int, float)) and 1 <= value <= 10_000 for value in dpi):
        return (float(dpi[0]), float(dpi[1]))
    return None
