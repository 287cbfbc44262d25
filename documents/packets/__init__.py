"""Generated PDF packets of a case: the Form 12A application packet and the customs packet.

- ``models``: ``PacketBuild``, one row per requested build, carrying its progress.
- ``application`` / ``customs``: context builders, case -> values for ``templates/packets/``.
- ``services``: choose and check the enclosures, render (``documents.rendering``), store the
  packet as a new ``Document`` version; ``packet_blockers`` for the submit guard.
- ``views``: the admin buttons, the JSON progress endpoint and the case-page panel.
- The task is ``documents.tasks.build_packet_task``.

This module holds what both context builders share, and the two hooks an app above
documents plugs into from its ``AppConfig.ready()`` (``regulatory`` does): a *facts provider*
(``register_facts_provider``) gives a packet the facts documents does not own (the applicant's
address and occupation, the shipment's invoice, the exemption claimed...) or refuses the build
with ``PacketError`` naming each missing one; ``register_enclosure_codes`` adds document types
to what a packet encloses. It imports no model at import time: ``documents.models`` imports
``.models`` while it is itself being loaded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

if TYPE_CHECKING:
    from decimal import Decimal

    from cases.clinical import DosePlan
    from cases.models import Case, Hospital, Patient, WeightMeasurement
    from documents.models import Document, DocumentType


class PacketError(Exception):
    """The packet cannot be built; ``messages`` say why, in words for the facilitator."""

    def __init__(self, messages: list[str] | str) -> None:
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__(" ".join(self.messages))


# (case, kind) -> extra template context; raises PacketError naming every missing fact.
FactsProvider = Callable[["Case", str], dict[str, Any]]
_FACTS_PROVIDERS: list[FactsProvider] = []
_EXTRA_ENCLOSURES: dict[str, list[str]] = {}


def register_facts_provider(provider: FactsProvider) -> FactsProvider:
    """Add ``provider`` to every packet build (registering it again changes nothing)."""
    if provider not in _FACTS_PROVIDERS:
        _FACTS_PROVIDERS.append(provider)
    return provider


def register_enclosure_codes(kind: str, codes: tuple[str, ...] | list[str]) -> None:
    """Have the ``kind`` packet enclose the document types ``codes`` too, after its own."""
    extra = _EXTRA_ENCLOSURES.setdefault(kind, [])
    extra.extend(code for code in codes if code not in extra)


def extra_enclosure_codes(kind: str) -> tuple[str, ...]:
    return tuple(_EXTRA_ENCLOSURES.get(kind, ()))


def provided_facts(case: Case, kind: str) -> dict[str, Any]:
    """The context every registered provider gives the ``kind`` packet of ``case``; one
    ``PacketError`` with every provider's missing facts when any is missing."""
    facts: dict[str, Any] = {}
    missing: list[str] = []
    for provider in _FACTS_PROVIDERS:
        try:
            facts.update(provider(case, kind))
        except PacketError as exc:
            missing += exc.messages
    if missing:
        raise PacketError(missing)
    return facts


@dataclass
class Enclosure:
    """An accepted document going into a packet, checked readable, numbered in index order."""

    number: int
    document: Document
    label: str  # "Genetic report v2"
    page_count: int
    reader: Any = field(default=None, repr=False)  # pypdf PdfReader for a PDF
    image_url: str = ""  # file: URL of the image, for WeasyPrint

    @property
    def is_image(self) -> bool:
        return bool(self.image_url)

    def page_anchor(self, page_number: int) -> str:
        return f"enclosure-{self.number}-page-{page_number}"

    @property
    def pages(self) -> list[dict]:
        """One entry per page of the enclosure: the placeholder page's id and its number."""
        return [{"anchor": self.page_anchor(n), "number": n} for n in range(1, self.page_count + 1)]

    @property
    def first_anchor(self) -> str:
        return self.page_anchor(1)

    @property
    def last_anchor(self) -> str:
        return self.page_anchor(self.page_count)


def short_type_name(document_type: DocumentType) -> str:
    """The checklist's long names without their explanation in brackets."""
    return document_type.name.split(" (")[0].strip()


def in_sentence(text: str) -> str:
    """``Genetic report v2`` -> ``genetic report v2``; acronyms and "Form 12B" keep capitals."""
    first, _, rest = text.partition(" ")
    if first[:1].isupper() and first[1:2].islower() and first != "Form":
        first = first[0].lower() + first[1:]
    return f"{first} {rest}".strip()


def document_label(document: Document) -> str:
    return f"{short_type_name(document.document_type)} v{document.version}"


def letterhead() -> dict[str, str]:
    return {
        "name": settings.NPP_FACILITATOR_NAME,
        "address": settings.NPP_FACILITATOR_ADDRESS,
        "licence": settings.NPP_FACILITATOR_LICENCE,
    }


def generated_text(generated_at: dt.datetime) -> str:
    return f"Generated {timezone.localtime(generated_at):%d %b %Y, %H:%M %Z}"  # IST


def port_office_label(hospital: Hospital) -> str:
    return hospital.get_port_office_display()


def arrival_point(hospital: Hospital) -> str:
    """The airport or sea port of the hospital's CDSCO port office (DOMAIN.md §2.1)."""
    label = port_office_label(hospital)
    if label.startswith("CDSCO Port Office, "):
        return label.removeprefix("CDSCO Port Office, ")
    return "New Delhi (IGI Airport)"  # DCGI headquarters: consignments arrive at Delhi


def person_name(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def dose_plan_for(patient: Patient) -> tuple[WeightMeasurement, DosePlan]:
    """The latest weight and the kit it needs, or ``PacketError`` saying what is wrong."""
    from cases.clinical import WeightOutOfRange, zolgensma_dose

    weight = patient.latest_weight()
    if weight is None:
        raise PacketError(
            f"No weight is recorded for {patient.full_name}; the dose plan needs one."
        )
    try:
        return weight, zolgensma_dose(weight.weight_kg)
    except WeightOutOfRange as exc:
        raise PacketError(str(exc)) from exc


def scientific(value: float | Decimal) -> dict[str, str]:
    """9.35e14 -> {"mantissa": "9.35", "exponent": "14"} for "9.35 x 10^14" in print."""
    mantissa, exponent = f"{value:.3e}".split("e")
    return {"mantissa": mantissa.rstrip("0").rstrip("."), "exponent": str(int(exponent))}


def common_context(
    *,
    case: Case,
    kind: str,
    title: str,
    enclosures: list[Enclosure],
    generated_at: dt.datetime,
    by: Any,
) -> dict[str, Any]:
    patient = case.patient
    return {
        "kind": kind,
        "title": title,
        "case": case,
        "reference": case.reference,
        "patient": patient,
        "hospital": case.hospital,
        "doctor": case.doctor,
        "doctor_name": str(case.doctor),
        "product": case.product,
        "letterhead": letterhead(),
        "generated_at": generated_at,
        "letter_date": timezone.localdate(generated_at),
        "prepared_by": person_name(by),
        "enclosures": enclosures,
    }
