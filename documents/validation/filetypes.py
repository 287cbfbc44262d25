"""What an upload is and what it is called: the content type by magic bytes, and a safe name.

The type is decided by the content, never by the file's extension or the browser's content
type: ``detect_content_type`` reads the magic bytes at offset 0 and the full parse
(``pdf.check_pdf``, ``images.reencode_image``) decides the rest. ``sanitise_filename`` makes the
display name safe and gives it the extension of the type the content turned out to be.
"""

from __future__ import annotations

import re
import unicodedata

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"

MAX_FILENAME_LENGTH = 120
FALLBACK_STEM = "document"

_MAGIC = ((b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
_EXTENSIONS = {PDF: (".pdf",), JPEG: (".jpg", ".jpeg", ".jpe", ".jfif"), PNG: (".png",)}

_SAFE_PUNCTUATION = frozenset(" .-_()")
_SAFE_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Nd"})


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
