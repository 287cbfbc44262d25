"""Seed the document checklist from DOMAIN.md §4.

Gates ("required before") follow the stage each row is first needed at; validity windows are
DOMAIN.md's [default]s (30 days for lab results and the clinical report and prescription),
editable in the admin. Generated packets are listed but gate nothing here.
"""

from __future__ import annotations

from django.db import migrations

RR, AP, CU, DE, IS = "regulatory_review", "approved", "customs", "delivery", "infusion_scheduled"

# code, name, provider, required_before, validity_days, is_lab, shipment_side, by_doctor, by_hospital
TYPES = [
    (
        "medical_report",
        "Clinical report and treatment request (SMA type, motor, ventilation and feeding status; justification)",
        "doctor",
        RR,
        30,
        False,
        False,
        True,
        False,
    ),
    (
        "prescription",
        "RMP prescription (drug, dose in vg and mL, kit band, quantity 1 kit, NMC/SMC registration number, signature)",
        "doctor",
        RR,
        30,
        False,
        False,
        True,
        False,
    ),
    (
        "genetic_report",
        "Genetic report (bi-allelic SMN1, SMN2 copy number)",
        "doctor",
        RR,
        None,
        False,
        False,
        True,
        False,
    ),
    (
        "anti_aav9_titer",
        "Anti-AAV9 antibody titre (ELISA)",
        "doctor",
        RR,
        30,
        True,
        False,
        True,
        False,
    ),
    (
        "liver_function",
        "Liver function tests (ALT, AST, total bilirubin, PT/INR)",
        "doctor",
        RR,
        30,
        True,
        False,
        True,
        False,
    ),
    (
        "cbc",
        "Complete blood count with haemoglobin and platelets",
        "doctor",
        RR,
        30,
        True,
        False,
        True,
        False,
    ),
    ("creatinine", "Serum creatinine", "doctor", RR, 30, True, False, True, False),
    ("troponin", "Troponin-I", "doctor", RR, 30, True, False, True, False),
    (
        "patient_id",
        "Patient ID (birth certificate; Aadhaar if issued) and guardian ID",
        "family",
        RR,
        None,
        False,
        False,
        True,
        False,
    ),
    (
        "guardian_consent",
        "Guardian's consent: data processing and informed consent for treatment",
        "family",
        RR,
        None,
        False,
        False,
        True,
        False,
    ),
    (
        "justification_letter",
        "Justification letter (no alternative available in India)",
        "doctor",
        RR,
        None,
        False,
        False,
        True,
        False,
    ),
    (
        "form_12a",
        "Form 12A application as filed (SUGAM)",
        "facilitator",
        AP,
        None,
        False,
        False,
        False,
        False,
    ),
    ("form_12b_permit", "Form 12B permit", "regulator", CU, None, False, True, False, False),
    (
        "rare_disease_certificate",
        "Rare-disease certificate for the customs duty exemption (DHS / DMO / Civil Surgeon)",
        "health_authority",
        CU,
        None,
        False,
        False,
        False,
        False,
    ),
    (
        "commercial_invoice",
        "Commercial invoice",
        "manufacturer",
        DE,
        None,
        False,
        True,
        False,
        False,
    ),
    ("air_waybill", "Air waybill (AWB)", "courier", DE, None, False, True, False, False),
    (
        "bill_of_entry",
        "Bill of entry and out-of-charge order",
        "customs_broker",
        DE,
        None,
        False,
        True,
        False,
        False,
    ),
    (
        "temperature_log",
        "Temperature-logger report (at or below -60 C until receipt)",
        "courier",
        IS,
        None,
        False,
        True,
        False,
        True,
    ),
    (
        "delivery_receipt",
        "Delivery receipt at the hospital pharmacy (time and signature)",
        "hospital",
        IS,
        None,
        False,
        True,
        False,
        True,
    ),
    (
        "application_packet",
        "Application packet (generated)",
        "facilitator",
        "",
        None,
        False,
        False,
        False,
        False,
    ),
    (
        "customs_packet",
        "Customs packet (generated)",
        "facilitator",
        "",
        None,
        False,
        True,
        False,
        False,
    ),
    ("other", "Other document", "facilitator", "", None, False, False, True, True),
]


def seed(apps, schema_editor):
    DocumentType = apps.get_model("documents", "DocumentType")
    for order, row in enumerate(TYPES, start=1):
        code, name, provider, before, validity, is_lab, shipment, by_doctor, by_hospital = row
        DocumentType.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "provider": provider,
                "required_before": before,
                "validity_days": validity,
                "is_lab": is_lab,
                "shipment_side": shipment,
                "uploadable_by_doctor": by_doctor,
                "uploadable_by_hospital": by_hospital,
                "sort_order": order * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
