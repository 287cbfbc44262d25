"""Fuzzing the upload validator (issue 7): no input crashes it, nothing bad is ever accepted."""

from __future__ import annotations

import hashlib
import io
import unicodedata

from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader

from documents.validation import (
    JPEG,
    MAX_FILENAME_LENGTH,
    PDF,
    PNG,
    ValidatedUpload,
    sanitise_filename,
    validate_upload,
)
from tests.documents.samples import handmade_pdf, make_image, make_pdf

CODES = {
    "filename_nul",
    "empty",
    "too_large",
    "unsupported_type",
    "pdf_unreadable",
    "pdf_encrypted",
    "pdf_active_content",
    "pdf_no_pages",
    "pdf_too_complex",
    "pdf_embedded_file",
    "pdf_launch",
    "pdf_submit_form",
    "pdf_import_data",
    "pdf_remote_file",
    "pdf_opens_uri",
    "pdf_rich_media",
    "pdf_xfa",
    "pdf_too_many_pages",
    "pdf_too_large_decompressed",
    "image_unreadable",
    "image_too_large",
}
SEEDS = [
    make_pdf(1),
    make_pdf(2, javascript="app.alert(1)"),
    handmade_pdf(b"/OpenAction << /S /Launch /F (x) >>"),
    make_image("JPEG", (16, 12)),
    make_image("PNG", (16, 12)),
    make_image("PNG", (8, 8), mode="P", transparency=0),
]
MAGIC_NUMBERS = [b"%PDF-1.7\n", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b""]

fuzz = hypothesis_settings(
    max_examples=200,
    deadline=None,
)


@st.composite
def mutated_seeds(draw: st.DrawFn) -> bytes:
    """A good or bad sample, cut short, with bytes flipped, or with junk spliced in."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 4))):
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        action = draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip" and data:
            data[position] ^= draw(st.integers(1, 255))
        elif action == "cut":
            del data[position:]
        else:
            data[position:position] = draw(st.binary(max_size=64))
    return bytes(data)


def magic_then_junk() -> st.SearchStrategy[bytes]:
    return st.builds(
        lambda magic, body, end: magic + body + end,
        st.sampled_from(MAGIC_NUMBERS),
        st.binary(max_size=512),
        st.sampled_from([b"", b"\n%%EOF\n", b"\xff\xd9", b"IEND\xaeB`\x82"]),
    )


any_upload = st.one_of(st.binary(max_size=512), magic_then_junk(), mutated_seeds())


def assert_storable(upload: ValidatedUpload) -> None:
    """Whatever is accepted re-opens as what it claims to be."""
    assert upload.size == len(upload.data)
    assert upload.sha256 == hashlib.sha256(upload.data).hexdigest()
    if upload.content_type == PDF:
        reader = PdfReader(io.BytesIO(upload.data))
        assert not reader.is_encrypted
        assert len(reader.pages) == upload.page_count >= 1
    else:
        with Image.open(io.BytesIO(upload.data)) as image:
            image.load()
            assert image.format == {JPEG: "JPEG", PNG: "PNG"}[upload.content_type]
        assert upload.page_count == 1
    # What we store passes the same checks again (no script, no encryption, still readable).
    again = validate_upload(upload.data, upload.filename, max_bytes=len(upload.data))
    assert (again.content_type, again.page_count) == (upload.content_type, upload.page_count)


def validate_or_refuse(data: bytes, filename: str) -> None:
    try:
        upload = validate_upload(data, filename, max_bytes=4096)
    except ValidationError as error:
        assert error.code in CODES  # noqa: PT017 - hypothesis: only some inputs are refused
        assert error.messages  # noqa: PT017
    else:
        assert_storable(upload)


@fuzz
@given(data=any_upload, filename=st.text(max_size=300))
def test_any_bytes_and_name_are_either_refused_or_stored_valid(data, filename):
    validate_or_refuse(data, filename)


@fuzz
@given(data=mutated_seeds())
def test_damaged_samples_are_either_refused_or_stored_valid(data):
    validate_or_refuse(data, "sample")


@fuzz
@given(name=st.text(max_size=600), content_type=st.sampled_from([None, PDF, JPEG, PNG]))
def test_sanitised_names_are_short_safe_and_never_empty(name, content_type):
    result = sanitise_filename(name, content_type=content_type)

    assert 0 < len(result) <= MAX_FILENAME_LENGTH
    assert not result.startswith((".", " "))
    assert result == result.strip()
    assert "  " not in result
    for char in result:
        assert char in " .-_()" or unicodedata.category(char)[0] in "LMN", repr(char)
    if content_type is not None:
        assert result.endswith({PDF: ".pdf", JPEG: ".jpg", PNG: ".png"}[content_type])
