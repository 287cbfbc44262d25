"""Reminder rules and the sweep, with a fake clock.

Each test freezes the clock at a known instant (``clock``), builds a case through the services,
moves the clock and runs ``reminders_sweep(now=...)`` there. ``sweep`` returns what that sweep
created as ``(kind, recipient)`` pairs: a username, or the guardian's email address. Every user
with an email gets an in-app and an email row; the pairs collapse the two channels.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Max

from cases.models import Channel, Notification
from cases.reminders import reminders_sweep
from cases.reminders.texts import with_texts
from cases.services import case_apply, case_record_lab_result
from documents.models import ReviewStatus
from documents.services import document_review
from tests.factories import (
    CaseFactory,
    PatientFactory,
    WeightMeasurementFactory,
    default_facts,
    give_documents,
    reweigh_on_infusion_day,
    upload_document,
    walk_to,
)

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Asia/Kolkata")
START = dt.datetime(2026, 1, 5, 10, 0, tzinfo=IST)  # a Monday, 10:00 in India
BASELINE_LABS = ("anti_aav9_titer", "liver_function", "cbc", "creatinine", "troponin")


def day(n: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """``n`` days after START at ``hour:minute`` India time."""
    return (START + dt.timedelta(days=n)).replace(hour=hour, minute=minute)


def who(notification: Notification) -> str:
    return (
        notification.recipient.username if notification.recipient else notification.recipient_email
    )


def sweep(clock, when: dt.datetime) -> set[tuple[str, str]]:
    """Move the clock to ``when``, sweep there, and return what this sweep created."""
    clock.move_to(when)
    last = Notification.objects.aggregate(last=Max("pk"))["last"] or 0
    created = reminders_sweep(now=when)
    rows = list(Notification.objects.filter(pk__gt=last).select_related("recipient"))
    assert created == len(rows)
    return {(row.kind, who(row)) for row in rows}


def new_rows(since: int) -> list[Notification]:
    """The rows created since ``since``, with their text as delivery renders it."""
    return with_texts(Notification.objects.filter(pk__gt=since).order_by("pk"))


def last_pk() -> int:
    return Notification.objects.aggregate(last=Max("pk"))["last"] or 0


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(facilitator, doctor1, hospital1, hospital2):
    """Everyone; hospital2 works at another hospital and must never hear about case A."""
    return facilitator, doctor1, hospital1, hospital2


@pytest.fixture
def new_case(clock, people):
    facilitator, doctor1, _, _ = people
    return CaseFactory(doctor=doctor1.doctor, facilitator=facilitator)


def apply(case, transition, by, **facts):
    return case_apply(case=case, transition=transition, by=by, **facts)


# --- Documents missing ------------------------------------------------------------------------


def test_documents_missing_reminds_the_doctor_every_three_days_while_in_documents(
    clock, new_case, facilitator
):
    walk_to(new_case, "documents", facilitator)

    assert sweep(clock, day(3, 9, 59)) == set()
    assert sweep(clock, day(3, 10, 0)) == {("documents_missing", "doctor1")}
    assert sweep(clock, day(5, 18)) == set()
    assert sweep(clock, day(6, 10)) == {("documents_missing", "doctor1")}


def test_documents_missing_lists_what_is_missing_or_rejected(clock, new_case, facilitator):
    case = walk_to(new_case, "documents", facilitator)
    give_documents(case, "regulatory_review", facilitator)
    rejected = upload_document(case, "prescription", facilitator, accept=False)
    document_review(
        document=rejected,
        by=facilitator,
        status=ReviewStatus.REJECTED,
        note="The registration number is missing.",
    )
    mark = last_pk()

    assert sweep(clock, day(3)) == {("documents_missing", "doctor1")}

    body = new_rows(mark)[0].body
    assert "The registration number is missing." in body
    assert "Clinical report" not in body  # accepted lines are not repeated


def test_no_documents_reminder_once_the_documents_are_complete(clock, new_case, facilitator):
    case = walk_to(new_case, "documents", facilitator)
    give_documents(case, "regulatory_review", facilitator)

    assert sweep(clock, day(3)) == set()


def test_no_documents_reminder_for_a_document_waiting_for_the_facilitators_review(
    clock, new_case, facilitator, doctor1
):
    case = walk_to(new_case, "documents", facilitator)
    give_documents(case, "regulatory_review", facilitator)
    upload_document(case, "prescription", doctor1, accept=False)  # v2, not reviewed yet

    assert sweep(clock, day(3)) == set()


# --- Stage overdue ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "limit"),
    [
        ("application", 7),
        ("documents", 14),
        ("regulatory_review", 10),
        ("approved", 7),
        ("customs", 5),
        ("delivery", 3),
    ],
)
def test_stage_overdue_reminds_the_facilitator_after_the_states_limit(
    clock, new_case, facilitator, state, limit
):
    case = walk_to(new_case, "approved" if state == "customs" else state, facilitator)
    if state == "documents":
        give_documents(case, "regulatory_review", facilitator)  # nothing for the doctor to do
    if state == "customs":  # an ETA after the limit, so only the stage is late
        give_documents(case, "customs", facilitator)
        apply(case, "dispatch", facilitator, **{**default_facts("dispatch"), "eta": day(limit + 2)})
    overdue_at = START + dt.timedelta(days=limit)

    assert sweep(clock, overdue_at - dt.timedelta(minutes=1)) == set()
    assert sweep(clock, overdue_at) == {(f"stage_overdue_{state}", "facilitator")}
    assert sweep(clock, overdue_at + dt.timedelta(days=1)) == set()


def test_stage_overdue_in_infusion_scheduled_is_the_day_after_the_planned_infusion(
    clock, new_case, facilitator
):
    case = walk_to(new_case, "infusion_scheduled", facilitator)
    assert case.infusion_scheduled_at == day(3)
    sweep(clock, day(1, 9))  # prednisolone starts tomorrow; covered below

    assert sweep(clock, day(4, 9, 59)) == set()
    assert sweep(clock, day(4)) == {("stage_overdue_infusion_scheduled", "facilitator")}


def test_no_stage_reminder_for_a_case_without_a_facilitator(clock, doctor1, facilitator):
    walk_to(CaseFactory(doctor=doctor1.doctor), "documents", facilitator)

    assert ("stage_overdue_documents", "facilitator") not in sweep(clock, day(15))


# --- Permit expiring --------------------------------------------------------------------------


def approve(case, facilitator, valid_days: int):
    case = walk_to(case, "regulatory_review", facilitator)
    give_documents(case, "approved", facilitator)
    today = START.date()
    return apply(
        case,
        "record_permit",
        facilitator,
        permit_number="12B/BLR/2026/0042",
        permit_issued_on=today,
        permit_valid_until=today + dt.timedelta(days=valid_days),
    )


def test_permit_expiring_reminds_the_facilitator_30_days_before_expiry(
    clock, new_case, facilitator
):
    approve(new_case, facilitator, valid_days=35)  # expires day 35: reminder on day 5

    assert sweep(clock, day(4, 23, 59)) == set()
    assert sweep(clock, day(5, 9)) == {("permit_expiring", "facilitator")}
    assert sweep(clock, day(6, 9)) == set()


def test_permit_expiring_reminds_at_once_when_the_permit_is_already_short(
    clock, new_case, facilitator
):
    approve(new_case, facilitator, valid_days=20)

    assert sweep(clock, day(0, 10, 15)) == {("permit_expiring", "facilitator")}


def test_no_permit_reminder_once_the_kit_has_left(clock, new_case, facilitator):
    case = approve(new_case, facilitator, valid_days=35)
    clock.move_to(day(4))
    give_documents(case, "customs", facilitator)
    apply(case, "dispatch", facilitator, **{**default_facts("dispatch"), "eta": day(8)})

    assert sweep(clock, day(5, 9)) == set()


# --- ETA passed -------------------------------------------------------------------------------


def test_eta_passed_reminds_the_facilitator_and_the_hospitals_admins(clock, new_case, facilitator):
    case = walk_to(new_case, "customs", facilitator)
    assert case.eta == day(2)

    assert sweep(clock, day(2, 9, 59)) == set()
    assert sweep(clock, day(2)) == {("eta_passed", "facilitator"), ("eta_passed", "hospital1")}
    assert sweep(clock, day(3)) == set()


def test_no_eta_reminder_once_customs_cleared(clock, new_case, facilitator):
    case = walk_to(new_case, "customs", facilitator)
    give_documents(case, "delivery", facilitator)
    apply(case, "clear_customs", facilitator, **default_facts("clear_customs"))

    assert sweep(clock, day(2, 12)) == set()


# --- Cold chain -------------------------------------------------------------------------------


def deliver(case, facilitator, *, infusion_at: dt.datetime):
    case = walk_to(case, "delivery", facilitator)
    give_documents(case, "infusion_scheduled", facilitator)
    return apply(
        case,
        "confirm_delivery_and_schedule",
        facilitator,
        **{
            **default_facts("confirm_delivery_and_schedule"),
            "received_at": START,
            "infusion_scheduled_at": infusion_at,
        },
    )


def test_cold_chain_reminds_on_day_10_after_receipt_without_an_infusion(
    clock, new_case, facilitator
):
    deliver(new_case, facilitator, infusion_at=day(13))  # day 14 is the last allowed

    assert sweep(clock, day(9, 23, 59)) == set()
    assert sweep(clock, day(10)) == {
        ("cold_chain", "facilitator"),
        ("cold_chain", "doctor1"),
        ("cold_chain", "hospital1"),
    }


def test_no_cold_chain_reminder_once_the_infusion_is_recorded(clock, new_case, facilitator):
    case = deliver(new_case, facilitator, infusion_at=day(3))
    clock.move_to(day(3, 12))
    reweigh_on_infusion_day(case, day(3))
    apply(case, "record_infusion", facilitator, infused_at=day(3), kit_lot_numbers="AVX001A")

    assert sweep(clock, day(10)) == set()


# --- Prednisolone -----------------------------------------------------------------------------


def test_prednisolone_starts_tomorrow_reminds_the_doctor_and_the_guardian(
    clock, new_case, facilitator
):
    case = walk_to(new_case, "infusion_scheduled", facilitator)  # infusion on day 3
    mark = last_pk()

    assert sweep(clock, day(0, 23, 59)) == set()
    assert sweep(clock, day(1, 8)) == {
        ("prednisolone_tomorrow", "doctor1"),
        ("prednisolone_tomorrow", case.patient.guardian_email),
    }
    assert sweep(clock, day(2, 8)) == set()

    guardian = [row for row in new_rows(mark) if not row.recipient_id]
    assert [(row.channel, row.due_at) for row in guardian] == [(Channel.EMAIL, day(1, 9))]
    assert "/portal/" not in guardian[0].body  # the guardian has no portal account


def test_prednisolone_reminder_without_a_guardian_email_goes_to_the_doctor_only(
    clock, doctor1, facilitator
):
    case = CaseFactory(
        patient=PatientFactory(guardian_email=""), doctor=doctor1.doctor, facilitator=facilitator
    )
    walk_to(case, "infusion_scheduled", facilitator)

    assert sweep(clock, day(1, 9)) == {("prednisolone_tomorrow", "doctor1")}


# --- Monitoring: lab tests and the day-30 review ----------------------------------------------


@pytest.fixture
def infused(clock, new_case, facilitator):
    """Infused on day 0 (09:00, by walk_to's default an hour before now)."""
    return walk_to(new_case, "monitoring", facilitator)


def record(clock, case, by, on_day: int, *tests: str):
    """``by`` records results of ``tests`` taken on ``on_day``, at noon that day."""
    clock.move_to(day(on_day, 12))
    for test in tests:
        case_record_lab_result(case=case, by=by, test=test, taken_on=day(on_day).date())


def subjects(since: int, kind: str) -> list[str]:
    return sorted(
        row.subject for row in new_rows(since) if row.kind == kind and row.channel == Channel.IN_APP
    )


def test_lab_due_tomorrow_reminds_the_doctor_of_each_test(clock, infused):
    mark = last_pk()

    assert sweep(clock, day(6, 9)) == {("lab_due_tomorrow", "doctor1")}

    ref = infused.reference
    assert subjects(mark, "lab_due_tomorrow") == [
        f"{ref}: Liver function tests (exam, ALT, AST, bilirubin, PT/INR), week 1 due tomorrow",
        f"{ref}: Platelet count, week 1 due tomorrow",
        f"{ref}: Troponin-I, week 1 due tomorrow",
    ]


def test_lab_overdue_by_two_days_reminds_the_doctor_of_the_missing_test_only(
    clock, infused, doctor1
):
    record(clock, infused, doctor1, 7, "liver", "platelets")
    mark = last_pk()

    assert sweep(clock, day(8, 9)) == set()
    assert sweep(clock, day(9, 9)) == {("lab_overdue", "doctor1")}
    assert subjects(mark, "lab_overdue") == [f"{infused.reference}: Troponin-I, week 1 overdue"]
    assert sweep(clock, day(10, 9)) == set()


def test_a_result_taken_within_three_days_counts_for_the_planned_test(clock, infused, doctor1):
    record(clock, infused, doctor1, 4, "liver", "platelets", "troponin")  # planned for day 7

    assert sweep(clock, day(6, 9)) == set()
    assert sweep(clock, day(9, 9)) == set()


def test_day_30_liver_review_reminds_the_doctor_the_day_before(clock, infused):
    mark = last_pk()

    assert sweep(clock, day(27, 9)) == {
        ("liver_review_due", "doctor1"),
        ("lab_due_tomorrow", "doctor1"),
    }
    assert subjects(mark, "liver_review_due") == [
        f"{infused.reference}: day-30 liver review and taper decision due tomorrow"
    ]


def test_a_missing_day_28_liver_panel_is_reported_overdue_once(clock, infused):
    mark = last_pk()

    assert sweep(clock, day(30, 9)) == {("lab_overdue", "doctor1")}

    ref = infused.reference
    assert subjects(mark, "lab_overdue") == [
        f"{ref}: Liver function tests (exam, ALT, AST, bilirubin, PT/INR), week 4 overdue",
        f"{ref}: Platelet count, week 4 overdue",
        f"{ref}: Troponin-I, week 4 overdue",
    ]


def test_no_monitoring_reminders_after_the_case_is_closed(clock, infused, facilitator):
    apply(infused, "close", facilitator, close_override_reason="Family moved abroad.")

    assert sweep(clock, day(6, 9)) == set()


# --- Duplicates and in-app rows ---------------------------------------------------------------


def test_a_second_sweep_at_the_same_instant_creates_nothing(clock, new_case, facilitator):
    walk_to(new_case, "customs", facilitator)
    clock.move_to(day(2, 12))

    first = reminders_sweep(now=day(2, 12))
    second = reminders_sweep(now=day(2, 12))

    assert (first, second) == (4, 0)  # facilitator and hospital1, in-app and email each
    assert Notification.objects.count() == 4


def test_two_sweeps_on_the_same_due_date_create_no_duplicate(clock, new_case, facilitator):
    walk_to(new_case, "infusion_scheduled", facilitator)

    assert sweep(clock, day(1, 0, 5)) != set()
    assert sweep(clock, day(1, 9, 30)) == set()
    assert sweep(clock, day(1, 23, 55)) == set()
    assert Notification.objects.filter(kind="prednisolone_tomorrow").count() == 3


def test_in_app_reminders_are_delivered_by_being_listed_for_their_recipient(
    clock, new_case, facilitator, hospital1, hospital2
):
    walk_to(new_case, "customs", facilitator)
    sweep(clock, day(2, 12))

    inbox = Notification.objects.filter(recipient=hospital1, channel=Channel.IN_APP)
    assert [(n.kind, n.case_id, n.sent_at) for n in inbox] == [
        ("eta_passed", new_case.pk, day(2, 12))
    ]
    assert not Notification.objects.filter(recipient=hospital2).exists()
    emails = Notification.objects.filter(channel=Channel.EMAIL)
    assert sorted(n.recipient.email for n in emails) == [
        "facilitator@example.in",
        "hospital1@example.in",
    ]
    assert all(n.sent_at is None for n in emails)  # sent by the delivery task


def test_a_user_without_an_email_gets_the_in_app_reminder_only(
    clock, new_case, facilitator, doctor1
):
    doctor1.email = ""
    doctor1.save()
    walk_to(new_case, "documents", facilitator)
    sweep(clock, day(3))

    assert list(Notification.objects.values_list("channel", flat=True)) == [Channel.IN_APP]


# --- The whole life of one case ---------------------------------------------------------------


def test_the_whole_life_of_a_case_sends_exactly_these_reminders(clock, people):
    facilitator, doctor1, hospital1, _ = people
    guardian = "guardian@example.in"
    case = CaseFactory(doctor=doctor1.doctor, facilitator=facilitator)
    case = apply(case, "start_document_collection", facilitator)

    # Documents: the doctor is reminded every 3 days until the documents are in.
    assert sweep(clock, day(2, 18)) == set()
    assert sweep(clock, day(3)) == {("documents_missing", "doctor1")}
    assert sweep(clock, day(3, 18)) == set()
    clock.move_to(day(4, 11))
    give_documents(case, "regulatory_review", doctor1)  # lab samples dated day 2
    assert sweep(clock, day(6)) == set()

    # Regulatory review: the regulator is slow; the facilitator hears after 10 days.
    clock.move_to(day(6, 11))
    case = apply(case, "submit_to_regulator", facilitator)
    assert sweep(clock, day(16, 10, 59)) == set()
    assert sweep(clock, day(16, 11)) == {("stage_overdue_regulatory_review", "facilitator")}

    # Approved, with a permit valid to day 52: the facilitator hears 30 days before.
    clock.move_to(day(17))
    give_documents(case, "approved", facilitator)
    case = apply(
        case,
        "record_permit",
        facilitator,
        permit_number="12B/BLR/2026/0042",
        permit_issued_on=day(16).date(),
        permit_valid_until=day(52).date(),
    )
    assert sweep(clock, day(21, 18)) == set()
    assert sweep(clock, day(22, 9)) == {("permit_expiring", "facilitator")}

    # Dispatched on day 23, due day 25 14:00, stuck in customs.
    clock.move_to(day(23))
    give_documents(case, "customs", facilitator)
    WeightMeasurementFactory(
        patient=case.patient, measured_on=day(23).date(), weight_kg=Decimal("8.6")
    )
    case = apply(case, "dispatch", facilitator, **{**default_facts("dispatch"), "eta": day(25, 14)})
    assert sweep(clock, day(25, 13, 59)) == set()
    assert sweep(clock, day(25, 14)) == {("eta_passed", "facilitator"), ("eta_passed", "hospital1")}

    # Cleared on day 26, received at 14:00, infusion planned 11 days later on day 37.
    clock.move_to(day(26))
    give_documents(case, "delivery", facilitator)
    case = apply(case, "clear_customs", facilitator, **default_facts("clear_customs"))
    clock.move_to(day(26, 15))
    for code in BASELINE_LABS:  # repeated: the day-2 samples are too old for day 37
        upload_document(case, code, doctor1)
    give_documents(case, "infusion_scheduled", hospital1)
    case = apply(
        case,
        "confirm_delivery_and_schedule",
        facilitator,
        received_at=day(26, 14),
        received_by="Hospital pharmacy",
        temperature_ok=True,
        infusion_scheduled_at=day(37),
    )
    assert sweep(clock, day(34, 23)) == set()
    assert sweep(clock, day(35, 9)) == {
        ("prednisolone_tomorrow", "doctor1"),
        ("prednisolone_tomorrow", guardian),
    }
    assert sweep(clock, day(36, 13, 59)) == set()
    assert sweep(clock, day(36, 14)) == {
        ("cold_chain", "facilitator"),
        ("cold_chain", "doctor1"),
        ("cold_chain", "hospital1"),
    }

    # Infused on day 37 (I); monitoring for three months.
    clock.move_to(day(37, 10, 30))
    reweigh_on_infusion_day(case, day(37))
    case = apply(case, "record_infusion", doctor1, infused_at=day(37), kit_lot_numbers="AVX001A")
    infusion = 37
    assert sweep(clock, day(infusion + 6, 9)) == {("lab_due_tomorrow", "doctor1")}
    record(clock, case, doctor1, infusion + 7, "liver", "platelets")  # troponin forgotten
    assert sweep(clock, day(infusion + 8, 9)) == set()
    assert sweep(clock, day(infusion + 9, 9)) == {("lab_overdue", "doctor1")}
    assert sweep(clock, day(infusion + 27, 9)) == {
        ("liver_review_due", "doctor1"),
        ("lab_due_tomorrow", "doctor1"),
    }
    record(clock, case, doctor1, infusion + 28, "liver", "platelets", "troponin")
    assert sweep(clock, day(infusion + 30, 9)) == set()
    assert sweep(clock, day(infusion + 83, 9)) == {("lab_due_tomorrow", "doctor1")}
    record(clock, case, doctor1, infusion + 84, "liver", "platelets", "troponin")
    assert sweep(clock, day(infusion + 86, 9)) == set()

    # Closed after 90 days (with slots left unrecorded, so with a documented reason): nothing more.
    clock.move_to(day(infusion + 90))
    case = apply(case, "close", facilitator, close_reason="lost_to_follow_up")
    assert sweep(clock, day(infusion + 91, 9)) == set()

    assert not Notification.objects.filter(recipient__username="hospital2").exists()
    emails = Notification.objects.filter(channel=Channel.EMAIL)
    in_app = Notification.objects.filter(channel=Channel.IN_APP)
    assert emails.count() == in_app.count() + 1  # + the guardian's, who has no portal


# --- A hold pauses the stage's clock ------------------------------------------------------------


def test_time_on_hold_does_not_count_toward_the_stage_overdue_reminder(
    clock, new_case, facilitator
):
    case = walk_to(new_case, "regulatory_review", facilitator)  # 10 days expected
    clock.move_to(day(4))
    case = apply(case, "hold", facilitator, hold_reason="CDSCO asked for the genetic report.")

    assert sweep(clock, day(12)) == set()  # on hold: no stage reminder at all
    apply(case, "resume", facilitator)  # 8 days on hold: overdue on day 18, not day 10

    assert sweep(clock, day(17, 23)) == set()
    assert sweep(clock, day(18)) == {("stage_overdue_regulatory_review", "facilitator")}
