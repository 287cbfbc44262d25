"""Pure PDF rendering: a template and a context become PDF bytes; pypdf merges other PDFs in.

No database and no storage here (the packet services do that), and nothing from the network:

- WeasyPrint renders Django templates with ``base_url`` at our static folder, so the templates
  link ``npp/print.css`` relatively. Fonts are the local DejaVu family (fonts-dejavu-core),
  named in CSS ``font-family`` and found by fontconfig; no ``@font-face`` downloads.
- ``LocalFileFetcher`` is the only URL fetcher: ``file:`` URLs inside the folders it is given,
  nothing else. A refused or missing resource stops the render instead of leaving a hole.

Packets carry other people's PDFs (lab reports, permits). The page footer ("case reference,
page N of M, generated at") must count and mark those pages too, and the index must give their
page ranges. We lay the whole packet out in ONE WeasyPrint pass: the template emits one empty
placeholder page (named page ``enclosure``) per enclosure page, whose count is known beforehand
from the enclosures themselves. WeasyPrint therefore numbers every page (``counter(pages)`` is
the real total), fills the index with ``target-counter()``, and draws the footer on the
placeholders; ``place_pages`` then draws each enclosure page, scaled to fit, underneath its
placeholder. Images are laid out by WeasyPrint directly, one per ``enclosure`` page.
"""

from __future__ import annotations

import io
import mimetypes
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.template.loader import render_to_string
from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

MM = 72 / 25.4  # PDF points per millimetre
A4_MM = (210, 297)

# Margins of the ``enclosure`` named page: the top one holds the enclosure's label, the bottom
# one the footer; an enclosure page is drawn inside what is left (the "frame"). Emitted into
# the page CSS by ``page_css``, so the layout and the placement share this one source.
ENCLOSURE_MARGINS_MM = {"top": 13, "right": 10, "bottom": 16, "left": 10}


class UnreadablePdf(ValueError):
    """pypdf could not read these bytes as a PDF with pages."""


@dataclass(frozen=True)
class Footer:
    """The per-document parts of the footer; the middle ("page N of M") is in print.css."""

    left: str
    right: str


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes = field(repr=False)
    page_count: int
    anchors: Mapping[str, int]  # element id -> 0-based index of the page it is on


class LocalFileFetcher(URLFetcher):
    """Fetches ``file:`` URLs under ``roots`` only; refuses every other URL loudly."""

    def __init__(self, roots: Iterable[Path | str]) -> None:
        super().__init__(allowed_protocols={"file"}, fail_on_errors=True)
        self.roots = [Path(root).resolve() for root in roots]

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file":
            raise ValueError(f"Refusing {url!r}: packets are rendered from local files only.")
        path = Path(url2pathname(unquote(parts.path))).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            raise ValueError(f"Refusing {url!r}: outside the folders this render may read.")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": content_type}
        )


def static_dir() -> Path:
    """Our static folder (``static/``), the base URL of every packet template."""
    return Path(settings.STATICFILES_DIRS[0])


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string, safe whatever it contains."""
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif char < " " or char == "\x7f":
            escaped.append(f"\\{ord(char):x} ")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def enclosure_frame() -> tuple[float, float, float, float]:
    """(left, bottom, width, height) in points of the area an enclosure page is drawn in."""
    m = ENCLOSURE_MARGINS_MM
    width = (A4_MM[0] - m["left"] - m["right"]) * MM
    height = (A4_MM[1] - m["top"] - m["bottom"]) * MM
    return m["left"] * MM, m["bottom"] * MM, width, height


def page_css(footer: Footer | None) -> str:
    """The generated part of the page CSS: footer texts and the enclosure page geometry."""
    m = ENCLOSURE_MARGINS_MM
    # The image box is 1 mm short of the frame so rounding never spills it onto a second page.
    rules = [
        f"@page enclosure {{ margin: {m['top']}mm {m['right']}mm {m['bottom']}mm {m['left']}mm; }}",
        (
            f".enclosure-image {{ width: {A4_MM[0] - m['left'] - m['right']}mm; "
            f"height: {A4_MM[1] - m['top'] - m['bottom'] - 1}mm; }}"
        ),
    ]
    if footer is not None:
        rules.append(
            f"@page {{ @bottom-left {{ content: {css_string(footer.left)}; }} "
            f"@bottom-right {{ content: {css_string(footer.right)}; }} }}"
        )
    return "\n".join(rules)


def render_pdf(
    template_name: str,
    context: Mapping,
    *,
    footer: Footer | None = None,
    resource_dirs: Sequence[Path | str] = (),
) -> RenderedPdf:
    """Render a Django template to PDF; ``resource_dirs`` are extra folders it may read."""
    html = render_to_string(template_name, dict(context))
    fetcher = LocalFileFetcher([static_dir(), *resource_dirs])
    document = HTML(string=html, base_url=static_dir().as_uri() + "/", url_fetcher=fetcher).render(
        stylesheets=[CSS(string=page_css(footer), url_fetcher=fetcher)]
    )
    anchors: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            anchors.setdefault(name, index)
    return RenderedPdf(data=document.write_pdf(), page_count=len(document.pages), anchors=anchors)


# --- pypdf --------------------------------------------------------------------------------


def read_pdf(data: bytes) -> PdfReader:
    """A reader whose every page could be opened, or ``UnreadablePdf``."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise UnreadablePdf("the PDF is encrypted")
        pages = list(reader.pages)
        if not pages:
            raise UnreadablePdf("the PDF has no pages")
        for page in pages:
            # Resolve what placing the page needs: its box and its content streams.
            if float(page.cropbox.width) <= 0 or float(page.cropbox.height) <= 0:
                raise UnreadablePdf("a page has no size")
            _ = page.rotation
            page.get_contents()
    except UnreadablePdf:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files
        raise UnreadablePdf(str(exc) or type(exc).__name__) from exc
    return reader


