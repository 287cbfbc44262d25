"""Upload limits: the settings every check reads, and how a limit is shown in a message.

Each limit is read from settings when a check runs (never cached at import), so a test's
``settings`` fixture or a changed environment takes effect at once. The defaults live in
``npp/settings.py``, the one source:

- ``NPP_UPLOAD_MAX_BYTES`` (default 20 MB): the largest upload.
- ``NPP_UPLOAD_MAX_IMAGE_PIXELS`` (default 40 megapixels; an A4 page scanned at 600 dpi is about 35).
- ``NPP_UPLOAD_MAX_PDF_PAGES`` (default 500).
- ``NPP_UPLOAD_MAX_PDF_DECOMPRESSED_BYTES`` (default 256 MB: about 13 times the 20 MB upload
  limit; scans are mostly JPEG, which counts at its stored size, and Flate-compressed scans or
  text rarely shrink more than 10 times, so a real upload stays below it while a 20 MB bomb
  could expand to 20 GB; inflating 256 MB takes about 0.7 s on one core).
- ``NPP_LAB_SAMPLE_MAX_AGE_DAYS`` (default 365), for ``check_sample_date``.
"""

from __future__ import annotations

from django.conf import settings


def max_upload_bytes() -> int:
    """The size limit, so a form can refuse a large upload before reading it into memory."""
    return int(settings.NPP_UPLOAD_MAX_BYTES)


def max_image_pixels() -> int:
    return int(settings.NPP_UPLOAD_MAX_IMAGE_PIXELS)


def max_pdf_pages() -> int:
    return int(settings.NPP_UPLOAD_MAX_PDF_PAGES)


def max_pdf_decompressed_bytes() -> int:
    return int(settings.NPP_UPLOAD_MAX_PDF_DECOMPRESSED_BYTES)


def lab_sample_max_age_days() -> int:
    return int(settings.NPP_LAB_SAMPLE_MAX_AGE_DAYS)


def megabytes(limit: int) -> str:
    megabytes = limit / (1024 * 1024)
    if megabytes >= 0.1:
        return f"{megabytes:.1f}".removesuffix(".0") + " MB"
    return f"{limit:,} bytes"  # only tiny limits, as in tests
