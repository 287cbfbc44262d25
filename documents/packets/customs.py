"""The customs packet for the customs broker: what the templates need, computed from a case.

Parts (``templates/packets/customs.html``): a cover letter to customs at the arrival port
claiming the basic customs duty exemption for a rare-disease drug imported for personal use
(DOMAIN.md §3.1, in its words), the shipment facts, the index, then the enclosures: the
rare-disease certificate, the Form 12B permit, the commercial invoice and the air waybill.

Nothing clinical goes in: the customs packet is a shipment-side document that hospital admins
may see, so it names the patient and the kit but carries no diagnosis details or lab values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings

from cases.models import Case

from . import Enclosure, PacketError, arrival_point, common_context, dose_plan_for

TEMPLATE = "packets/customs.html"
TITLE = "Customs packet: basic customs duty exemption (rare disease, personal use)"

# DOMAIN.md §1.5 [label]: shipped frozen at or below -60 C.
STORAGE_CONDITION = "Frozen at or below -60 °C until receipt at the hospital pharmacy"

# DOMAIN.md §3.1: IGST is exempt for these products imported for personal use.
IGST_EXEMPT_PRODUCTS = frozenset({"Zolgensma", "Viltepso"})

# The enclosures, in index order (DOMAIN.md §3.2).
ENCLOSURE_CODES = (
    "rare_disease_certificate",
    "form_12b_permit",
    "commercial_invoice",
    "air_waybill",
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
        "storage_condition": STORAGE_CONDITION,
        # DOMAIN.md §3.1: notification numbers are unconfirmed; printed only when configured.
        "exemption_notification": getattr(settings, "NPP_BCD_EXEMPTION_NOTIFICATION", ""),
        "igst_exempt": case.product.name in IGST_EXEMPT_PRODUCTS,
        "certificate": by_code.get("rare_disease_certificate"),
        "permit": by_code.get("form_12b_permit"),
        "invoice": by_code.get("commercial_invoice"),
        "awb": by_code.get("air_waybill"),
    }
