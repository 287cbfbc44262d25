"""Hostile PDFs (issue 12): every risk refused with its own sentence, bombs refused quickly with
little memory, and the PDFs we make or receive every day still accepted."""

from __future__ import annotations

import time
import tracemalloc
import zlib

import pytest
from django.core.exceptions import ValidationError
from pypdf.annotations import Link
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject
from weasyprint import HTML

from documents import validation
from documents.demo import simple_pdf
from documents.validation import validate_upload
from tests.documents.hostile import (
    action,
    blank,
    bomb,
    build,
    flate_stream,
    hostile_pdfs,
    link_with,
    open_action,
    pdf_with_content,
    written,
    zeros_deflated,
)
from tests.documents.samples import handmade_pdf, make_pdf, pdf_with_object_stream

MB = 1024 * 1024


def refusal(data: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate_upload(data, "report.pdf")
    return caught.value


# Each risk, refused with the sentence the doctor reads ------------------------------------------


@pytest.mark.parametrize("hostile", hostile_pdfs(), ids=lambda hostile: hostile.label)
def test_each_hostile_pdf_is_refused_with_its_own_sentence(hostile):
    error = refusal(hostile.data)

    assert error.code == hostile.code
    assert error.messages == [hostile.message]


def test_a_file_with_several_risks_names_the_attachment_first():
    def everything(writer):
        writer.add_attachment("invoice.exe", b"MZ")
        writer.root_object[NameObject("/OpenAction")] = action("/Launch", F="cmd.exe")

    assert refusal(build(everything)).code == "pdf_embedded_file"


def test_a_hex_escaped_launch_action_is_found_and_named():
    pdf = handmade_pdf(b"/OpenAction << /S /L#61unch /F (calc.exe) >>")

    assert refusal(pdf).messages == [
        "This PDF tries to start a program or open a file on the computer (calc.exe); "
        "print it to a new PDF (or scan it) and upload that."
    ]


def test_a_name_quoted_from_the_pdf_is_shortened_and_stripped_of_control_characters():
    long_url = "https://evil.example/\u202e" + "a" * 200 + "\x00"
    error = refusal(build(open_action(action("/URI", URI=long_url))))

    quoted = error.messages[0].split("(", 1)[1].split(")")[0]
    assert len(quoted) == 80
    assert quoted.startswith("https://evil.example/aaa")
    assert "\u202e" not in quoted
    assert "\x00" not in quoted


def test_an_attachment_found_only_in_the_raw_bytes_is_still_refused():
    # An object pypdf cannot parse (a stray "]") still names the embedded file tree.
    pdf = handmade_pdf(b"", b"", b"<< /Names << /EmbeddedFiles << /Names [] >> ] >> >>")

    assert refusal(pdf).messages == [
        "This PDF carries an attached file; upload a PDF without attachments."
    ]


# Harmless actions and links stay allowed ------------------------------------------------------


def test_a_link_the_reader_clicks_is_allowed():
    writer = blank()
    writer.add_annotation(0, Link(rect=(50, 50, 200, 70), url="https://lab.example/report/42"))

    assert validate_upload(written(writer), "report.pdf").page_count == 1


def test_an_internal_link_and_an_open_at_page_one_action_are_allowed():
    writer = blank(2)
    writer.add_annotation(0, Link(rect=(50, 50, 200, 70), target_page_index=1))
    writer.root_object[NameObject("/OpenAction")] = action(
        "/GoTo", D=[writer.pages[0].indirect_reference, "/Fit"]
    )

    assert validate_upload(written(writer), "report.pdf").page_count == 2


def test_a_weasyprint_pdf_with_internal_and_external_links_and_bookmarks_is_accepted():
    html = (
        "<h1 id='top'>Application packet</h1><a href='#enclosure-2'>Enclosure 2</a> "
        "<a href='https://cdsco.gov.in/'>CDSCO</a>"
        "<h2 id='enclosure-2' style='break-before: page'>Enclosure 2</h2><a href='#top'>Back</a>"
    )
    packet = HTML(string=html).write_pdf()

    upload = validate_upload(packet, "packet.pdf")

    assert upload.page_count == 2
    assert upload.data == packet


@pytest.mark.parametrize(
    "pdf",
    [
        make_pdf(3),
        simple_pdf("Liver function tests", ["ALT 28 U/L", "AST 35 U/L"]),
        pdf_with_object_stream(b"<< /S /GoTo /D [3 0 R /Fit] >>"),
        bomb(5),  # 5 MB of page content: a large page, well under the cap
    ],
    ids=["pypdf", "demo", "object stream", "5 MB content"],
)
def test_everyday_pdfs_are_accepted(pdf):
    assert validate_upload(pdf, "report.pdf").data == pdf


# Reference loops and deep graphs ----------------------------------------------------------------


def test_an_action_chain_that_loops_back_on_itself_is_walked_once():
    writer = blank()
    go_to = action("/GoTo", D=[writer.pages[0].indirect_reference, "/Fit"])
    reference = writer._add_object(go_to)
    go_to[NameObject("/Next")] = reference  # the action is its own next action
    writer.root_object[NameObject("/OpenAction")] = reference

    assert validate_upload(written(writer), "report.pdf").page_count == 1


def test_a_web_address_hidden_at_the_end_of_a_very_long_action_chain_is_refused():
    writer = blank()
    head = action("/URI", URI="https://tracker.example/")
    for _ in range(300):
        step = action("/GoTo", D=[writer.pages[0].indirect_reference, "/Fit"])
        step[NameObject("/Next")] = writer._add_object(head)
        head = step
    writer.root_object[NameObject("/OpenAction")] = writer._add_object(head)

    assert refusal(written(writer)).code == "pdf_too_complex"


def test_a_page_tree_that_contains_itself_is_refused_quickly():
    pdf = handmade_pdf().replace(b"/Kids [3 0 R] /Count 1", b"/Kids [2 0 R] /Count 1")
    started = time.perf_counter()

    assert refusal(pdf).code in {"pdf_too_complex", "pdf_unreadable"}
    assert time.perf_counter() - started < 5


def test_very_deep_nesting_is_refused_as_unreadable_not_a_crash():
    deep = b"[" * 50_000 + b"]" * 50_000

    assert refusal(handmade_pdf(b"/Deep " + deep)).code in {"pdf_unreadable", "pdf_too_complex"}


# Size: decompressed bytes and pages -----------------------------------------------------------


def test_the_decompressed_cap_comes_from_the_setting(settings):
    settings.NPP_UPLOAD_MAX_PDF_DECOMPRESSED_BYTES = 1 * MB

    error = refusal(bomb(2))

    assert error.code == "pdf_too_large_decompressed"
    assert "more than 1 MB when it is opened" in error.messages[0]
    assert validate_upload(pdf_with_content(flate_stream(zlib.compress(bytes(MB // 2)))), "r.pdf")


def test_a_bomb_is_refused_quickly_and_with_little_memory():
    pdf = bomb(300)  # 300 MB of page content in 300 KB
    assert len(pdf) < MB // 2
    tracemalloc.start()
    started = time.perf_counter()
    try:
        error = refusal(pdf)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert error.code == "pdf_too_large_decompressed"
    assert peak < 16 * MB  # the file itself, pypdf's copy of it and a few 64 KB buffers
    assert elapsed < 15  # about 1 s here: inflating stops at the 256 MB cap


def test_a_bomb_nested_in_two_flate_layers_is_refused():
    twice = zlib.compress(zeros_deflated(300), 9)  # 300 MB in a few kilobytes
    assert len(twice) < 5_000

    pdf = pdf_with_content(flate_stream(twice, filters=["/FlateDecode", "/FlateDecode"]))

    assert refusal(pdf).code == "pdf_too_large_decompressed"


def test_a_bomb_in_raw_deflate_without_the_zlib_header_is_refused(settings):
    settings.NPP_UPLOAD_MAX_PDF_DECOMPRESSED_BYTES = 1 * MB
    raw = zeros_deflated(2, wbits=-zlib.MAX_WBITS)

    assert refusal(pdf_with_content(flate_stream(raw))).code == "pdf_too_large_decompressed"


def test_a_bomb_inside_an_object_stream_is_refused_before_pypdf_opens_it(settings):
    settings.NPP_UPLOAD_MAX_PDF_DECOMPRESSED_BYTES = 1 * MB
    padding = b" " * (2 * MB)
    pdf = pdf_with_object_stream(b"<< /S /GoTo /D [3 0 R /Fit] >>" + padding)

    assert refusal(pdf).code == "pdf_too_large_decompressed"


def test_the_page_cap_comes_from_the_setting(settings):
    settings.NPP_UPLOAD_MAX_PDF_PAGES = 3

    error = refusal(make_pdf(4))

    assert error.code == "pdf_too_many_pages"
    assert error.messages == [
        "This PDF has more than 3 pages; split it into smaller files and upload each one."
    ]
    assert validate_upload(make_pdf(3), "report.pdf").page_count == 3


def test_one_page_listed_thousands_of_times_is_refused_by_the_default_page_cap():
    writer = blank()
    pages = writer.root_object["/Pages"]
    page = writer.pages[0].indirect_reference
    pages[NameObject("/Kids")] = ArrayObject([page] * 5_000)
    pages[NameObject("/Count")] = NumberObject(5_000)

    error = refusal(written(writer))

    assert error.code == "pdf_too_many_pages"
    assert "more than 500 pages" in error.messages[0]


def test_a_link_annotation_that_runs_a_script_on_click_is_refused():
    # A click is no excuse for a script (unlike a plain web link).
    assert refusal(build(link_with(action("/JavaScript", JS="x")))).code == "pdf_active_content"


def test_a_dictionary_key_that_only_looks_like_a_file_holder_is_not_an_attachment():
    # A font resource may be called /EF; only a file specification holding a stream counts.
    writer = blank()
    writer.pages[0][NameObject("/Resources")] = DictionaryObject(
        {
            NameObject("/Font"): DictionaryObject(
                {
                    NameObject("/EF"): DictionaryObject(
                        {
                            NameObject("/Type"): NameObject("/Font"),
                            NameObject("/Subtype"): NameObject("/Type1"),
                            NameObject("/BaseFont"): NameObject("/Helvetica"),
                        }
                    )
                }
            )
        }
    )

    assert validate_upload(written(writer), "report.pdf").page_count == 1


def test_the_default_caps_are_500_pages_and_256_mb():
    # The defaults live in npp/settings.py (the one source); the test environment sets neither.
    assert validation.max_pdf_pages() == 500
    assert validation.max_pdf_decompressed_bytes() == 256 * MB
