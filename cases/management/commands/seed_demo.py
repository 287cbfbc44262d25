"""Create demo data: two hospitals, five users and at least one case in every state.

Cases are walked through ``case_apply`` like real ones, so every demo case satisfied its
guards; afterwards the history is spread back over the weeks it would have taken. Running the
command again creates nothing new (users, hospitals and patients are looked up by name).
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_fsm_log.models import StateLog

from cases.models import (
    Case,
    Doctor,
    Hospital,
    HospitalAdmin,
    Patient,
    PortOffice,
    Product,
    WeightMeasurement,
)
from cases.permissions import FACILITATORS_GROUP
from cases.services import case_apply, case_create
from cases.states import CaseState

DEMO_PASSWORD = "demo-pass-2026"

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
        {"registration_number": "KMC-104233", "council": "Karnataka Medical Council",
         "specialty": "Paediatric neurology"},
    ),
    (
        "doctor2",
        "Neha",
        "Gupta",
        "doctor",
        1,
        {"registration_number": "DMC-R-58812", "council": "Delhi Medical Council",
         "specialty": "Paediatric neurology"},
    ),
    ("hospital1", "Suresh", "Kumar", "hospital_admin", 0, {}),
    ("hospital2", "Farah", "Khan", "hospital_admin", 1, {}),
]

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
    DemoCase("Aarav Sharma", 7, "M", "Rohit Sharma", "Father", "Bengaluru", "Karnataka", 0,
             [], 2),
    DemoCase("Ishita Reddy", 9, "F", "Lakshmi Reddy", "Mother", "Mysuru", "Karnataka", 0,
             _main_until("start_document_collection"), 6),
    DemoCase("Vihaan Patel", 11, "M", "Kiran Patel", "Father", "Gurugram", "Haryana", 1,
             _main_until("start_document_collection"), 11),
    DemoCase("Ananya Iyer", 8, "F", "Meera Iyer", "Mother", "Hosur", "Tamil Nadu", 0,
             _main_until("submit_to_regulator"), 4),
    DemoCase("Kabir Singh", 13, "M", "Harpreet Singh", "Father", "Noida", "Uttar Pradesh", 1,
             _main_until("record_permit"), 5),
    DemoCase("Myra Nair", 10, "F", "Anjali Nair", "Mother", "Bengaluru", "Karnataka", 0,
             _main_until("dispatch"), 2),
    DemoCase("Reyansh Gupta", 12, "M", "Amit Gupta", "Father", "New Delhi", "Delhi", 1,
             _main_until("clear_customs"), 1),
    DemoCase("Saanvi Joshi", 9, "F", "Pooja Joshi", "Mother", "Tumakuru", "Karnataka", 0,
             _main_until("confirm_delivery_and_schedule"), 2),
    DemoCase("Advik Menon", 14, "M", "Sanjay Menon", "Father", "Faridabad", "Haryana", 1,
             _main_until("record_infusion"), 20),
    DemoCase("Kiara Das", 18, "F", "Ritu Das", "Mother", "Bengaluru", "Karnataka", 0,
             _main_until("close"), 9),
    DemoCase("Ayaan Khan", 15, "M", "Imran Khan", "Father", "Ghaziabad", "Uttar Pradesh", 1,
             [*_main_until("submit_to_regulator"), ("record_rejection", 23)], 3,
             {"rejection_reason": "Prescription lacks the doctor's council registration number."}),
    DemoCase("Diya Bose", 6, "F", "Sourav Bose", "Father", "Kolar", "Karnataka", 0,
             [*_main_until("submit_to_regulator"), ("hold", 19)], 6,
             {"hold_reason": "Anti-AAV9 titre above 1:50; retest planned in 6 weeks."}),
    DemoCase("Arnav Kulkarni", 16, "M", "Swati Kulkarni", "Mother", "New Delhi", "Delhi", 1,
             [*_main_until("start_document_collection"), ("cancel", 9)], 20,
             {"cancellation_reason": "Family chose treatment at a centre abroad."}),
]


class Command(BaseCommand):
    help = "Create demo users, hospitals and a case in every state (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Run even though DEBUG is off."
        )

    def handle(self, *args, force: bool = False, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates users with a published password; it refuses to run with "
                "DEBUG off. Use --force if this really is a demo system."
            )
        with transaction.atomic():
            hospitals = [self._hospital(h) for h in HOSPITALS]
            users = {u[0]: self._user(u, hospitals) for u in USERS}
            doctors = [users["doctor1"].doctor, users["doctor2"].doctor]
        created = 0
        for spec in DEMO_CASES:
            if Patient.objects.filter(full_name=spec.patient).exists():
                continue
            self._case(spec, doctors, users)
            created += 1
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {created} new case(s), {Case.objects.count()} in all. "
                f"Log in as facilitator / doctor1 / doctor2 / hospital1 / hospital2 with "
                f"password {DEMO_PASSWORD}."
            )
        )

    def _hospital(self, data: dict) -> Hospital:
        hospital, _ = Hospital.objects.get_or_create(name=data["name"], defaults=data)
        return hospital

    def _user(self, spec, hospitals: list[Hospital]):
        username, first, last, role, hospital_index, extra = spec
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@demo.npp.invalid",
                "is_staff": role == "facilitator",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        if role == "facilitator":
            user.groups.add(Group.objects.get(name=FACILITATORS_GROUP))
        elif role == "doctor":
            Doctor.objects.get_or_create(
                user=user, defaults={**extra, "hospital": hospitals[hospital_index]}
            )
        else:
            HospitalAdmin.objects.get_or_create(
                user=user, defaults={"hospital": hospitals[hospital_index]}
            )
        return user

    @transaction.atomic
    def _case(self, spec: DemoCase, doctors: list[Doctor], users: dict) -> Case:
        now = timezone.now()
        opened = now - dt.timedelta(days=(spec.path[-1][1] if spec.path else 0) + spec.days_in_state)
        at = {name: opened + dt.timedelta(days=day) for name, day in spec.path}
        today = timezone.localdate()
        patient = Patient.objects.create(
            full_name=spec.patient,
            date_of_birth=today - dt.timedelta(days=round(spec.dob_months * 30.4)),
            sex=spec.sex,
            guardian_name=spec.guardian,
            guardian_relationship=spec.relationship,
            guardian_phone=f"+91 98450 {_digits(spec.patient, 5)}",
            guardian_email=f"{spec.guardian.split()[0].lower()}@example.in",
            city=spec.city,
            state=spec.state,
            aadhaar_last4=_digits(spec.guardian, 4),
            sma_type="1" if spec.dob_months < 12 else "2",
            smn1_biallelic_confirmed=True,
            smn2_copy_number=2 if spec.dob_months < 12 else 3,
            genetic_test_lab="Strand Life Sciences, Bengaluru",
            genetic_test_date=timezone.localdate(opened) - dt.timedelta(days=20),
        )
        base_weight = Decimal("5.0") + Decimal(spec.dob_months) * Decimal("0.35")
        WeightMeasurement.objects.create(
            patient=patient, measured_on=timezone.localdate(opened), weight_kg=base_weight,
            measured_by="Clinic nurse",
        )
        WeightMeasurement.objects.create(
            patient=patient,
            measured_on=today - dt.timedelta(days=3),
            weight_kg=base_weight + Decimal("0.3"),
            measured_by="Clinic nurse",
        )
        doctor = doctors[spec.doctor]
        case = case_create(
            patient=patient,
            product=Product.objects.get(name="Zolgensma"),
            doctor=doctor,
            hospital=doctor.hospital,
            facilitator=users["facilitator"],
        )
        for name, _ in spec.path:
            facts = self._facts(name, at, spec, case)
            by = users["facilitator"]
            if name == "confirm_delivery_and_schedule":
                by = users[f"hospital{spec.doctor + 1}"]
            elif name in ("start_document_collection", "record_infusion"):
                by = doctor.user
            case = case_apply(case=case, transition=name, by=by, **facts)
        self._backdate(case, opened, [at[name] for name, _ in spec.path])
        return case

    def _facts(self, name: str, at: dict, spec: DemoCase, case: Case) -> dict:
        n = case.pk
        if name == "record_permit":
            issued = timezone.localdate(at[name])
            return {
                "permit_number": f"12B/BLR/{issued.year}/{1000 + n}",
                "permit_issued_on": issued,
                "permit_valid_until": issued + dt.timedelta(days=180),
            }
        if name == "dispatch":
            return {
                "supplier_order_ref": f"NGT-IN-{40000 + n}",
                "awb_number": f"176-{12345670 + n:08d}",
                "courier": "World Courier (air cargo)",
                "eta": at[name] + dt.timedelta(days=2),
            }
        if name == "clear_customs":
            return {"bill_of_entry_number": f"{7300000 + n}", "duty_exemption_claimed": True}
        if name == "confirm_delivery_and_schedule":
            return {
                "received_at": at[name] - dt.timedelta(hours=3),
                "received_by": "Hospital pharmacy",
                "temperature_ok": True,
                "infusion_scheduled_at": at[name] + dt.timedelta(days=5),
            }
        if name == "record_infusion":
            return {"infused_at": at[name], "kit_lot_numbers": f"AVX{n:03d}A, AVX{n:03d}B"}
        reason_field = {
            "record_rejection": "rejection_reason",
            "hold": "hold_reason",
            "cancel": "cancellation_reason",
        }.get(name)
        return {reason_field: spec.extra[reason_field]} if reason_field else {}

    def _backdate(self, case: Case, opened: dt.datetime, times: list[dt.datetime]) -> None:
        """Spread the history over the weeks it would have taken (demo data only)."""
        logs = StateLog.objects.for_(case).order_by("pk")
        for log, when in zip(logs, times, strict=True):
            StateLog.objects.filter(pk=log.pk).update(timestamp=when)
        Case.objects.filter(pk=case.pk).update(
            created_at=opened, state_changed_at=times[-1] if times else opened
        )
