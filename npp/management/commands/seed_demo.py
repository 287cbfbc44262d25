"""Create demo data: two hospitals, five users and at least one case in every state.

Each case's history is replayed through ``case_apply`` at the times it would have happened
(time-machine moves the clock), so every demo case met its guards, documents and eligibility
when it moved. Running the command again creates nothing new (users, hospitals and patients
are looked up by name).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases import access
from cases.models import (
    Case,
    Consent,
    ConsentMethod,
    Doctor,
    Hospital,
    HospitalAdmin,
    Patient,
    Product,
    WeightMeasurement,
)
from cases.services import case_apply, case_create
from cases.states import CaseState
from coldchain import demo as coldchain_demo
from documents.demo import simple_pdf, simple_png
from documents.models import Document, DocumentType, ReviewStatus
from documents.services import document_review, document_upload
from family.demo import seed_guardian_links
from funding import demo as funding_demo
from npp.management import demo_clinical
from npp.management.demo_data import (
    DEMO_CASES,
    DEMO_LAB_VALUES,
    DEMO_PASSWORD,
    DEMO_TOTP_KEY,
    DOCUMENTS_IN_PROGRESS,
    HOSPITALS,
    IMAGE_TYPES,
    TRANSITION_TARGETS,
    USERS,
    DemoCase,
    _digits,
)
from regulatory.demo import (
    ANSWER_TEXT,
    QUERIES,
    QUERY_TEXT,
    file_values_before,
    file_values_now,
)
from regulatory.services import cdsco_query_record, regulatory_file_update


class Command(BaseCommand):
    help = "Create demo users, hospitals and a case in every state (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="Run even though DEBUG is off.")

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
        for case, url in seed_guardian_links(by=users["facilitator"]):
            self.stdout.write(f"Guardian status link for {case.reference}: {url}")
        # Funding (a funded case, one ordered, one short) and a logger file with an excursion.
        funding_demo.seed(users["facilitator"])
        coldchain_demo.seed(users["hospital2"])
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
            user.groups.add(access.facilitators_group())
            # A known authenticator key, for the demo only: `manage.py demo_totp` shows the
            # current code. Real facilitators set theirs up at /accounts/2fa/.
            TOTPDevice.objects.get_or_create(
                user=user,
                name="Demo authenticator",
                defaults={"key": DEMO_TOTP_KEY, "confirmed": True},
            )
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
        """Replay the case's history at the times it would have happened (time-machine), so
        every guard, upload date, sample date and log entry is as real use would leave it."""
        now = timezone.now()
        opened = now - dt.timedelta(
            days=(spec.path[-1][1] if spec.path else 0) + spec.days_in_state
        )
        at = {name: opened + dt.timedelta(days=day) for name, day in spec.path}
        doctor = doctors[spec.doctor]
        with time_machine.travel(opened, tick=False):
            patient = self._patient(
                spec,
                born=timezone.localdate(now) - dt.timedelta(days=round(spec.dob_months * 30.4)),
            )
            case = case_create(
                by=users["facilitator"],
                patient=patient,
                product=Product.objects.get(name="Zolgensma"),
                doctor=doctor,
                hospital=doctor.hospital,
                facilitator=users["facilitator"],
            )
        for name, _ in spec.path:
            with time_machine.travel(at[name], tick=False):
                case = self._step(case, name, at, spec, users)
        # Today's state of affairs: a recent weight (in the kit's band once a kit is ordered,
        # so the demo advances without a band change), and work in progress on open cases.
        if case.kit_band_high_kg is None:
            self._weight(patient, timezone.localdate() - dt.timedelta(days=3), Decimal("0.3"))
        else:
            self._reweigh(patient, timezone.localdate() - dt.timedelta(days=3))
        if case.state == CaseState.DOCUMENTS:
            self._documents_in_progress(case, spec, users)
        values = file_values_now(case, timezone.now())
        if values:
            regulatory_file_update(case=case, by=users["facilitator"], **values)
        if case.state == CaseState.DELIVERY:
            self._repeat_labs(case, users, sample_days_ago=1)  # the kit is about to arrive
        if case.state == CaseState.MONITORING:
            self._follow_up_results(case)
        return case

    def _follow_up_results(self, case: Case) -> None:
        """Values for the monitoring slots more than a week old; newer
        ones are still due (or overdue), so the slots show every status. The case in
        monitoring also has an open safety signal and an adverse event (issue 15)."""
        demo_clinical.slot_values(case, timezone.localdate() - dt.timedelta(days=7), signal=True)
        demo_clinical.adverse_event(case)

    def _step(self, case: Case, name: str, at: dict, spec: DemoCase, users: dict) -> Case:
        # The regulatory file as the facilitator has it by now (Form 12A, SUGAM, the shipment,
        # the Bill of Entry: regulatory.demo), before the packet that prints it.
        values = file_values_before(case, name, timezone.now())
        if values:
            regulatory_file_update(case=case, by=users["facilitator"], **values)
        self._documents_for_gate(case, TRANSITION_TARGETS.get(name), users)
        if name == "submit_to_regulator":
            self._filed_packet(case, users)
        if name == "dispatch":
            # DOMAIN.md §1.3: a weight within 14 days before the kit order.
            self._weight(case.patient, timezone.localdate() - dt.timedelta(days=2), Decimal("0.1"))
        if name == "confirm_delivery_and_schedule":
            # DOMAIN.md §4 item 7: baseline labs are repeated shortly before infusion.
            self._repeat_labs(case, users)
        if name == "record_infusion":
            # DOMAIN.md §1.3: the weight is re-checked on the infusion day (same band here).
            self._reweigh(case.patient, timezone.localdate())
        if name == "close":
            # DOMAIN.md §1.10: every slot of the first 3 months has its result before closing,
            # and the day-30 decision and the taper are recorded (§1.7).
            demo_clinical.slot_values(case, timezone.localdate())
            demo_clinical.taper_finished(case)
        by = users["facilitator"]
        if name == "confirm_delivery_and_schedule":
            by = users[f"hospital{spec.doctor + 1}"]
        elif name in ("start_document_collection", "record_infusion"):
            by = case.doctor.user
        case = case_apply(case=case, transition=name, by=by, **self._facts(name, at, spec, case))
        if name == "record_infusion":
            demo_clinical.course_started(case)
        self._cdsco_query(case, name, spec, users)
        return case

    def _cdsco_query(self, case: Case, name: str, spec: DemoCase, users: dict) -> None:
        """CDSCO's query on the SUGAM application, where the demo has one (regulatory.demo)."""
        after, days, answered = QUERIES.get(spec.patient, ("", 0, False))
        if name != after:
            return
        raised = timezone.now() + dt.timedelta(days=days)
        cdsco_query_record(
            case=case,
            by=users["facilitator"],
            raised_at=raised,
            text=QUERY_TEXT,
            due_by=timezone.localdate(raised) + dt.timedelta(days=5),
            answered_at=raised + dt.timedelta(days=1) if answered else None,
            answer=ANSWER_TEXT if answered else "",
        )

    def _patient(self, spec: DemoCase, born: dt.date) -> Patient:
        today = timezone.localdate()
        patient = Patient.objects.create(
            full_name=spec.patient,
            date_of_birth=born,
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
            genetic_test_date=today - dt.timedelta(days=20),
            gestational_age_weeks=34 if spec.dob_months < 7 else 38,
        )
        self._weight(patient, today, Decimal("0"))
        Consent.objects.create(
            patient=patient,
            given_by=spec.guardian,
            relationship=spec.relationship,
            verified_how=ConsentMethod.IN_PERSON,
            notice_version=settings.NPP_PRIVACY_NOTICE_VERSION,
        )
        return patient

    def _reweigh(self, patient: Patient, day: dt.date) -> None:
        latest = patient.latest_weight()
        assert latest is not None  # every demo patient is weighed when created
        WeightMeasurement.objects.get_or_create(
            patient=patient,
            measured_on=day,
            defaults={"weight_kg": latest.weight_kg, "measured_by": "Ward nurse"},
        )

    def _weight(self, patient: Patient, day: dt.date, gain: Decimal) -> None:
        months = patient.age_in_months(day)
        WeightMeasurement.objects.get_or_create(
            patient=patient,
            measured_on=day,
            defaults={
                "weight_kg": Decimal("5.0") + Decimal(max(months, 0)) * Decimal("0.35") + gain,
                "measured_by": "Clinic nurse",
            },
        )

    # --- Documents ----------------------------------------------------------------------------

    def _documents_for_gate(self, case: Case, target: str | None, users: dict) -> list[Document]:
        """Accepted versions of every document the case needs to enter ``target``."""
        if target is None:
            return []
        return [
            self._upload(case, doc_type, users, accept=True)
            for doc_type in DocumentType.objects.filter(required_before=target)
            if not case.documents.filter(document_type=doc_type).exists()
        ]

    def _filed_packet(self, case: Case, users: dict) -> Document:
        """A one-page stand-in for the packet as filed (rendering 11 real packets would make
        seeding slow); the case page's "Build application packet" makes the real one."""
        lines = [
            f"Case {case.reference}: the application packet as filed with the "
            f"{case.hospital.get_port_office_display()}.",
            "Demo data: build the application packet from the case page to see the "
            "generated packet with every enclosure.",
        ]
        return document_upload(
            case=case,
            document_type=DocumentType.objects.get(code="application_packet"),
            data=simple_pdf("Application packet (demo stand-in)", lines),
            filename="application-packet.pdf",
            by=users["facilitator"],
            review_status=ReviewStatus.ACCEPTED,
        )

    def _repeat_labs(self, case: Case, users: dict, sample_days_ago: int = 2) -> list[Document]:
        return [
            self._upload(case, doc_type, users, accept=True, sample_days_ago=sample_days_ago)
            for doc_type in DocumentType.objects.filter(is_lab=True)
        ]

    def _documents_in_progress(self, case: Case, spec: DemoCase, users: dict) -> None:
        """Cases still collecting documents show every kind of checklist line."""
        types = {
            t.code: t for t in DocumentType.objects.filter(required_before="regulatory_review")
        }
        plan = DOCUMENTS_IN_PROGRESS[spec.patient]
        for code in plan.get("accepted", []):
            self._upload(case, types[code], users, accept=True)
        for code in plan.get("pending", []):
            self._upload(case, types[code], users)
        for code, note in plan.get("rejected", {}).items():
            doc = self._upload(case, types[code], users)
            document_review(
                document=doc, by=users["facilitator"], status=ReviewStatus.REJECTED, note=note
            )
        for code, days_ago in plan.get("expired", {}).items():
            self._upload(case, types[code], users, accept=True, sample_days_ago=days_ago)

    def _upload(
        self,
        case: Case,
        doc_type: DocumentType,
        users: dict,
        *,
        accept: bool = False,
        sample_days_ago: int = 5,
    ) -> Document:
        doctor_user = case.doctor.user
        if doc_type.uploadable_by_doctor:
            by = doctor_user
        elif doc_type.uploadable_by_hospital:
            by = users[f"hospital{1 if case.hospital.name == HOSPITALS[0]['name'] else 2}"]
        else:
            by = users["facilitator"]
        today = timezone.localdate()
        lines = [
            f"Case {case.reference}",
            f"Patient: {case.patient.full_name}, born {case.patient.date_of_birth:%d %b %Y}",
            f"Hospital: {case.hospital.name}, {case.hospital.city}",
            f"Treating doctor: {case.doctor} ({case.doctor.registration_number})",
        ]
        lab_values: dict[str, Any] = {}
        if doc_type.is_lab:
            lab_values = {
                "sample_taken_on": today - dt.timedelta(days=sample_days_ago),
                **DEMO_LAB_VALUES[doc_type.code],
            }
            lines.append(f"Sample taken: {lab_values['sample_taken_on']:%d %b %Y}")
            lines += [
                f"{key.replace('_', ' ')}: {value}"
                for key, value in DEMO_LAB_VALUES[doc_type.code].items()
            ]
        if doc_type.code in IMAGE_TYPES:
            data, filename = simple_png(doc_type.name + "\n" + "\n".join(lines)), "photo.png"
        else:
            data, filename = simple_pdf(doc_type.name, lines), f"{doc_type.code}.pdf"
        document = document_upload(
            case=case, document_type=doc_type, data=data, filename=filename, by=by, **lab_values
        )
        if accept:
            document_review(
                document=document, by=users["facilitator"], status=ReviewStatus.ACCEPTED
            )
        return document

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
        if name == "close":
            # DOMAIN.md §1.7: a 30-day course from day -1, then a 28-day taper.
            infused = timezone.localdate(case.infused_at)
            return {"steroid_taper_ended_on": infused + dt.timedelta(days=56)}
        reason_field = {
            "record_rejection": "rejection_reason",
            "hold": "hold_reason",
            "cancel": "cancellation_reason",
        }.get(name)
        return {reason_field: spec.extra[reason_field]} if reason_field else {}
