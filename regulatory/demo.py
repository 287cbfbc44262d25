"""Demo values for the regulatory file, step by step, for ``npp``'s ``seed_demo``: what the
facilitator has recorded by the time each transition runs. A case past regulatory review has
every Form 12A and customs fact (the shipment's facts arrive with the kit's dispatch notice);
the Bill of Entry once customs cleared the kit. Made-up numbers, stable for a case.
"""

from __future__ import annotations

import datetime as dt
import zlib
from decimal import Decimal
from typing import Any

from django.utils import timezone

from cases.models import Case
from cases.states import CaseState

from .models import CertificateAuthority, TariffHeading

# City -> (district, PIN code, a street).
PLACES = {
    "Bengaluru": ("Bengaluru Urban", "560076", "Bilekahalli, Bannerghatta Road"),
    "Mysuru": ("Mysuru", "570012", "2nd Cross, Jayalakshmipuram"),
    "Gurugram": ("Gurugram", "122002", "DLF Phase 4"),
    "Hosur": ("Krishnagiri", "635109", "Alasanatham Road"),
    "Noida": ("Gautam Buddh Nagar", "201301", "Sector 50"),
    "New Delhi": ("South East Delhi", "110076", "Sarita Vihar"),
    "Tumakuru": ("Tumakuru", "572101", "SIT Main Road"),
    "Faridabad": ("Faridabad", "121003", "Sector 15"),
    "Ghaziabad": ("Ghaziabad", "201002", "Raj Nagar"),
    "Kolar": ("Kolar", "563101", "Gandhi Nagar"),
}
OCCUPATIONS = ("Software engineer", "School teacher", "Shopkeeper", "Accountant", "Nurse")


def _n(text: str, modulo: int) -> int:
    return zlib.crc32(text.encode()) % modulo


def _applicant(case: Case) -> dict[str, Any]:
    patient = case.patient
    district, pin, street = PLACES.get(patient.city, (patient.city, "560001", "MG Road"))
    address = f"{10 + _n(patient.guardian_name, 80)}, {street}"
    return {
        "applicant_address": address,
        "applicant_city": patient.city,
        "applicant_district": district,
        "applicant_state": patient.state,
        "applicant_pin": pin,
        "applicant_occupation": OCCUPATIONS[_n(patient.guardian_name, len(OCCUPATIONS))],
        "country_of_export": "United States of America",
        "importer_name": f"{patient.guardian_name} ({patient.guardian_relationship.lower()} of "
        f"{patient.full_name}), for the patient's personal use",
        "importer_address": f"{address}, {patient.city} {pin}, {patient.state}",
        "consignee_name": f"{patient.guardian_name}, care of {case.hospital.name}",
        "consignee_address": f"{case.hospital.address}, {case.hospital.city}, "
        f"{case.hospital.state}",
    }


def _shipment(case: Case, at: dt.datetime) -> dict[str, Any]:
    patient, n = case.patient, case.pk
    district = PLACES.get(patient.city, (patient.city,))[0]
    weight = patient.latest_weight()
    vials = 6 if weight is None or weight.weight_kg <= Decimal("8.5") else 7
    day = timezone.localdate(at)
    return {
        "certificate_authority": CertificateAuthority.DMO,
        "certificate_office": f"District Health Office, {district}",
        "certificate_number": f"DHO/{district[:3].upper()}/RD/{day.year}/{100 + n}",
        "certificate_date": day - dt.timedelta(days=6),
        "consignor_name": "Novartis Gene Therapies, Inc.",
        "consignor_address": "2275 Half Day Road, Bannockburn, IL 60015, USA",
        "country_of_origin": "United States of America",
        "invoice_number": f"NGT-INV-{day.year}-{5500 + n}",
        "invoice_date": day - dt.timedelta(days=1),
        "invoice_value": Decimal("2125000.00"),
        "invoice_currency": "USD",
        "tariff_heading": TariffHeading.objects.filter(heading="3002").first(),
        "batch_number": f"AVXB{day:%y}{n:02d}",
        "batch_expiry": day + dt.timedelta(days=180),
        "quantity_kits": 1,
        "quantity_vials": vials,
        "gross_weight_kg": Decimal("38.50"),
        "net_weight_kg": Decimal("0.310"),
        "dry_ice_kg": Decimal("30.00"),
    }


def file_values_before(case: Case, transition: str, at: dt.datetime) -> dict[str, Any]:
    """What the file records just before ``transition`` runs at ``at`` (empty: nothing new)."""
    if transition == "submit_to_regulator":
        return _applicant(case)
    if transition == "record_permit":
        return {
            "sugam_application_number": f"SUGAM/12A/{timezone.localdate(at).year}/{4100 + case.pk}",
            "sugam_submitted_at": at - dt.timedelta(days=7),
            "permit_received_at": at - dt.timedelta(hours=4),
        }
    if transition == "dispatch":
        return _shipment(case, at)
    if transition == "clear_customs":
        return {
            "bill_of_entry_number": f"{7300000 + case.pk}",
            "bill_of_entry_date": timezone.localdate(at) - dt.timedelta(days=1),
            "broker_name": "Skyline Customs Brokers Pvt Ltd",
            "broker_licence": "CB/BLR/1187",
            "duty_assessed_inr": Decimal("0.00"),
            "out_of_charge_at": at - dt.timedelta(hours=2),
        }
    return {}


def file_values_now(case: Case, now: dt.datetime) -> dict[str, Any]:
    """What the facilitator holds today beyond the steps: a case with its permit already has
    the kit's invoice, batch and certificate (the order is placed); a kit in customs has its
    Bill of Entry filed, not yet out of charge."""
    if case.state == CaseState.APPROVED:
        return _shipment(case, now)
    if case.state == CaseState.CUSTOMS:
        values = file_values_before(case, "clear_customs", now)
        values["out_of_charge_at"] = None
        return values
    return {}


# The demo's CDSCO queries: (transition after which it is raised, days later, answered?).
QUERIES = {
    # Kabir Singh's permit came after one answered query; Ananya Iyer waits on an open one.
    "Kabir Singh": ("submit_to_regulator", 2, True),
    "Ananya Iyer": ("submit_to_regulator", 1, False),
}
QUERY_TEXT = (
    "The prescription enclosed does not state the dose in vector genomes; submit a revised "
    "prescription with the dose in vg and mL and the doctor's registration number."
)
ANSWER_TEXT = "Revised prescription with the dose in vg and mL enclosed."
