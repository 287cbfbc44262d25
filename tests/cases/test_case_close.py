"""Closing a case: only once monitoring is complete (DOMAIN.md §1.8, §1.10), or with a
documented reason that stays in the history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.clinical import MONITORING_WEEKS
from cases.models import LabResult
from cases.services import TransitionRefused, case_apply
from tests.factories import reweigh_on_infusion_day, state_logs, walk_to

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Asia/Kolkata")
INFUSED_AT = dt.datetime(2026, 3, 2, 11, 0, tzinfo=IST)
INFUSION_DAY = INFUSED_AT.date()


@pytest.fixture(autouse=True)
def _set_up_just_after_the_infusion():
    # Autouse fixtures run first, so the whole case is built at this moment; the kit was
    # received an hour before the infusion (walk_to records receipt 2 hours before "now").
    with time_machine.travel(INFUSED_AT + dt.timedelta(hours=1)):
        yield


@pytest.fixture
def monitoring(case_a, facilitator):
    case = walk_to(case_a, "infusion_scheduled", facilitator)
    reweigh_on_infusion_day(case, INFUSED_AT)
    return case_apply(
        case=case,
        transition="record_infusion",
        by=facilitator,
        infused_at=INFUSED_AT,
        kit_lot_numbers="AVX001A",
    )


def record_every_slot(case, by, *, last_alt=Decimal("30")):
    """A result for every slot of the first 3 months, on the slot's own day."""
    for test, weeks in MONITORING_WEEKS.items():
        for week in weeks:
            values = {}
            if test == "liver":
                values = {
                    "alt": last_alt if week == 12 else Decimal("30"),
                    "ast": Decimal("30"),
                    "total_bilirubin": Decimal("0.5"),
                }
            LabResult.objects.create(
                case=case,
                test=test,
                recorded_by=by,
                taken_on=INFUSION_DAY + dt.timedelta(days=7 * week),
                **values,
            )


def test_close_refused_while_monitoring_is_incomplete_and_says_what_is_missing(
    monitoring, facilitator
):
    with (
        time_machine.travel(INFUSED_AT + dt.timedelta(days=95)),
        pytest.raises(TransitionRefused) as refused,
    ):
        case_apply(case=monitoring, transition="close", by=facilitator)

    text = " ".join(refused.value.messages)
    assert "No result for Liver function tests, week 1" in text
    assert "Troponin-I, week 12" in text
    assert "prednisolone taper" in text
    monitoring.refresh_from_db()
    assert monitoring.state == "monitoring"
    assert len(state_logs(monitoring)) == 7


def decide_and_taper(case, by):
    """The steroid course (clinical app): started on day -1, the day-30 review's decision to
    taper, the taper from day 29; closing reads it (``monitoring_incomplete``)."""
    from clinical.services import steroid_course_start, steroid_review_decide, steroid_taper_start

    course = steroid_course_start(case=case, by=by)
    course = steroid_review_decide(course=course, by=by, decision="taper")
    return steroid_taper_start(course=course, by=by, on=INFUSION_DAY + dt.timedelta(days=29))


def test_close_allowed_once_every_slot_has_a_result_and_the_taper_ended(monitoring, facilitator):
    record_every_slot(monitoring, facilitator)
    with time_machine.travel(INFUSED_AT + dt.timedelta(days=90)):
        decide_and_taper(monitoring, facilitator)
        case = case_apply(
            case=monitoring,
            transition="close",
            by=facilitator,
            steroid_taper_ended_on=INFUSION_DAY + dt.timedelta(days=56),
        )

    case.refresh_from_db()
    assert case.state == "closed"
    log = state_logs(case)[-1]
    assert (log.source_state, log.state, log.by) == ("monitoring", "closed", facilitator)


def test_close_refused_when_the_last_liver_results_are_not_unremarkable(monitoring, facilitator):
    record_every_slot(monitoring, facilitator, last_alt=Decimal("80"))  # 2 x default ULN 40
    with time_machine.travel(INFUSED_AT + dt.timedelta(days=90)):
        decide_and_taper(monitoring, facilitator)
    with (
        time_machine.travel(INFUSED_AT + dt.timedelta(days=90)),
        pytest.raises(TransitionRefused) as refused,
    ):
        case_apply(
            case=monitoring,
            transition="close",
            by=facilitator,
            steroid_taper_ended_on=INFUSION_DAY + dt.timedelta(days=56),
        )

    assert "ALT 80.0 is not below 2 x ULN (80)" in " ".join(refused.value.messages)


def test_close_early_with_a_documented_reason_keeps_it_in_the_history(monitoring, facilitator):
    with time_machine.travel(INFUSED_AT + dt.timedelta(days=30)):
        case = case_apply(
            case=monitoring,
            transition="close",
            by=facilitator,
            close_reason="transfer",
            close_override_reason="Family moved abroad; follow-up there.",
        )

    case.refresh_from_db()
    assert case.state == "closed"
    assert case.close_override_reason == "Family moved abroad; follow-up there."
    assert state_logs(case)[-1].description == (
        "Closed: Transferred to another centre. Family moved abroad; follow-up there."
    )


def test_a_blank_reason_does_not_count(monitoring, facilitator):
    with (
        time_machine.travel(INFUSED_AT + dt.timedelta(days=30)),
        pytest.raises(TransitionRefused),
    ):
        case_apply(case=monitoring, transition="close", by=facilitator, close_override_reason="  ")


def test_other_needs_words(monitoring, facilitator):
    with (
        time_machine.travel(INFUSED_AT + dt.timedelta(days=30)),
        pytest.raises(TransitionRefused) as refused,
    ):
        case_apply(case=monitoring, transition="close", by=facilitator, close_reason="other")

    assert refused.value.messages == ["Say in words why the case closes (reason: other)."]
