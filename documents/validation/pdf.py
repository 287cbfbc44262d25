"""PDF uploads: stored byte for byte, or refused; never rewritten.

A rewrite would break the digital signatures on lab reports and Form 12B permits, and would
silently change a clinical record; every risk can be removed by the sender ("print to PDF", or
a scan), so each refusal says which. ``check_pdf`` runs the checks in order: the ``%%EOF``
marker must be in the last 1024 bytes, the file must parse with pypdf and be unencrypted; then
its size (``pdf_size``: decompressed bytes first, then pages), its risks (``pdf_risks``:
attachments, scripts, outside actions), and it must have pages. It raises ``ValidationError``
and nothing else, whatever pypdf raises.
"""

from __future__ import annotations

import io

from django.core.exceptions import ValidationError
from pypdf import PdfReader
from pypdf.errors import LimitReachedError

from .pdf_objects import PDF_TOO_COMPLEX
from .pdf_risks import refuse_risks
from .pdf_size import check_decompressed_size, check_page_count

PDF_UNREADABLE = (
    "This PDF could not be read; it may be damaged or incomplete. "
    "Please save or scan it again and upload the new file."
)
PDF_ENCRYPTED = (
    "This PDF is password-protected or encrypted. Please upload a copy without a password."
)
PDF_NO_PAGES = "This PDF has no pages."


def check_pdf(data: bytes) -> int:
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
        check_decompressed_size(reader)
        page_count = check_page_count(reader)
        refuse_risks(reader, data)
        if page_count < 1:
            raise ValidationError(PDF_NO_PAGES, code="pdf_no_pages")
        return page_count
    except ValidationError:
        raise
    except LimitReachedError as exc:  # one of pypdf's own bounds (a stream, an array, a tree)
        raise ValidationError(PDF_TOO_COMPLEX, code="pdf_too_complex") from exc
    except Exception as exc:  # pypdf raises many types, also RecursionError on deep nesting
        raise ValidationError(PDF_UNREADABLE, code="pdf_unreadable") from exc
