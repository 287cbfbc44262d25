"""Reading a parsed PDF's objects safely, for the checks in ``pdf_size`` and ``pdf_risks``.

pypdf hands out references (``IndirectObject``) that a check must resolve before it looks
inside, and names that may be any type in a hostile file; these helpers do both without
raising. ``in_file_references`` and ``all_references`` list every object the file holds, also
those nothing refers to, so a check does not depend on the document's own structure.
``PDF_TOO_COMPLEX`` is the refusal of any walk that runs into its bounds.
"""

from __future__ import annotations

from typing import Any

from pypdf import PdfReader
from pypdf.generic import IndirectObject, NameObject

PDF_TOO_COMPLEX = (
    "This PDF is too complex to be checked. Please print it to a new PDF and upload that."
)


def resolved(value: Any) -> Any:
    return value.get_object() if isinstance(value, IndirectObject) else value


def name_of(value: Any) -> str | None:
    """``value`` if it is (or refers to) a name, else None: safe to compare or look up."""
    value = resolved(value)
    return str(value) if isinstance(value, NameObject) else None


def in_file_references(reader: PdfReader) -> list[IndirectObject]:
    """The objects stored directly in the file (streams are never inside object streams)."""
    return [
        IndirectObject(number, generation, reader)
        for generation, entries in reader.xref.items()
        for number in entries
    ]


def all_references(reader: PdfReader) -> list[IndirectObject]:
    references = in_file_references(reader)
    references += [IndirectObject(number, 0, reader) for number in reader.xref_objStm]
    return references
