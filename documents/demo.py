"""Small, real files for demo data and tests: a one-page PDF with text, and a PNG.

The PDF is written by hand (a handful of objects and an xref table) so seeding hundreds of
documents takes milliseconds; pypdf and pdftotext read its text back.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw


def _pdf_text(text: str) -> str:
    text = text.encode("latin-1", "replace").decode("latin-1")
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def simple_pdf(title: str, lines: list[str] | tuple[str, ...] = ()) -> bytes:
    """A valid one-page A4 PDF showing ``title`` and ``lines`` in Helvetica."""
    ops = [f"BT /F1 16 Tf 56 780 Td ({_pdf_text(title)}) Tj ET"]
    y = 750
    for line in lines:
        ops.append(f"BT /F1 11 Tf 56 {y} Td ({_pdf_text(line)}) Tj ET")
        y -= 16
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def simple_png(text: str, size: tuple[int, int] = (600, 400)) -> bytes:
    """A PNG with ``text`` drawn on it (a photographed receipt, say)."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([10, 10, size[0] - 10, size[1] - 10], outline="black", width=3)
    y = 30
    for line in text.splitlines():
        draw.text((30, y), line, fill="black")
        y += 18
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
