"""Seed the reference data the customs letter cites, from DOMAIN.md, every row unconfirmed
(DOMAIN.md marks the notification numbers, the IGST reference, the sub-heading and the later
port additions [unconfirmed]); add the packing list and the certificate of analysis to the
checklist (DOMAIN.md §3.2, §4 item 15); and make the customs packet a clinical-side document
now that it encloses the prescription and the IDs.

Facilitators edit the rows in the admin; ``seed`` is idempotent (tests/conftest.py runs it
again after a transactional test flushed the database) and never overwrites an edited row.
"""

from __future__ import annotations

from django.db import migrations

DOMAIN = "DOMAIN.md"

EXEMPTIONS = [
    {
        "code": "bcd_rare_disease_personal_use",
        "levy": "bcd",
        "title": "Nil basic customs duty on drugs and Food for Special Medical Purposes "
        "imported for personal use for a rare disease listed in the National Policy for Rare "
        "Diseases 2021 (since 1 April 2023)",
        "notification_number": "50/2017-Customs",
        "serial_number": "167A",
        "amended_by": "17/2023-Customs",
        "condition": "A certificate from the Central or State Director of Health Services, or "
        "the District Medical Officer / Civil Surgeon of the district.",
        "source": f"{DOMAIN} §3.1 (Ministry of Finance / PIB, 30 Mar 2023) and §9 (trade "
        "sources): notification number and serial [unconfirmed].",
    },
    {
        "code": "igst_sma_personal_use",
        "levy": "igst",
        "title": "IGST exemption for Zolgensma imported for personal use",
        "notification_number": "",
        "reference_text": "as recommended by the GST Council at its 45th meeting "
        "(17 September 2021)",
        "condition": "Imported for personal use.",
        "source": f"{DOMAIN} §3.1 (Finance Minister's statement, Sept 2021): the notification "
        "number is [unconfirmed] and not seeded.",
    },
]

# code, name, kind, city, arrival point, listed under Rule 43A (2007 customs instruction).
PORT_OFFICES = [
    (
        "dcgi_hq",
        "DCGI headquarters, FDA Bhawan, New Delhi",
        "headquarters",
        "New Delhi",
        "New Delhi (IGI Airport)",
        True,
    ),
    (
        "delhi_airport",
        "CDSCO Port Office, New Delhi (IGI Airport)",
        "airport",
        "New Delhi",
        "New Delhi (IGI Airport)",
        True,
    ),
    (
        "mumbai_airport",
        "CDSCO Port Office, Mumbai Airport",
        "airport",
        "Mumbai",
        "Mumbai Airport",
        True,
    ),
    (
        "chennai_airport",
        "CDSCO Port Office, Chennai Airport",
        "airport",
        "Chennai",
        "Chennai Airport",
        True,
    ),
    (
        "kolkata_airport",
        "CDSCO Port Office, Kolkata Airport",
        "airport",
        "Kolkata",
        "Kolkata Airport",
        True,
    ),
    (
        "hyderabad_airport",
        "CDSCO Port Office, Hyderabad Airport",
        "airport",
        "Hyderabad",
        "Hyderabad Airport",
        True,
    ),
    (
        "bengaluru_airport",
        "CDSCO Port Office, Bengaluru Airport",
        "airport",
        "Bengaluru",
        "Bengaluru Airport",
        False,
    ),
    (
        "ahmedabad_airport",
        "CDSCO Port Office, Ahmedabad Airport",
        "airport",
        "Ahmedabad",
        "Ahmedabad Airport",
        True,
    ),
    (
        "chennai_seaport",
        "CDSCO Port Office, Chennai Sea Port",
        "seaport",
        "Chennai",
        "Chennai Sea Port",
        False,
    ),
    (
        "mumbai_seaport",
        "CDSCO Port Office, Mumbai Sea Port",
        "seaport",
        "Mumbai",
        "Mumbai Sea Port",
        False,
    ),
    (
        "nhava_sheva",
        "CDSCO Port Office, Nhava Sheva Sea Port",
        "seaport",
        "Nhava Sheva",
        "Nhava Sheva Sea Port",
        False,
    ),
]
PORT_SOURCE = (
    f"{DOMAIN} §2.1: offices from an older CDSCO list, later additions [unconfirmed]; Rule 43A "
    "airports from a 2007 customs instruction (Chennai, Kolkata, Mumbai, Delhi, Ahmedabad, "
    "Hyderabad); whether Bengaluru was added is an open question (§8, 12)."
)

TARIFF_HEADINGS = [
    {
        "heading": "3002",
        "description": "Chapter 30, heading 3002: vaccines, blood products and gene-therapy "
        "vectors",
        "source": f"{DOMAIN} §9: CTH 3002 [unconfirmed sub-heading].",
    }
]

# code, name, provider, required_before, shipment_side, sort_order (after the AWB, 160).
DOCUMENT_TYPES = [
    ("packing_list", "Packing list", "manufacturer", "delivery", True, 162),
    (
        "certificate_of_analysis",
        "Certificate of analysis / batch release",
        "manufacturer",
        "delivery",
        True,
        164,
    ),
]


def seed(apps, schema_editor):
    ExemptionNotification = apps.get_model("regulatory", "ExemptionNotification")
    PortOfficeDetail = apps.get_model("regulatory", "PortOfficeDetail")
    TariffHeading = apps.get_model("regulatory", "TariffHeading")
    DocumentType = apps.get_model("documents", "DocumentType")
    for row in EXEMPTIONS:
        ExemptionNotification.objects.get_or_create(
            code=row["code"], defaults={**row, "confirmed": False}
        )
    for code, name, kind, city, arrival, listed in PORT_OFFICES:
        PortOfficeDetail.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "city": city,
                "arrival_point": arrival,
                "rule_43a_listed": listed,
                "confirmed": False,
                "source": PORT_SOURCE,
            },
        )
    for row in TARIFF_HEADINGS:
        TariffHeading.objects.get_or_create(
            heading=row["heading"], defaults={**row, "confirmed": False}
        )
    for code, name, provider, before, shipment, order in DOCUMENT_TYPES:
        DocumentType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "provider": provider,
                "required_before": before,
                "shipment_side": shipment,
                "sort_order": order,
            },
        )
    # It encloses the prescription and the patient's and guardian's ID now.
    DocumentType.objects.filter(code="customs_packet").update(shipment_side=False)


def unseed(apps, schema_editor):
    DocumentType = apps.get_model("documents", "DocumentType")
    DocumentType.objects.filter(code="customs_packet").update(shipment_side=True)


class Migration(migrations.Migration):
    dependencies = [
        ("regulatory", "0001_initial"),
        ("documents", "0008_document_storage_from_settings"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
