"""Every field of Form 12A and of the customs file, read back from the built PDFs with
poppler's ``pdftotext``: the test lists each field with the value the case holds and finds
the value after its label. Both packets are built once for the module (WeasyPrint is slow).
"""

from __future__ import annotations

import datetime as dt
import importlib
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from documents.packets.services import packet_build
from tests import factories
from tests.documents.test_packets import customs_case, demo_case

pytestmark = pytest.mark.django_db

SEEDS = (
    "cases.migrations.0002_seed_product_and_group",
    "documents.migrations.0002_seed_document_types",
    "documents.migrations.0006_review_before_gate",
    "regulatory.migrations.0002_seed_reference_data",
)


def pdftotext(data: bytes) -> list[str]:
    """The text of each page as poppler reads it, white space flattened."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "packet.pdf"
        path.write_bytes(data)
        text = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
    return [" ".join(page.split()) for page in text.split("\f")]


@dataclass
class Read:
    application: list[str]
    customs: list[str]
    values: dict
    customs_values: dict


@pytest.fixture(scope="module")
def read(django_db_setup, django_db_blocker, tmp_path_factory) -> Read:
    with (
        django_db_blocker.unblock(),
        override_settings(
            PRIVATE_STORAGE_ROOT=tmp_path_factory.mktemp("fields-private"),
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        transaction.atomic(),
    ):
        # A transactional test earlier in the run may have flushed the seeded rows.
        for module in SEEDS:
            importlib.import_module(module).seed(apps, None)
        facilitator = factories.FacilitatorFactory(username="fields-facilitator")
        case = demo_case(facilitator)
        values = factories.regulatory_file_values(case)
        application = packet_build(case=case, kind="application", by=facilitator)
        case = customs_case(facilitator)
        customs_values = factories.regulatory_file_values(case)
        customs = packet_build(case=case, kind="customs", by=facilitator)
        found = []
        for document in (application, customs):
            with document.file.open("rb") as handle:
                found.append(pdftotext(handle.read()))
        transaction.set_rollback(True)
    return Read(found[0], found[1], values, customs_values)


def _day(value: dt.date) -> str:
    return f"{value:%d %b %Y}"


def _after(text: str, label: str, value: str) -> bool:
    start = text.find(label)
    return start >= 0 and text.find(value, start + len(label)) >= 0


def form_12a_fields(v: dict) -> list[tuple[str, str]]:
    """(label printed on the form, value read back) for every field Form 12A has."""
    return [
        ("1. Name of the applicant", "Rohit Sharma"),
        ("1. Name of the applicant", "Father of the patient, Aarav Sharma"),
        (
            "2. Residence of the applicant",
            f"{v['applicant_address']}, {v['applicant_city']}, {v['applicant_district']}, "
            f"{v['applicant_state']} {v['applicant_pin']}",
        ),
        ("3. Occupation of the applicant", v["applicant_occupation"]),
        ("4. Patient for whose personal use the drug is imported", "Aarav Sharma, born"),
        ("5. Country from which the drug is imported", v["country_of_export"]),
        ("6. Name of the drug", "Zolgensma (onasemnogene abeparvovec)"),
        ("6. Name of the drug", "Manufacturer: Novartis Gene Therapies"),
        ("7. Quantity", "1 kit for the 8.1-8.5 kg weight band: 6 vials"),
        ("8. Purpose", "Personal use: treatment of the patient named above"),
        ("9. Prescription", "registration no. KMC-104233"),
        ("Signature of the applicant", f"Place: {v['applicant_city']}"),
        ("Prepared from case", v["sugam_application_number"]),
    ]


def customs_fields(v: dict) -> list[tuple[str, str]]:
    """(label, value) for every fact the customs file carries (DOMAIN.md §3.2, §9)."""
    return [
        ("Importer of record", v["importer_name"]),
        ("Importer of record", v["importer_address"]),
        ("Consignee", v["consignee_name"]),
        ("Consignee", v["consignee_address"]),
        ("Consignor", v["consignor_name"]),
        ("Consignor", v["consignor_address"]),
        ("Country of origin", v["country_of_origin"]),
        ("Country of export", v["country_of_export"]),
        ("Air waybill (AWB)", "176-12345675"),
        ("Courier", "World Courier"),
        ("ETA", "IST"),
        ("Arrival", "Bengaluru Airport"),
        ("Invoice", f"No. {v['invoice_number']} of {_day(v['invoice_date'])}"),
        ("Invoice value", "USD 2,125,000.00"),  # grouped (the factory's 2125000.00)
        ("Description", "Zolgensma (onasemnogene abeparvovec)"),
        ("Tariff heading", "CTH 3002"),
        ("Batch / lot", f"{v['batch_number']}, expiry {_day(v['batch_expiry'])}"),
        ("Quantity", f"{v['quantity_kits']} kit, {v['quantity_vials']} vials"),
        ("Weight", f"Gross {v['gross_weight_kg']} kg, net {v['net_weight_kg']} kg"),
        ("Dry ice", f"UN 1845, {v['dry_ice_kg']} kg net"),
        ("Storage condition", "Frozen at or below -60 °C"),
        ("Deliver to", "Kaveri Children's Hospital"),
        ("Form 12B permit", "12B/BLR/2026/1001"),
        (
            "Rare-disease certificate",
            f"No. {v['certificate_number']} of {_day(v['certificate_date'])}, District "
            f"Medical Officer, {v['certificate_office']}",
        ),
        (
            "BCD exemption claimed",
            "Notification No. 50/2017-Customs, S. No. 167A, as amended by Notification No. "
            "17/2023-Customs",
        ),
        ("IGST exemption claimed", "GST Council at its 45th meeting (17 September 2021)"),
        ("Bill of Entry", f"{v['bill_of_entry_number']} of {_day(v['bill_of_entry_date'])}"),
    ]


# The customs letter's enclosures, in order (the list).
CUSTOMS_ENCLOSURES = [
    "Form 12B permit v1",
    "Rare-disease certificate for the customs duty exemption v1",
    "RMP prescription v1",
    "Patient ID v1",
    "Commercial invoice v1",
    "Air waybill v1",
    "Packing list v1",
    "Certificate of analysis / batch release v1",
]


def test_form_12a_has_every_field_filled_from_the_case(read):
    form = next(page for page in read.application if "FORM 12A" in page)
    missing = [
        (label, value)
        for label, value in form_12a_fields(read.values)
        if not _after(form, label, value)
    ]
    assert not missing, missing
    assert "to be completed" not in " ".join(read.application)


def test_customs_file_carries_every_fact(read):
    facts = next(page for page in read.customs if "Shipment facts" in page)
    missing = [
        (label, value)
        for label, value in customs_fields(read.customs_values)
        if not _after(facts, label, value)
    ]
    assert not missing, missing


def test_customs_letter_claims_the_exemption_with_its_notification_and_lists_every_enclosure(read):
    at = next(i for i, page in enumerate(read.customs) if "Shipment facts" in page)
    letter = " ".join(read.customs[:at])
    v = read.customs_values
    for expected in [
        "The officer in charge, Customs, Bengaluru Airport",
        "CDSCO Port Office, Bengaluru Airport",
        f"importer of record, {v['importer_name']}",
        f"invoice {v['invoice_number']}",
        "USD 2,125,000.00",
        f"batch {v['batch_number']}",
        "tariff heading 3002",
        f"from {v['country_of_export']} (origin {v['country_of_origin']})",
        "We claim this exemption for the consignment under Notification No. 50/2017-Customs, "
        "S. No. 167A, as amended by Notification No. 17/2023-Customs",
        f"no. {v['certificate_number']}",
        "also exempt from IGST",
        f"{v['dry_ice_kg']} kg of dry ice (UN 1845)",
    ]:
        assert expected in letter, expected
    positions = [letter.find(label + " (page") for label in CUSTOMS_ENCLOSURES]
    assert -1 not in positions, list(zip(CUSTOMS_ENCLOSURES, positions, strict=True))
    assert positions == sorted(positions)


def test_the_customs_packet_shows_no_lab_value(read):
    assert "ALT" not in " ".join(read.customs)
    assert "titre" not in " ".join(read.customs).lower()


def test_dates_are_india_dates(read):
    assert _day(timezone.localdate()) in read.customs[0]


def test_each_cover_letter_ends_on_its_first_page_with_the_signature(read):
    for pages, on_behalf_of in ((read.application, "applicant"), (read.customs, "importer")):
        first = pages[0]
        assert "Yours faithfully," in first
        assert f"on behalf of the {on_behalf_of}," in first  # the signature, not on page 2
        assert "on behalf of the" not in pages[1]


@pytest.mark.parametrize(
    ("igst_exempt", "subject"), [(True, "duty and IGST for"), (False, "duty for")]
)
def test_the_customs_letter_claims_igst_only_for_a_product_it_exempts(igst_exempt, subject):
    from django.template.loader import render_to_string

    letter = render_to_string(
        "packets/_customs_letter.html", {"igst_exempt": igst_exempt, "enclosures": []}
    )

    assert f"Claim of exemption from basic customs {subject}" in " ".join(letter.split())
    assert ("also exempt from IGST" in letter) is igst_exempt
