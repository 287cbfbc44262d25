"""Words the portals show that come from data, not code: the seeded document types' names,
the checklist's and calendar's statuses, review statuses and who provides a document.

Templates translate them at run time (``{% translate line.status %}``); listing them here with
``gettext_noop`` puts them in the message catalogue (``make messages``). A document type added
later in the admin shows under its own name until its Hindi is added here and to the .po."""

from __future__ import annotations

from django.utils.translation import gettext_noop

DOCUMENT_TYPE_NAMES = [
    gettext_noop(
        "Clinical report and treatment request (SMA type, motor, ventilation and feeding "
        "status; justification)"
    ),
    gettext_noop(
        "RMP prescription (drug, dose in vg and mL, kit band, quantity 1 kit, NMC/SMC "
        "registration number, signature)"
    ),
    gettext_noop("Genetic report (bi-allelic SMN1, SMN2 copy number)"),
    gettext_noop("Anti-AAV9 antibody titre (ELISA)"),
    gettext_noop("Liver function tests (ALT, AST, total bilirubin, PT/INR)"),
    gettext_noop("Complete blood count with haemoglobin and platelets"),
    gettext_noop("Serum creatinine"),
    gettext_noop("Troponin-I"),
    gettext_noop("Patient ID (birth certificate; Aadhaar if issued) and guardian ID"),
    gettext_noop("Guardian's consent: data processing and informed consent for treatment"),
    gettext_noop("Justification letter (no alternative available in India)"),
    gettext_noop("Form 12A application as filed (SUGAM)"),
    gettext_noop("Form 12B permit"),
    gettext_noop(
        "Rare-disease certificate for the customs duty exemption (DHS / DMO / Civil Surgeon)"
    ),
    gettext_noop("Commercial invoice"),
    gettext_noop("Air waybill (AWB)"),
    gettext_noop("Packing list"),  # seeded by regulatory
    gettext_noop("Certificate of analysis / batch release"),  # seeded by regulatory
    gettext_noop("Bill of entry and out-of-charge order"),
    gettext_noop("Temperature-logger report (at or below -60 C until receipt)"),
    gettext_noop("Delivery receipt at the hospital pharmacy (time and signature)"),
    gettext_noop("Application packet (generated)"),
    gettext_noop("Customs packet (generated)"),
    gettext_noop("Other document"),
]

# documents.selectors.LineStatus and cases.clinical.EventStatus values, as templates show them.
STATUSES = [
    gettext_noop("missing"),
    gettext_noop("pending review"),
    gettext_noop("rejected"),
    gettext_noop("expired"),
    gettext_noop("ok"),
    gettext_noop("done"),
    gettext_noop("due"),
    gettext_noop("overdue"),
    gettext_noop("upcoming"),
]

# documents.models.ReviewStatus and Provider labels.
LABELS = [
    gettext_noop("Pending review"),
    gettext_noop("Accepted"),
    gettext_noop("Rejected"),
    gettext_noop("Treating doctor"),
    gettext_noop("Hospital"),
    gettext_noop("Family"),
    gettext_noop("Facilitator"),
    gettext_noop("Regulator (CDSCO)"),
    gettext_noop("Health authority (DHS / DMO / Civil Surgeon)"),
    gettext_noop("Manufacturer / distributor"),
    gettext_noop("Courier / shipper"),
    gettext_noop("Customs broker"),
]
