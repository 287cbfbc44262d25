"""The facts the packets need from the regulatory file, and what is missing from it.

``provide`` is registered with ``documents.packets.register_facts_provider`` in
``RegulatoryConfig.ready()``: every packet build asks it for the context keys below, and it
refuses with a ``PacketError`` naming every fact the case does not hold yet. The rulebook's
``packet_facts_missing`` (``regulatory.rules``) asks ``missing_facts`` for the same list, so a
packet that cannot be built and a transition that cannot run say the same words.

Context it gives (``templates/packets/``):
- application: ``form12a`` (applicant's residence with PIN code, occupation, country of export)
  and ``port_office_detail``;
- customs: ``customs_file`` (the ``RegulatoryFile``), ``bcd_exemption`` and
  ``igst_exemption`` (reference rows), ``port_office_detail``, ``consignee``, ``importer``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cases.clock import ist_date
from documents.packets import PacketError

from .models import ExemptionNotification, Levy, PortOfficeDetail, RegulatoryFile

if TYPE_CHECKING:
    from cases.models import Case

# Document types the customs packet encloses besides documents' own (seeded by this app's
# migration 0002, required before delivery).
EXTRA_CUSTOMS_ENCLOSURES = ("packing_list", "certificate_of_analysis")

# The facts of each packet: (field of RegulatoryFile, what it is, in words).
APPLICATION_FACTS = (
    ("applicant_address", "the applicant's postal address"),
    ("applicant_city", "the applicant's city or town"),
    ("applicant_state", "the applicant's state or UT"),
    ("applicant_pin", "the applicant's PIN code"),
    ("applicant_occupation", "the applicant's occupation"),
    ("country_of_export", "the country of export (the country the drug comes from)"),
)
CUSTOMS_FACTS = (
    ("importer_name", "the importer of record"),
    ("importer_address", "the importer's address"),
    ("consignee_name", "the consignee"),
    ("consignee_address", "the consignee's address"),
    ("consignor_name", "the consignor (manufacturer or distributor)"),
    ("consignor_address", "the consignor's address"),
    ("country_of_origin", "the country of origin"),
    ("country_of_export", "the country of export"),
    ("invoice_number", "the invoice number"),
    ("invoice_date", "the invoice date"),
    ("invoice_value", "the invoice value"),
    ("invoice_currency", "the invoice currency"),
    ("tariff_heading", "the tariff heading (HS code)"),
    ("batch_number", "the batch / lot number"),
    ("batch_expiry", "the batch expiry date"),
    ("quantity_kits", "the quantity in kits"),
    ("quantity_vials", "the quantity in vials"),
    ("gross_weight_kg", "the gross weight"),
    ("net_weight_kg", "the net weight"),
    ("dry_ice_kg", "the dry ice quantity (0 if none)"),
    ("certificate_authority", "the rare-disease certificate's issuing authority"),
    ("certificate_office", "the rare-disease certificate's issuing office"),
    ("certificate_number", "the rare-disease certificate's number"),
    ("certificate_date", "the rare-disease certificate's date"),
)
FACTS = {"application": APPLICATION_FACTS, "customs": CUSTOMS_FACTS}


def file_of(case: Case) -> RegulatoryFile | None:
    return RegulatoryFile.objects.filter(case=case).select_related("tariff_heading").first()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def missing_facts(
    case: Case, kind: str, regulatory_file: RegulatoryFile | None = None
) -> list[str]:
    """What the ``kind`` packet of ``case`` needs and the case does not hold, one sentence
    each, naming the fact; [] when complete."""
    found = regulatory_file if regulatory_file is not None else file_of(case)
    names = [
        label for field, label in FACTS[kind] if found is None or _blank(getattr(found, field))
    ]
    problems = []
    if names:
        what = "Form 12A" if kind == "application" else "The customs file"
        problems.append(
            f"{what} needs {_join(names)}: record {'it' if len(names) == 1 else 'them'} in the "
            f"regulatory file of {case.reference}."
        )
    if kind == "customs":
        problems += _reference_problems(case)
        problems += _permit_against_eta(case)
    return problems


def _permit_against_eta(case: Case) -> list[str]:
    """DOMAIN.md §1.10: the permit must not expire before the ETA (a courier may have moved
    the ETA since dispatch checked it)."""
    if case.permit_valid_until and case.eta and case.permit_valid_until < ist_date(case.eta):
        return [
            f"The Form 12B permit expires on {case.permit_valid_until:%d %b %Y}, before the "
            f"kit's ETA of {ist_date(case.eta):%d %b %Y}: apply for a new permit first."
        ]
    return []


def _reference_problems(case: Case) -> list[str]:
    problems = []
    for levy in (Levy.BCD, Levy.IGST):
        if not ExemptionNotification.objects.filter(levy=levy, active=True).exists():
            problems.append(
                f"No active {Levy(levy).label} exemption in the reference data; add it under "
                "Regulatory and customs file > Exemption notifications."
            )
    if not PortOfficeDetail.objects.filter(code=case.hospital.port_office).exists():
        problems.append(
            f"No reference data for the port office '{case.hospital.get_port_office_display()}'; "
            "add it under Regulatory and customs file > Port offices."
        )
    return problems


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def residence(found: RegulatoryFile) -> str:
    """The applicant's full postal address on one line, PIN code last."""
    place = ", ".join(
        p for p in (found.applicant_city, found.applicant_district, found.applicant_state) if p
    )
    street = ", ".join(
        line.strip() for line in found.applicant_address.splitlines() if line.strip()
    )
    return f"{street}, {place} {found.applicant_pin}".strip()


def provide(case: Case, kind: str) -> dict[str, Any]:
    """The packet's facts from the regulatory file; ``PacketError`` naming what is missing."""
    found = file_of(case)
    problems = missing_facts(case, kind, found)
    if problems:
        raise PacketError(problems)
    assert found is not None  # complete facts need a file
    port = PortOfficeDetail.objects.filter(code=case.hospital.port_office).first()
    if kind == "application":
        return {
            "form12a": {
                "residence": residence(found),
                "occupation": found.applicant_occupation,
                "country_of_export": found.country_of_export,
            },
            "port_office_detail": port,
            "regulatory_file": found,
        }
    exemptions = {
        levy: ExemptionNotification.objects.filter(levy=levy, active=True).order_by("code").first()
        for levy in (Levy.BCD, Levy.IGST)
    }
    return {
        "customs_file": found,
        "port_office_detail": port,
        "arrival_point": port.arrival_point if port else "",
        "bcd_exemption": exemptions[Levy.BCD],
        "igst_exemption": exemptions[Levy.IGST],
    }