def append_pdfs(parts: Iterable[bytes | PdfReader]) -> bytes:
    """The pages of ``parts``, one after the other, as one PDF."""
    writer = PdfWriter()
    for part in parts:
        writer.append(part if isinstance(part, PdfReader) else read_pdf(part))
    return _write(writer)


def fit_transform(page: PageObject, frame: tuple[float, float, float, float]) -> Transformation:
    """Scale ``page`` as it is shown (its /Rotate applied) to fit ``frame``, centred in it."""
    left, bottom, width, height = frame
    box = page.cropbox
    transform = Transformation().translate(-float(box.left), -float(box.bottom))
    if page.rotation % 360:
        # /Rotate turns the page clockwise when shown; do the same to its content, then bring
        # the turned box back to the origin.
        transform = transform.rotate(-(page.rotation % 360))
        corners = [
            transform.apply_on((x, y))
            for x in (float(box.left), float(box.right))
            for y in (float(box.bottom), float(box.top))
        ]
        low_x, low_y = min(c[0] for c in corners), min(c[1] for c in corners)
        transform = transform.translate(-low_x, -low_y)
    shown_w, shown_h = (
        (float(box.height), float(box.width))
        if page.rotation % 180
        else (float(box.width), float(box.height))
    )
    scale = min(width / shown_w, height / shown_h)
    x = left + (width - shown_w * scale) / 2
    y = bottom + (height - shown_h * scale) / 2
    return transform.scale(scale, scale).translate(x, y)


def place_pages(
    base: bytes,
    placements: Mapping[int, PageObject],
    *,
    on_page: Callable[[int, int], None] | None = None,
) -> bytes:
    """Draw each source page, scaled to the enclosure frame, under page ``index`` of ``base``.

    Under, not over: the placeholder's label and footer stay readable on top of a full-page
    scan. ``on_page(done, total)`` is called after each page, for progress reports.
    """
    writer = PdfWriter(clone_from=io.BytesIO(base))
    frame = enclosure_frame()
    total = len(placements)
    for done, (index, source) in enumerate(sorted(placements.items()), start=1):
        writer.pages[index].merge_transformed_page(source, fit_transform(source, frame), over=False)
        if on_page is not None:
            on_page(done, total)
    return _write(writer)


def image_pages(images: Sequence[bytes], *, footer: Footer | None = None) -> bytes:
    """Each PNG or JPEG on its own A4 page, scaled to fit (laid out by WeasyPrint)."""
    with tempfile.TemporaryDirectory(prefix="npp-images-") as folder:
        urls = []
        for number, data in enumerate(images, start=1):
            suffix = ".png" if data.startswith(b"\x89PNG") else ".jpg"
            path = Path(folder) / f"image-{number}{suffix}"
            path.write_bytes(data)
            urls.append(path.as_uri())
        rendered = render_pdf(
            "packets/image_pages.html", {"image_urls": urls}, footer=footer, resource_dirs=[folder]
        )
    return rendered.data


def _write(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
