"""The regulatory application packet: what the templates need, computed from a case.

Parts, in order (``templates/packets/application.html``): cover letter to the CDSCO port office
named on the hospital, Form 12A filled from the case (the fields DOMAIN.md §2.1 lists; the
applicant's address, occupation and the country of export come from the facts providers),
the case summary with the dose plan and the baseline labs, the index, then the enclosures.
Figures come from ``cases.clinical`` (dose plan, ULN and titre threshold), never from here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from cases import clinical
from cases.models import Case

from . import (
    Enclosure,
    PacketError,
    common_context,
    dose_plan_for,
    port_office_label,
    provided_facts,
    scientific,
)

TEMPLATE = "packets/application.html"
TITLE = "Application packet: Form 12A"

# Lab fields of ``Document`` shown in the summary: (field, test, unit, liver test?).
LAB_ROWS = (
    ("alt", "ALT", "U/L", True),
    ("ast", "AST", "U/L", True),
    ("total_bilirubin", "Total bilirubin", "mg/dL", True),
    ("platelets", "Platelets", "x10³/µL", False),
    ("creatinine", "Serum creatinine", "mg/dL", False),
    ("troponin_i", "Troponin-I", "ng/mL", False),
)


def context(
    *, case: Case, enclosures: list[Enclosure], generated_at: dt.datetime, by: Any
) -> dict[str, Any]:
    """Everything ``application.html`` shows; raises ``PacketError`` if the case lacks it
    (the facts the registered providers give, e.g. the applicant's address, included)."""
    facts = provided_facts(case, "application")
    weight, dose = dose_plan_for(case.patient)
    lab_documents = [e for e in enclosures if e.document.document_type.is_lab]
    uln = clinical.uln_limits()
    return {
        **common_context(
            case=case,
            kind="application",
            title=TITLE,
            enclosures=enclosures,
            generated_at=generated_at,
            by=by,
        ),
        "port_office": port_office_label(case.hospital),
        "age_months": case.patient.age_in_months(timezone.localdate(generated_at)),
        "weight": weight,
        "dose": dose,
        "dose_per_kg": scientific(clinical.DOSE_VG_PER_KG),
        "dose_vg": scientific(dose.dose_vg),
        "prescription": _first(enclosures, "prescription"),
        "labs": [
            _lab_row(name, test, unit, liver, lab_documents, uln)
            for name, test, unit, liver in LAB_ROWS
        ],
        "uln": uln,
        "liver_multiple": clinical.LIVER_ULN_MULTIPLE,
        "titer": _titer(lab_documents),
        **facts,
    }


def _first(enclosures: list[Enclosure], code: str) -> Enclosure | None:
    return next((e for e in enclosures if e.document.document_type.code == code), None)


def _lab_row(
    name: str,
    test: str,
    unit: str,
    liver: bool,
    lab_documents: list[Enclosure],
    uln: dict[str, Decimal],
) -> dict[str, Any]:
    source = next((e for e in lab_documents if getattr(e.document, name) is not None), None)
    row: dict[str, Any] = {"test": test, "unit": unit, "value": None, "flag": "", "limit": None}
    if source is None:
        return row
    value = getattr(source.document, name)
    row.update(value=value, sample_taken_on=source.document.sample_taken_on, source=source)
    if liver:
        row["limit"] = clinical.LIVER_ULN_MULTIPLE * uln[name]
        row["flag"] = "above" if value > row["limit"] else "within"
    return row


def _titer(lab_documents: list[Enclosure]) -> dict[str, Any]:
    threshold = clinical.titer_max_denominator()
    source = next((e for e in lab_documents if e.document.anti_aav9_titer), None)
    titer: dict[str, Any] = {"threshold": f"1:{threshold}", "value": "", "flag": ""}
    if source is None:
        return titer
    text = source.document.anti_aav9_titer
    titer.update(value=text, sample_taken_on=source.document.sample_taken_on, source=source)
    try:
        titer["flag"] = "within" if clinical.titer_meets_threshold(text) else "above"
    except clinical.MalformedTiter as exc:
        raise PacketError(str(exc)) from exc
    return titer
