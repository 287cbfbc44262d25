"""One scenario that makes a reminder of every kind, with fixed names and a fixed clock, so
what the emails and in-app reminders say can be compared with a stored copy.

``tests/cases/golden/reminders.json`` was written by this scenario with the reminder code as it
was before rendering moved to delivery time (each reminder rendered by the sweep, commit
450c3ed); see ``test_reminder_texts.py``. The scenario only builds cases through the services,
sweeps and returns the rows the sweeps created, so it runs the same on either version.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from cases.models import Notification
from cases.reminders import reminders_sweep
from cases.services import case_apply, case_record_lab_result
from documents.models import ReviewStatus
from documents.services import document_review
from tests.factories import (
    CaseFactory,
    DoctorFactory,
    FacilitatorFactory,
    HospitalAdminFactory,
    HospitalFactory,
    PatientFactory,
    default_facts,
    give_documents,
    upload_document,
    walk_to,
)

IST = ZoneInfo("Asia/Kolkata")
START = dt.datetime(2026, 1, 5, 10, 0, tzinfo=IST)


def day(n: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return (START + dt.timedelta(days=n)).replace(hour=hour, minute=minute)


def _people():
    hospital = HospitalFactory(name="Kaveri Children's Hospital", city="Bengaluru")
    facilitator = FacilitatorFactory(username="facilitator", first_name="Farah", last_name="Khan")
    doctor = DoctorFactory(
        user__username="doctor1",
        user__first_name="Meera",
        user__last_name="Iyer",
        hospital=hospital,
    )
    HospitalAdminFactory(
        user__username="hospital1",
        user__first_name="Ravi",
        user__last_name="Menon",
        hospital=hospital,
    )
    return facilitator, doctor


def _case(n: int, facilitator, doctor):
    patient = PatientFactory(
        full_name=f"Child {n} Rao",
        guardian_name=f"Parent {n} Rao",
        guardian_email=f"guardian{n}@example.in",
    )
    return CaseFactory(patient=patient, doctor=doctor, facilitator=facilitator)


def run_scenario(after_sweep=None) -> list[Notification]:
    """Build the cases and sweep; returns every notification created, oldest first.
    ``after_sweep(rows)`` runs after each sweep, the clock still at its time (to deliver)."""
    with time_machine.travel(START, tick=False) as clock:
        facilitator, doctor = _people()
        cases = [_case(n, facilitator, doctor) for n in range(1, 8)]

        # 1: documents, one rejected with a note: documents_missing on day 3.
        documents = walk_to(cases[0], "documents", facilitator)
        upload_document(documents, "genetic_report", facilitator)
        rejected = upload_document(documents, "prescription", facilitator, accept=False)
        document_review(
            document=rejected,
            by=facilitator,
            status=ReviewStatus.REJECTED,
            note="The registration number is missing.",
        )

        # 2: approved with a permit valid 20 days: permit_expiring at once, stage overdue day 7.
        approved = walk_to(cases[1], "regulatory_review", facilitator)
        give_documents(approved, "approved", facilitator)
        case_apply(
            case=approved,
            transition="record_permit",
            by=facilitator,
            permit_number="12B/BLR/2026/0042",
            permit_issued_on=START.date(),
            permit_valid_until=START.date() + dt.timedelta(days=20),
        )

        # 3: in customs, ETA day 2: eta_passed (facilitator and hospital admin), overdue day 5.
        walk_to(cases[2], "customs", facilitator)

        # 4: delivered, infusion planned on day 13: prednisolone day 11, cold chain day 10,
        # then overdue in infusion_scheduled on day 14.
        delivered = walk_to(cases[3], "delivery", facilitator)
        give_documents(delivered, "infusion_scheduled", facilitator)
        case_apply(
            case=delivered,
            transition="confirm_delivery_and_schedule",
            by=facilitator,
            **{
                **default_facts("confirm_delivery_and_schedule"),
                "received_at": START,
                "infusion_scheduled_at": day(13),
            },
        )

        # 5: infused on day 0: lab tests, the day-30 review, overdue tests.
        infused = walk_to(cases[4], "monitoring", facilitator)

        # 6, 7: in application for more than 7 days: stage_overdue_application.

        created = []
        sweeps = [
            day(0, 10, 15),
            day(3),
            day(6, 9),
            day(7, 10, 30),
            day(9, 9),
            day(10),
            day(11, 9),
            day(14),
            day(27, 9),
            day(30, 9),
        ]
        for when in sweeps:
            if when == day(7, 10, 30):
                clock.move_to(day(7, 12))
                case_record_lab_result(
                    case=infused, by=doctor.user, test="liver", taken_on=day(7).date()
                )
            clock.move_to(when)
            mark = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            reminders_sweep(now=when, enqueue=False)
            rows = list(
                Notification.objects.filter(pk__gt=mark)
                .order_by("pk")
                .select_related("case", "recipient")
            )
            if after_sweep is not None:
                after_sweep(rows)
            created += rows
        return created
