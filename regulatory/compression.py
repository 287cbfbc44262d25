"""SUGAM takes each enclosure as a PDF of about 2 MB at most (DOMAIN.md §9). This makes one.

Pure Python (pypdf and Pillow; no ghostscript): a PDF is first rewritten losslessly (content
streams deflated, identical objects merged); if it is still too large its images are
re-encoded as JPEG at falling quality and, last, at a smaller size, until it fits. An image
document (a photographed ID) becomes a one-page PDF the same way. ``Compressed.fits`` says
whether the limit was met; when it was not, the smallest result is returned and the caller
warns. The original stays as it is: only the download is compressed.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from django.conf import settings
from PIL import Image
from pypdf import PdfReader, PdfWriter

logger = logging.getLogger(__name__)

# (JPEG quality, scale) tried in order once lossless rewriting is not enough.
LADDER = ((80, 1.0), (65, 1.0), (50, 0.75), (40, 0.5), (30, 0.35))


def limit_bytes() -> int:
    return int(settings.NPP_SUGAM_UPLOAD_MAX_BYTES)


@dataclass(frozen=True)
class Compressed:
    data: bytes
    original_size: int
    limit: int
    step: str  # what it took: "unchanged", "lossless", "images at quality 50, 75% size"...

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def fits(self) -> bool:
        return self.size <= self.limit


def _write(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGB", "L"):
        return image
    if image.mode in ("RGBA", "LA", "P"):
        background = Image.new("RGB", image.size, "white")
        converted = image.convert("RGBA")
        background.paste(converted, mask=converted.getchannel("A"))
        return background
    return image.convert("RGB")


def _scaled(image: Image.Image, scale: float) -> Image.Image:
    if scale >= 1.0:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _rewrite(data: bytes, quality: int | None, scale: float) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    for page in writer.pages:
        if quality is not None:
            for image_file in page.images:
                if image_file.image is None or image_file.indirect_reference is None:
                    continue
                try:
                    image_file.replace(_scaled(_rgb(image_file.image), scale), quality=quality)
                except (TypeError, ValueError, OSError):  # inline or exotic: left as it is
                    logger.info("an image could not be re-encoded; left as it is")
        page.compress_content_streams(level=9)
    writer.compress_identical_objects(remove_duplicates=True, remove_unreferenced=True)
    return _write(writer)


def compress_pdf(data: bytes, limit: int | None = None) -> Compressed:
    limit = limit if limit is not None else limit_bytes()
    if len(data) <= limit:
        return Compressed(data, len(data), limit, "unchanged")
    best = Compressed(data, len(data), limit, "unchanged")
    attempts: list[tuple[int | None, float, str]] = [(None, 1.0, "lossless")]
    attempts += [
        (q, s, f"images at JPEG quality {q}" + ("" if s == 1.0 else f", {round(s * 100)}% size"))
        for q, s in LADDER
    ]
    for quality, scale, step in attempts:
        result = Compressed(_rewrite(data, quality, scale), len(data), limit, step)
        if result.size < best.size:
            best = result
        if best.fits:
            break
    return best


def compress_image(data: bytes, limit: int | None = None) -> Compressed:
    """A one-page PDF of the image, as small as needed."""
    limit = limit if limit is not None else limit_bytes()
    with Image.open(io.BytesIO(data)) as opened:
        image = _rgb(opened.copy())
    best: Compressed | None = None
    for quality, scale in ((90, 1.0), *LADDER):
        out = io.BytesIO()
        _scaled(image, scale).save(out, format="PDF", quality=quality, resolution=150)
        step = f"image at JPEG quality {quality}" + (
            "" if scale == 1.0 else f", {round(scale * 100)}% size"
        )
        result = Compressed(out.getvalue(), len(data), limit, step)
        if best is None or result.size < best.size:
            best = result
        if best.fits:
            break
    assert best is not None
    return best


def compress_document(data: bytes, content_type: str, limit: int | None = None) -> Compressed:
    if content_type == "application/pdf":
        return compress_pdf(data, limit)
    return compress_image(data, limit)
