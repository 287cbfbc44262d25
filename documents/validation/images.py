"""JPEG and PNG uploads: decode with Pillow, refuse what cannot be read, re-encode pixels only.

An image is verified, decoded and re-encoded (JPEG at quality 90, PNG losslessly), upright per
its EXIF orientation, with all metadata dropped (EXIF incl. GPS, comments, text chunks, ICC
profile); only pixels, transparency and a plausible scan resolution (dpi) survive. Anything
appended to the image (a ZIP, HTML, a PDF: a polyglot) or hidden in its metadata is therefore
not in the stored bytes. The pixel count is capped (``NPP_UPLOAD_MAX_IMAGE_PIXELS``) from the
header, before any pixel is decoded.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from typing import Any

from django.core.exceptions import ValidationError
from PIL import Image, ImageOps

from .filetypes import JPEG, PNG
from .limits import max_image_pixels

IMAGE_UNREADABLE = (
    "This image could not be read; it may be damaged or incomplete. "
    "Please take or save the picture again."
)
IMAGE_TOO_LARGE = (
    "This image has too many pixels (the limit is %(limit)s megapixels). "
    "Please upload a smaller photo or scan."
)

_PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG"}
_PNG_MODES = frozenset({"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"})


def reencode_image(data: bytes, content_type: str) -> bytes:
    """Verify, decode and re-encode an image; the result holds pixels and nothing else."""
    formats = [_PILLOW_FORMATS[content_type]]
    try:
        # Pillow's own bomb guard is global state (Image.MAX_IMAGE_PIXELS) that we leave alone;
        # our limit is lower and checked from the header before any pixel is decoded, and
        # Pillow's warning is made an error in case a setting raises our limit above its.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=formats) as probe:
                _check_pixels(probe.size)
                probe.verify()
            with Image.open(io.BytesIO(data), formats=formats) as image:
                image.load()
                return _encode(image, formats[0])
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    except Exception as exc:  # Pillow raises OSError, ValueError, SyntaxError, struct.error, ...
        raise ValidationError(IMAGE_UNREADABLE, code="image_unreadable") from exc


def _check_pixels(size: tuple[int, int]) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise ValidationError(IMAGE_UNREADABLE, code="image_unreadable")
    if width * height > max_image_pixels():
        raise _too_many_pixels()


def _too_many_pixels() -> ValidationError:
    limit = f"{max_image_pixels() / 1_000_000:g}"
    return ValidationError(IMAGE_TOO_LARGE, code="image_too_large", params={"limit": limit})


def _encode(image: Image.Image, pillow_format: str) -> bytes:
    """Re-encode upright, keeping only pixels, transparency and the scan resolution (dpi)."""
    # A broken EXIF block costs the orientation, not the upload.
    with contextlib.suppress(Exception):
        ImageOps.exif_transpose(image, in_place=True)
    options: dict[str, Any] = {}
    if pillow_format == "JPEG":
        options["quality"] = 90
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
    elif image.mode not in _PNG_MODES:
        image = image.convert("RGBA")
    elif image.info.get("transparency") is not None:
        options["transparency"] = image.info["transparency"]
    if dpi := _plausible_dpi(image.info.get("dpi")):
        options["dpi"] = dpi
    image.info = {}  # Pillow writes some metadata (comment, ICC profile) from here by default
    output = io.BytesIO()
    image.save(output, format=pillow_format, **options)
    return output.getvalue()


def _plausible_dpi(dpi: object) -> tuple[float, float] | None:
    if not isinstance(dpi, tuple) or len(dpi) != 2:
        return None
    if all(isinstance(value, (int, float)) and 1 <= value <= 10_000 for value in dpi):
        return (float(dpi[0]), float(dpi[1]))
    return None
