"""Every deadline gives the same clocks for one case (Python) as for many (SQL).

Cases in every state, some held (before, during and after a stage's limit), with documents,
weights and lab results, are looked at on several days; ``deadlines.rows`` over all of them
must list exactly the clocks ``deadlines.clocks`` gives case by case (met ones aside).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from cases import deadlines
from cases.models import Case
from cases.services import case_apply, case_record_lab_result
from tests.factories import (
    CaseFactory,
    PatientFactory,
    bring_to,
    default_facts,
    reweigh_on_infusion_day,
    upload_document,
    walk_to,
)

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Asia/Kolkata")
START = dt.datetime(2026, 1, 5, 10, 0, tzinfo=IST)
STATES = [
    "application",
    "documents",
    "regulatory_review",
    "approved",
    "customs",
    "delivery",
    "infusion_scheduled",
    "monitoring",
    "closed",
    "rejected",
    "cancelled",
]


def one_form(at: dt.datetime) -> set[tuple]:
    found = set()
    for case in Case.objects.select_related("patient", "product"):
        for c in deadlines.clocks(case, at=at):
            if not c.met:
                found.add((case.pk, c.code, c.key, c.due_on, c.due_at, c.paused))
    return found


def many_form(at: dt.datetime) -> set[tuple]:
    return set(deadlines.rows(Case.objects.all(), at=at))


@pytest.fixture
def cases(facilitator, doctor1):
    with time_machine.travel(START, tick=False) as clock:
        for n, state in enumerate(STATES):
            patient = PatientFactory(
                date_of_birth=dt.date(2024, 2, 29)
                if n == 0
                else dt.date(2024, 6, 1) + dt.timedelta(days=17 * n)
            )
            bring_to(
                CaseFactory(patient=patient, doctor=doctor1.doctor, facilitator=facilitator),
                state,
                facilitator,
            )
        # An open CDSCO query (regulatory.deadlines): a clock while the permit is awaited,
        # none once the case was rejected.
        from regulatory.services import cdsco_query_record

        for state in ("regulatory_review", "rejected"):
            cdsco_query_record(
                case=Case.objects.get(state=state),
                by=facilitator,
                raised_at=timezone.now(),
                text="Submit the prescription with the dose in vg.",
                due_by=START.date() + dt.timedelta(days=3),
            )
        documents = walk_to(
            CaseFactory(doctor=doctor1.doctor, facilitator=facilitator), "documents", facilitator
        )
        upload_document(documents, "liver_function", facilitator, sample_days_ago=20)
        upload_document(documents, "cbc", facilitator, accept=False)
        monitoring = Case.objects.get(state="monitoring")
        clock.move_to(START + dt.timedelta(days=9))
        case_record_lab_result(
            case=monitoring,
            by=facilitator,
            test="liver",
            taken_on=(START + dt.timedelta(days=8)).date(),
        )
        for state, held_after in (("approved", 2), ("documents", 20), ("infusion_scheduled", 1)):
            case = walk_to(
                CaseFactory(doctor=doctor1.doctor, facilitator=facilitator), state, facilitator
            )
            clock.move_to(timezone.now() + dt.timedelta(days=held_after))
            case_apply(case=case, transition="hold", by=facilitator, **default_facts("hold"))
        late = walk_to(
            CaseFactory(doctor=doctor1.doctor, facilitator=facilitator),
            "infusion_scheduled",
            facilitator,
        )
        reweigh_on_infusion_day(late, timezone.now())
        case_apply(
            case=late,
            transition="record_infusion",
            by=facilitator,
            syringe_drawn_at=timezone.now() - dt.timedelta(hours=9),
            infused_at=timezone.now(),
            kit_lot_numbers="AVX001A",
            infusion_deviation_note="Pump failure; restarted after 9 hours.",
        )
        # An adverse event on the monitoring case: the clinical app's ae_forward clock.
        from clinical.services import adverse_event_report

        adverse_event_report(
            case=monitoring, by=facilitator, onset_on=timezone.localdate(), description="Fever"
        )
        resumed = Case.objects.filter(state="on_hold").first()
        clock.move_to(timezone.now() + dt.timedelta(days=3))
        case_apply(case=resumed, transition="resume", by=facilitator)
    return Case.objects.count()


def test_one_case_at_a_time_and_all_at_once_agree(cases, subtests):
    codes = set()
    for days_later in (0, 4, 13, 29, 70):
        at = START + dt.timedelta(days=days_later, hours=3)
        with subtests.test(days_later=days_later):
            one, many = one_form(at), many_form(at)
            assert one == many
            codes |= {code for _, code, *_ in many}
            by = at.date() + dt.timedelta(days=10)  # the hint reads fewer cases, finds the same
            assert set(deadlines.rows(Case.objects.all(), at=at, due_by=by)) == {
                row for row in one if row[3] <= by
            }

    assert codes == {d.code for d in deadlines.registry()}  # every deadline was compared
