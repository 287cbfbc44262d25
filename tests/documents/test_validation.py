"""Upload validation: what is accepted, what is stored, and each refusal with its message."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image, PngImagePlugin
from pypdf import PdfReader

from documents import validation
from documents.validation import JPEG, PDF, PNG, sanitise_filename, validate_upload
from tests.documents.samples import (
    bad_uploads,
    handmade_pdf,
    make_image,
    make_pdf,
    pdf_with_object_stream,
    png_claiming,
)

SCRIPT = b"<script>alert(1)</script>"


def refusal(data: bytes, filename: str = "upload.pdf", **kwargs: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_upload(data, filename, **kwargs)  # type: ignore[arg-type]
    return caught.value


def open_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


# Accepted files -------------------------------------------------------------------------------


@pytest.mark.parametrize("pages", [1, 3])
def test_a_valid_pdf_is_stored_byte_for_byte_with_its_page_count(pages):
    pdf = make_pdf(pages)

    upload = validate_upload(pdf, "Lab report.pdf")

    assert upload.content_type == PDF
    assert upload.page_count == pages
    assert upload.data == pdf
    assert upload.size == len(pdf)
    assert upload.sha256 == hashlib.sha256(pdf).hexdigest()
    assert upload.filename == "Lab report.pdf"


def test_a_jpeg_is_accepted_and_re_encoded():
    upload = validate_upload(make_image("JPEG", (64, 48)), "IMG_2041.JPEG")

    assert upload.content_type == JPEG
    assert upload.filename == "IMG_2041.jpg"
    assert upload.page_count == 1
    assert upload.size == len(upload.data)
    assert upload.sha256 == hashlib.sha256(upload.data).hexdigest()
    image = open_image(upload.data)
    assert (image.format, image.size) == ("JPEG", (64, 48))


def test_a_png_is_re_encoded_losslessly():
    original = make_image("PNG", (40, 30))

    upload = validate_upload(original, "scan.png")

    assert upload.content_type == PNG
    assert upload.sha256 == hashlib.sha256(upload.data).hexdigest()
    assert open_image(upload.data).tobytes() == open_image(original).tobytes()


def test_png_transparency_survives_re_encoding():
    rgba = make_image("PNG", (8, 8), mode="RGBA")
    palette = make_image("PNG", (8, 8), mode="P", transparency=0)

    assert open_image(validate_upload(rgba, "a.png").data).mode == "RGBA"
    assert open_image(validate_upload(palette, "p.png").data).info.get("transparency") == 0


def test_the_type_comes_from_the_content_not_the_name():
    upload = validate_upload(make_pdf(), "photo.jpg")

    assert upload.content_type == PDF
    assert upload.filename == "photo.jpg.pdf"


def test_a_file_exactly_at_the_limit_is_accepted():
    pdf = make_pdf()

    assert validate_upload(pdf, "report.pdf", max_bytes=len(pdf)).size == len(pdf)


def test_harmless_names_that_start_like_js_are_not_mistaken_for_scripts():
    pdf = handmade_pdf(
        b"/JSON (x) /JSX 1 /Launcher true /AA << /O << /S /GoTo /D [3 0 R /Fit] >> >>"
    )

    assert validate_upload(pdf, "report.pdf").page_count == 1


def test_script_like_bytes_inside_a_stream_body_are_not_mistaken_for_names():
    content = b"\x8f\x02/JS\n\x00/JavaScript /Launch\xff" * 4
    stream = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)

    assert validate_upload(handmade_pdf(b"", b"/Contents 4 0 R", stream), "r.pdf").page_count == 1


def test_a_valid_pdf_with_an_object_stream_is_accepted():
    pdf = pdf_with_object_stream(b"<< /S /GoTo /D [3 0 R /Fit] >>")

    assert validate_upload(pdf, "report.pdf").page_count == 1


# The corpus ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", bad_uploads(), ids=lambda bad: bad.label)
def test_each_bad_upload_is_refused_with_a_clear_message(bad):
    error = refusal(bad.data, bad.filename)

    assert error.code == bad.code
    assert error.messages[0].endswith(".")
    assert len(error.messages[0]) > 20


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.99])
def test_a_pdf_cut_anywhere_is_refused(fraction):
    pdf = make_pdf(3)

    assert refusal(pdf[: int(len(pdf) * fraction)]).code == "pdf_unreadable"


@pytest.mark.parametrize(
    ("catalog", "page"),
    [
        pytest.param(b"/OpenAction << /S /JavaScript /JS 4 0 R >>", b"", id="script in a stream"),
        pytest.param(
            b"", b"/AA << /O << /S /JavaScript /JS (app.alert\\(1\\)) >> >>", id="page /AA"
        ),
        pytest.param(
            b"/OpenAction << /S /J#61vaScript /J#53 (alert\\(1\\)) >>", b"", id="hex-escaped"
        ),
        pytest.param(b"/Names << /JavaScript << /Names [] >> >>", b"", id="name tree"),
    ],
)
def test_pdfs_with_scripts_are_refused(catalog, page):
    # Launch actions and the other risks, each with its own message: test_hostile_pdfs.py.
    script = b"<< /Length 11 >>\nstream\napp.alert()\nendstream"

    error = refusal(handmade_pdf(catalog, page, script))

    assert error.code == "pdf_active_content"
    assert error.messages == [validation.PDF_ACTIVE_CONTENT]


def test_a_script_hidden_in_a_compressed_object_stream_is_found():
    pdf = pdf_with_object_stream(b"<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>")
    assert b"J#61" not in pdf
    assert b"JavaScript" not in pdf

    assert refusal(pdf).code == "pdf_active_content"


def test_a_script_in_an_object_stream_is_found_even_when_the_object_is_broken():
    pdf = pdf_with_object_stream(b"<< /S /JavaScript /JS (app.alert\\(1\\)) ] ] >>")

    assert refusal(pdf).code == "pdf_active_content"


def test_a_pdf_without_pages_is_refused():
    pdf = handmade_pdf().replace(b"/Kids [3 0 R] /Count 1", b"/Kids [] /Count 0     ")

    assert refusal(pdf).code == "pdf_no_pages"


def test_a_file_one_byte_over_the_limit_is_refused():
    pdf = make_pdf()

    error = refusal(pdf + b"\n", max_bytes=len(pdf))

    assert error.code == "too_large"
    assert f"{len(pdf):,} bytes" in error.messages[0]


def test_the_default_limit_is_20_mb():
    # The default lives in npp/settings.py (the one source); the test environment sets none.
    limit = 20 * 1024 * 1024

    error = refusal(b"%PDF-1.7\n" + bytes(limit - 8))

    assert error.code == "too_large"
    assert error.messages == [
        "The file is larger than the 20 MB limit. Please upload a smaller file."
    ]


def test_the_limit_comes_from_the_setting(settings):
    settings.NPP_UPLOAD_MAX_BYTES = 2 * 1024 * 1024

    error = refusal(bytes(2 * 1024 * 1024 + 1))

    assert "2 MB limit" in error.messages[0]


@pytest.mark.parametrize("size", [(100_000, 100_000), (10_000, 10_000), (7_000, 7_000)])
def test_images_with_too_many_pixels_are_refused_before_decoding(size):
    error = refusal(png_claiming(*size), "bomb.png")

    assert error.code == "image_too_large"
    assert "40 megapixels" in error.messages[0]


def test_the_pixel_limit_comes_from_the_setting(settings):
    settings.NPP_UPLOAD_MAX_IMAGE_PIXELS = 1_000

    assert refusal(make_image("PNG", (40, 30)), "a.png").code == "image_too_large"


def test_a_png_with_a_broken_checksum_is_refused():
    png = bytearray(make_image("PNG"))
    png[-20] ^= 0xFF  # inside the last IDAT chunk

    assert refusal(bytes(png), "a.png").code == "image_unreadable"


def test_a_file_with_only_a_magic_number_is_refused():
    assert refusal(b"\xff\xd8\xff", "a.jpg").code == "image_unreadable"
    assert refusal(b"\x89PNG\r\n\x1a\n", "a.png").code == "image_unreadable"
    assert refusal(b"%PDF-1.7\n%%EOF\n").code == "pdf_unreadable"


# Polyglots and metadata: re-encoding keeps pixels only ----------------------------------------


@pytest.mark.parametrize(
    "payload",
    [SCRIPT, b"PK\x03\x04" + bytes(26) + b"evil.exe", make_pdf()],
    ids=["html", "zip", "pdf"],
)
def test_a_payload_appended_to_a_jpeg_is_not_stored(payload):
    polyglot = make_image("JPEG") + payload

    upload = validate_upload(polyglot, "photo.jpg")

    assert payload[:8] not in upload.data
    assert upload.data.endswith(b"\xff\xd9")
    assert open_image(upload.data).format == "JPEG"


def test_trailing_data_after_a_png_is_not_stored():
    upload = validate_upload(make_image("PNG") + SCRIPT, "scan.png")

    assert SCRIPT not in upload.data
    assert upload.data.endswith(b"IEND\xaeB`\x82")


def test_jpeg_metadata_is_dropped_and_orientation_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees to display
    exif[0x010E] = "<script>alert(1)</script>"  # ImageDescription
    jpeg = make_image("JPEG", (64, 48), exif=exif, comment=b"<html>payload</html>")

    upload = validate_upload(jpeg, "phone.jpg")

    image = open_image(upload.data)
    assert image.size == (48, 64)
    assert not image.getexif()
    assert b"script" not in upload.data
    assert b"payload" not in upload.data


def test_png_text_chunks_are_dropped():
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SCRIPT.decode())
    info.add_itxt("Author", "Dr. Secret")

    upload = validate_upload(make_image("PNG", pnginfo=info), "scan.png")

    assert SCRIPT not in upload.data
    assert b"Secret" not in upload.data


def test_the_scan_resolution_is_kept():
    upload = validate_upload(make_image("PNG", dpi=(300, 300)), "scan.png")

    assert open_image(upload.data).info["dpi"] == pytest.approx((300, 300), abs=0.1)


# File names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd.pdf"),
        ("..\\..\\Windows\\report.pdf", "report.pdf"),
        ("C:\\Users\\dr\\Desktop\\CBC 12-03.PDF", "CBC 12-03.pdf"),
        ("..", "document.pdf"),
        ("", "document.pdf"),
        (".pdf", "document.pdf"),
        (".hidden.pdf", "hidden.pdf"),
        ("  report   final \t(2).pdf  ", "report final (2).pdf"),
        ("rapport d'évaluation.pdf", "rapport d_évaluation.pdf"),
        ("रिपोर्ट.pdf", "रिपोर्ट.pdf"),
        ("invoice<script>.pdf", "invoice_script_.pdf"),
        ("\u202egpj.exe", "gpj.exe.pdf"),
        ("ｒｅｐｏｒｔ／ｘ.pdf", "x.pdf"),
        ("scan.html", "scan.html.pdf"),
    ],
)
def test_file_names_are_sanitised(name, expected):
    assert sanitise_filename(name, content_type=PDF) == expected


def test_the_extension_follows_the_detected_type():
    assert sanitise_filename("photo.JPEG", content_type=JPEG) == "photo.jpg"
    assert sanitise_filename("photo.jpeg", content_type=PNG) == "photo.jpeg.png"
    assert sanitise_filename("Report.PDF") == "Report.pdf"


def test_a_very_long_file_name_is_cut_to_120_characters_keeping_the_extension():
    upload = validate_upload(make_pdf(), "x" * 500 + ".pdf")

    assert upload.filename == "x" * 116 + ".pdf"


def test_a_file_name_with_a_nul_byte_is_refused():
    error = refusal(make_pdf(), "report.pdf\x00.html")

    assert error.code == "filename_nul"
    assert error.messages == [validation.FILENAME_NUL]


def test_sanitise_filename_alone_drops_control_characters():
    assert sanitise_filename("re\x00po\x1brt\x7f.pdf") == "report.pdf"


def test_the_stored_pdf_re_opens():
    upload = validate_upload(make_pdf(2), "r.pdf")

    assert len(PdfReader(io.BytesIO(upload.data)).pages) == 2
