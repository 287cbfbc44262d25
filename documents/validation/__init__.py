"""Upload validation: decide what an uploaded file really is, and refuse what we must not store.

A pure package (no database, no storage): ``validate_upload`` takes the uploaded bytes and the
name the browser sent and returns a ``ValidatedUpload`` holding the exact bytes to store, or
raises ``ValidationError`` with a message for the form and a stable ``code``. It never raises
anything else, whatever the input. ``check_sample_date`` does the same for a lab sample date.

This module is the entry point and the public API: every name other modules and the tests use
is importable from ``documents.validation``. The checks live in:

- ``filetypes``: the content type by magic bytes (never the extension or the browser's content
  type) and a safe display name with the matching extension.
- ``pdf``: PDFs are stored byte for byte, or refused; never rewritten. ``pdf_size`` caps the
  decompressed bytes and the pages, ``pdf_risks`` refuses attached files, scripts and actions
  that reach outside the file, ``pdf_objects`` reads pypdf objects for both.
- ``images``: JPEG and PNG are decoded and re-encoded, pixels only, metadata dropped.
- ``sample_dates``: a lab sample date in the future, before birth or too old is refused.
- ``limits``: the ``NPP_UPLOAD_*`` and ``NPP_LAB_SAMPLE_MAX_AGE_DAYS`` settings, read at each
  check, and how a limit is shown in a message.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

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
from .pdf import PDF_ENCRYPTED, PDF_NO_PAGES, PDF_UNREADABLE, check_pdf
from .pdf_objects import PDF_TOO_COMPLEX
from .pdf_risks import (
    PDF_ACTIVE_CONTENT,
    PDF_ATTACHMENT,
    PDF_IMPORT_DATA,
    PDF_LAUNCH,
    PDF_OPENS_URI,
    PDF_REMOTE_FILE,
    PDF_RICH_MEDIA,
    PDF_SUBMIT_FORM,
    PDF_XFA,
)
from .pdf_size import PDF_TOO_LARGE_DECOMPRESSED, PDF_TOO_MANY_PAGES
from .sample_dates import SAMPLE_BEFORE_BIRTH, SAMPLE_IN_FUTURE, SAMPLE_TOO_OLD, check_sample_date

# The names importable from ``documents.validation``, as they were before the split.
__all__ = [
    "EMPTY",
    "FALLBACK_STEM",
    "FILENAME_NUL",
    "IMAGE_TOO_LARGE",
    "IMAGE_UNREADABLE",
    "JPEG",
    "MAX_FILENAME_LENGTH",
    "PDF",
    "PDF_ACTIVE_CONTENT",
    "PDF_ATTACHMENT",
    "PDF_ENCRYPTED",
    "PDF_IMPORT_DATA",
    "PDF_LAUNCH",
    "PDF_NO_PAGES",
    "PDF_OPENS_URI",
    "PDF_REMOTE_FILE",
    "PDF_RICH_MEDIA",
    "PDF_SUBMIT_FORM",
    "PDF_TOO_COMPLEX",
    "PDF_TOO_LARGE_DECOMPRESSED",
    "PDF_TOO_MANY_PAGES",
    "PDF_UNREADABLE",
    "PDF_XFA",
    "PNG",
    "SAMPLE_BEFORE_BIRTH",
    "SAMPLE_IN_FUTURE",
    "SAMPLE_TOO_OLD",
    "TOO_LARGE",
    "UNSUPPORTED_TYPE",
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

# Messages are constants so that forms and tests share one source; each check's own messages
# are in its module (and importable from here).
FILENAME_NUL = "The file name contains a NUL character. Please rename the file and upload it again."
EMPTY = "The file is empty. Please choose the file again."
TOO_LARGE = "The file is larger than the %(limit)s limit. Please upload a smaller file."
UNSUPPORTED_TYPE = (
    "Only PDF, JPEG and PNG files can be uploaded, and this file's content is none of these "
    "(whatever its name says)."
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
        stored, page_count = data, check_pdf(data)
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
