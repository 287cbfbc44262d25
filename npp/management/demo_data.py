"""The demo's people, places and cases, as data: what ``seed_demo`` creates (the command holds
how it creates them)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cases.models import (
    PortOffice,
)
from cases.states import CaseState

DEMO_PASSWORD = "demo-pass-2026"
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test key, demo only

HOSPITALS = [
    {
        "name": "Kaveri Children's Hospital",
        "address": "44 Bannerghatta Road, JP Nagar",
        "city": "Bengaluru",
        "state": "Karnataka",
        "phone": "+91 80 4000 1100",
        "port_office": PortOffice.BENGALURU_AIRPORT,
    },
    {
        "name": "Yamuna Paediatric Institute",
        "address": "7 Mathura Road, Sarita Vihar",
        "city": "New Delhi",
        "state": "Delhi",
        "phone": "+91 11 4100 2200",
        "port_office": PortOffice.DELHI_AIRPORT,
    },
]

# username, first, last, role, hospital index, extra
USERS = [
    ("facilitator", "Priya", "Menon", "facilitator", None, {}),
    (
        "doctor1",
        "Arjun",
        "Rao",
        "doctor",
        0,
        {
            "registration_number": "KMC-104233",
            "council": "Karnataka Medical Council",
            "specialty": "Paediatric neurology",
        },
    ),
    (
        "doctor2",
        "Neha",
        "Gupta",
        "doctor",
        1,
        {
            "registration_number": "DMC-R-58812",
            "council": "Delhi Medical Council",
            "specialty": "Paediatric neurology",
        },
    ),
    ("hospital1", "Suresh", "Kumar", "hospital_admin", 0, {}),
    ("hospital2", "Farah", "Khan", "hospital_admin", 1, {}),
]

# The state each transition leads to: documents required before it are uploaded first.
TRANSITION_TARGETS = {
    "start_document_collection": CaseState.DOCUMENTS,
    "submit_to_regulator": CaseState.REGULATORY_REVIEW,
    "record_permit": CaseState.APPROVED,
    "dispatch": CaseState.CUSTOMS,
    "clear_customs": CaseState.DELIVERY,
    "confirm_delivery_and_schedule": CaseState.INFUSION_SCHEDULED,
}

# Plausible baseline values, all within the limits DOMAIN.md §1.6 asks about.
DEMO_LAB_VALUES: dict[str, dict[str, Any]] = {
    "anti_aav9_titer": {"anti_aav9_titer": "1:25"},
    "liver_function": {
        "alt": Decimal("28"),
        "ast": Decimal("41"),
        "total_bilirubin": Decimal("0.6"),
    },
    "cbc": {"platelets": Decimal("310")},
    "creatinine": {"creatinine": Decimal("0.30")},
    "troponin": {"troponin_i": Decimal("0.010")},
}

# Photographed documents arrive as images; the rest as PDFs.
IMAGE_TYPES = {"patient_id", "temperature_log", "delivery_receipt"}

# What the two cases still collecting documents hold, so every checklist status shows.
DOCUMENTS_IN_PROGRESS: dict[str, dict[str, Any]] = {
    "Ishita Reddy": {
        "accepted": [
            "medical_report",
            "genetic_report",
            "patient_id",
            "guardian_consent",
            "anti_aav9_titer",
            "creatinine",
            "troponin",
        ],
        "pending": ["liver_function"],
        "rejected": {
            "prescription": "Unsigned; the prescription must carry the doctor's "
            "signature and council registration number."
        },
        "expired": {"cbc": 45},
    },
    "Vihaan Patel": {
        "accepted": ["medical_report", "genetic_report", "patient_id"],
        "pending": ["guardian_consent"],
    },
}

# Days after opening at which each main-line transition happens in the demo history.
MAIN_PATH = [
    ("start_document_collection", 2),
    ("submit_to_regulator", 16),
    ("record_permit", 24),
    ("dispatch", 38),
    ("clear_customs", 41),
    ("confirm_delivery_and_schedule", 42),
    ("record_infusion", 47),
    ("close", 140),
]


@dataclass
class DemoCase:
    patient: str
    dob_months: int
    sex: str
    guardian: str
    relationship: str
    city: str
    state: str
    doctor: int  # index into the doctors (0 -> doctor1, 1 -> doctor2)
    path: list[tuple[str, int]]
    days_in_state: int
    extra: dict = field(default_factory=dict)


def _digits(text: str, count: int) -> str:
    """Stable made-up digits for a demo name (the same on every run)."""
    return f"{zlib.crc32(text.encode()) % 10**count:0{count}d}"


def _main_until(transition: str) -> list[tuple[str, int]]:
    names = [name for name, _ in MAIN_PATH]
    return MAIN_PATH[: names.index(transition) + 1]


DEMO_CASES = [
    DemoCase("Aarav Sharma", 7, "M", "Rohit Sharma", "Father", "Bengaluru", "Karnataka", 0, [], 2),
    DemoCase(
        "Ishita Reddy",
        9,
        "F",
        "Lakshmi Reddy",
        "Mother",
        "Mysuru",
        "Karnataka",
        0,
        _main_until("start_document_collection"),
        6,
    ),
    DemoCase(
        "Vihaan Patel",
        11,
        "M",
        "Kiran Patel",
        "Father",
        "Gurugram",
        "Haryana",
        1,
        _main_until("start_document_collection"),
        11,
    ),
    DemoCase(
        "Ananya Iyer",
        8,
        "F",
        "Meera Iyer",
        "Mother",
        "Hosur",
        "Tamil Nadu",
        0,
        _main_until("submit_to_regulator"),
        4,
    ),
    DemoCase(
        "Kabir Singh",
        13,
        "M",
        "Harpreet Singh",
        "Father",
        "Noida",
        "Uttar Pradesh",
        1,
        _main_until("record_permit"),
        5,
    ),
    DemoCase(
        "Myra Nair",
        10,
        "F",
        "Anjali Nair",
        "Mother",
        "Bengaluru",
        "Karnataka",
        0,
        _main_until("dispatch"),
        2,
    ),
    DemoCase(
        "Reyansh Gupta",
        12,
        "M",
        "Amit Gupta",
        "Father",
        "New Delhi",
        "Delhi",
        1,
        _main_until("clear_customs"),
        1,
    ),
    DemoCase(
        "Anika Hegde",
        10,
        "F",
        "Vinay Hegde",
        "Father",
        "Bengaluru",
        "Karnataka",
        0,
        _main_until("clear_customs"),
        0,
    ),
    DemoCase(
        "Saanvi Joshi",
        9,
        "F",
        "Pooja Joshi",
        "Mother",
        "Tumakuru",
        "Karnataka",
        0,
        _main_until("confirm_delivery_and_schedule"),
        2,
    ),
    DemoCase(
        "Advik Menon",
        14,
        "M",
        "Sanjay Menon",
        "Father",
        "Faridabad",
        "Haryana",
        1,
        _main_until("record_infusion"),
        20,
    ),
    DemoCase(
        "Kiara Das",
        18,
        "F",
        "Ritu Das",
        "Mother",
        "Bengaluru",
        "Karnataka",
        0,
        _main_until("close"),
        9,
    ),
    DemoCase(
        "Ayaan Khan",
        15,
        "M",
        "Imran Khan",
        "Father",
        "Ghaziabad",
        "Uttar Pradesh",
        1,
        [*_main_until("submit_to_regulator"), ("record_rejection", 23)],
        3,
        {"rejection_reason": "Prescription lacks the doctor's council registration number."},
    ),
    DemoCase(
        "Diya Bose",
        6,
        "F",
        "Sourav Bose",
        "Father",
        "Kolar",
        "Karnataka",
        0,
        [*_main_until("submit_to_regulator"), ("hold", 19)],
        6,
        {"hold_reason": "Anti-AAV9 titre above 1:50; retest planned in 6 weeks."},
    ),
    DemoCase(
        "Arnav Kulkarni",
        16,
        "M",
        "Swati Kulkarni",
        "Mother",
        "New Delhi",
        "Delhi",
        1,
        [*_main_until("start_document_collection"), ("cancel", 9)],
        20,
        {"cancellation_reason": "Family chose treatment at a centre abroad."},
    ),
]
