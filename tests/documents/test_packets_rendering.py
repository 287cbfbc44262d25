"""The pure renderer: local files only, footer strings, page placement, image pages."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError

from documents import rendering
from documents.demo import simple_pdf, simple_png


def pdf_of(*pages: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(rendering.append_pdfs(pages)))


def test_css_string_escapes_whatever_it_is_given():
    assert rendering.css_string('a "b" \\ c\nd') == '"a \\"b\\" \\\\ c\\a d"'


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/logo.png",
        "https://example.com/font.woff2",
        "data:image/png;base64,iVBORw0KGgo=",
        "file:///etc/passwd",
    ],
)
def test_fetcher_refuses_the_network_and_files_outside_its_folders(url):
    with pytest.raises(ValueError, match="Refusing"):
        rendering.LocalFileFetcher([rendering.static_dir()]).fetch(url)


def test_fetcher_reads_our_static_files():
    url = (rendering.static_dir() / "npp" / "print.css").as_uri()
    response = rendering.LocalFileFetcher([rendering.static_dir()]).fetch(url)
    assert response.content_type == "text/css"
    assert b"@page" in response.read()


def test_a_remote_resource_stops_the_render_instead_of_being_fetched():
    fetcher = rendering.LocalFileFetcher([rendering.static_dir()])
    html = HTML(string='<img src="http://example.com/x.png">', url_fetcher=fetcher)
    with pytest.raises(FatalURLFetchingError):
        html.write_pdf()


def test_read_pdf_refuses_what_is_not_a_pdf_with_pages():
    for data in [b"", b"%PDF-1.4\nnonsense\n%%EOF\n", simple_png("x")]:
        with pytest.raises(rendering.UnreadablePdf):
            rendering.read_pdf(data)
    assert len(rendering.read_pdf(simple_pdf("ok")).pages) == 1


def test_append_pdfs_keeps_every_page_in_order():
    reader = pdf_of(simple_pdf("first"), simple_pdf("second"), simple_pdf("third"))
    assert [p.extract_text().split()[0] for p in reader.pages] == ["first", "second", "third"]


def test_an_a4_page_is_scaled_into_the_frame_and_centred():
    left, bottom, width, height = rendering.enclosure_frame()
    page = pdf_of(simple_pdf("x")).pages[0]
    a, _, _, d, e, f = rendering.fit_transform(page, (left, bottom, width, height)).ctm
    assert a == d == pytest.approx(height / 842)  # A4 is taller than the frame is wide
    assert e == pytest.approx(left + (width - 595 * a) / 2)
    assert f == pytest.approx(bottom)


def test_place_pages_draws_each_source_under_its_placeholder_even_when_rotated():
    base = PdfWriter()
    for _ in range(3):
        base.add_blank_page(595.28, 841.89)
    buffer = io.BytesIO()
    base.write(buffer)
    rotated = pdf_of(simple_pdf("ROTATED")).pages[0]
    rotated.rotate(90)
    placed = PdfReader(
        io.BytesIO(
            rendering.place_pages(
                buffer.getvalue(),
                {1: pdf_of(simple_pdf("SECOND")).pages[0], 2: rotated},
                on_page=lambda done, total: None,
            )
        )
    )
    assert len(placed.pages) == 3
    assert "SECOND" in placed.pages[1].extract_text()
    assert "ROTATED" in placed.pages[2].extract_text()
    assert placed.pages[2].rotation == 0
    assert placed.pages[0].extract_text() == ""


def test_image_pages_put_each_image_on_its_own_a4_page_with_the_footer():
    footer = rendering.Footer(left="NPP-2026-0042", right="Generated now")
    data = rendering.image_pages(
        [simple_png("one"), simple_png("two", size=(300, 900))], footer=footer
    )
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    for number, page in enumerate(reader.pages, start=1):
        assert round(float(page.mediabox.width)) == 595
        assert round(float(page.mediabox.height)) == 842
        images = [x.get_object() for x in page["/Resources"]["/XObject"].values()]
        assert any(x["/Subtype"] == "/Image" for x in images)
        text = page.extract_text()
        assert f"page {number} of 2" in text
        assert "NPP-2026-0042" in text
        assert f"Image {number} of 2" in text
