"""The customs packet for the customs broker: what the templates need, computed from a case.

Parts (``templates/packets/customs.html``): a cover letter to the port officer and the customs
broker at the arrival port claiming the basic customs duty exemption for a rare-disease drug
imported for personal use (DOMAIN.md §3.1, in its words, with the notification reference the
facts providers give), the shipment facts, the index, then the enclosures: the Form 12B
permit, the rare-disease certificate, the prescription, the patient's and guardian's ID, the
commercial invoice and the air waybill, then what providers add (the packing list and the
certificate of analysis, from ``regulatory``).

No lab value or diagnosis detail is printed, but the prescription and the IDs are enclosed
(DOMAIN.md §3.2: copies go with the Bill of Entry), so the customs packet is not a
shipment-side document any more: hospital admins see it only with clinical access.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings

from cases.models import Case

from . import (
    Enclosure,
    PacketError,
    arrival_point,
    common_context,
    dose_plan_for,
    extra_enclosure_codes,
    provided_facts,
)

TEMPLATE = "packets/customs.html"
TITLE = "Customs packet: basic customs duty exemption (rare disease, personal use)"


def cold_chain_limit() -> str:
    """DOMAIN.md §1.5 [label]: shipped frozen at or below this (``NPP_COLD_CHAIN_LIMIT_CELSIUS``,
    -60 °C), as the packets print it."""
    return f"{settings.NPP_COLD_CHAIN_LIMIT_CELSIUS:g} °C"


# DOMAIN.md §3.1: IGST is exempt for these products imported for personal use.
IGST_EXEMPT_PRODUCTS = frozenset({"Zolgensma", "Viltepso"})

# The enclosures, in index order (DOMAIN.md §3.2); ``enclosure_codes`` adds the registered.
ENCLOSURE_CODES = (
    "form_12b_permit",
    "rare_disease_certificate",
    "prescription",
    "patient_id",
    "commercial_invoice",
    "air_waybill",
)


def enclosure_codes() -> tuple[str, ...]:
    return ENCLOSURE_CODES + tuple(
        c for c in extra_enclosure_codes("customs") if c not in ENCLOSURE_CODES
    )


_REQUIRED_FACTS = (
    ("awb_number", "Enter the air waybill (AWB) number before building the customs packet."),
    ("courier", "Enter the courier before building the customs packet."),
    ("eta", "Enter the ETA before building the customs packet."),
    ("permit_number", "Record the Form 12B permit before building the customs packet."),
)


def context(
    *, case: Case, enclosures: list[Enclosure], generated_at: dt.datetime, by: Any
) -> dict[str, Any]:
    """Everything ``customs.html`` shows; raises ``PacketError`` if a shipment fact is missing."""
    missing = [message for name, message in _REQUIRED_FACTS if not getattr(case, name)]
    try:
        facts = provided_facts(case, "customs")
    except PacketError as exc:
        missing += exc.messages
    if missing:
        raise PacketError(missing)
    _, dose = dose_plan_for(case.patient)
    by_code = {e.document.document_type.code: e for e in enclosures}
    return {
        **common_context(
            case=case,
            kind="customs",
            title=TITLE,
            enclosures=enclosures,
            generated_at=generated_at,
            by=by,
        ),
        "arrival_point": arrival_point(case.hospital),
        "dose": dose,
        "storage_condition": f"Frozen at or below {cold_chain_limit()} until receipt at the "
        "hospital pharmacy",
        "cold_chain_limit": cold_chain_limit(),
        "igst_exempt": case.product.name in IGST_EXEMPT_PRODUCTS,
        "certificate": by_code.get("rare_disease_certificate"),
        "permit": by_code.get("form_12b_permit"),
        "invoice": by_code.get("commercial_invoice"),
        "awb": by_code.get("air_waybill"),
        "prescription": by_code.get("prescription"),
        "patient_id": by_code.get("patient_id"),
        **facts,
    }
