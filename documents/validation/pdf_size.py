"""PDF size: the decompressed bytes of every stream and the page count, each capped.

``pdf.check_pdf`` measures the decompressed size first, before anything is read out of a
compressed object stream, so a bomb is refused before another check inflates it. Streams are
inflated 64 KB at a time and only counted, stopping at the cap
(``NPP_UPLOAD_MAX_PDF_DECOMPRESSED_BYTES``), so a bomb is refused in about a second with a few
buffers of memory. The page tree is walked with a bounded stack, refusing more than
``NPP_UPLOAD_MAX_PDF_PAGES`` pages before pypdf lists them.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator
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
from pypdf.generic import ArrayObject, DictionaryObject, StreamObject

from .limits import max_pdf_decompressed_bytes, max_pdf_pages, megabytes
from .pdf_objects import PDF_TOO_COMPLEX, in_file_references, name_of, resolved

PDF_TOO_MANY_PAGES = (
    "This PDF has more than %(limit)s pages; split it into smaller files and upload each one."
)
PDF_TOO_LARGE_DECOMPRESSED = (
    "This PDF expands to more than %(limit)s when it is opened, far more than a scanned report "
    "needs; scan it again at a lower resolution (or split it) and upload that."
)

# Decompression: Flate (zlib) is inflated 64 KB at a time and only counted; the other general
# purpose filters are decoded whole by pypdf, whose own limits (75 MB a stream) bound them, and
# image codecs are left to the viewer (their output is pixels, not PDF objects).
_INFLATE_CHUNK = 64 * 1024
_FLATE = frozenset({"/FlateDecode", "/Fl"})
_DECODED_WHOLE: dict[str, Any] = {  # pypdf's decoder classes share no base class
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


def check_decompressed_size(reader: PdfReader) -> None:
    """Refuse a PDF whose streams hold more than the limit once decompressed.

    Every stream in the file counts (page content, fonts, images, object streams), each
    measured without keeping its output, and the count stops as soon as it passes the limit,
    so a bomb costs at most the limit's worth of inflating and a few buffers of memory.
    """
    limit = max_pdf_decompressed_bytes()
    total = 0
    for reference in in_file_references(reader):
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
    filters = resolved(stream.get("/Filter"))
    if isinstance(filters, ArrayObject):
        return [name for name in map(name_of, filters) if name is not None]
    name = name_of(filters)
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


_END = object()


def check_page_count(reader: PdfReader) -> int:
    """Count the pages, refusing more than the limit before pypdf lists them all.

    The page tree is walked with a stack of iterators, so memory stays small whatever the tree's
    depth or width; a node may be used twice (a viewer shows it twice), and a loop or a tree of
    empty nodes runs into the bound on nodes visited.
    """
    limit = max_pdf_pages()
    budget = 4 * limit + 10_000
    root = resolved(reader.trailer["/Root"])
    stack: list[Iterator[Any]] = [iter([root["/Pages"]])]
    pages = 0
    while stack:
        node = resolved(next(stack[-1], _END))
        if node is _END:
            stack.pop()
            continue
        budget -= 1
        if budget < 0:
            raise ValidationError(PDF_TOO_COMPLEX, code="pdf_too_complex")
        if not isinstance(node, DictionaryObject):
            continue
        kids = resolved(node.get("/Kids"))
        if name_of(node.get("/Type")) == "/Pages" or ("/Type" not in node and kids is not None):
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
