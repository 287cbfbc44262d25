"""Closing reads the clinical records: ``monitoring_incomplete`` (re-registered by the
clinical app) counts the slots' values, blocks on an open safety signal and on a steroid
course without the day-30 decision or a finished taper."""

from __future__ import annotations

import datetime as dt

import pytest

from cases import rules
from cases.clinical import MONITORING_WEEKS
from cases.services import TransitionRefused, case_apply
from clinical.rules import monitoring_incomplete
from clinical.services import (
    lab_values_record,
    safety_signal_decide,
    steroid_course_start,
    steroid_review_decide,
    steroid_taper_end,
    steroid_taper_start,
)

from .conftest import INFUSED_AT, day, full_panel, on_day

pytestmark = pytest.mark.django_db

CLOSE_DAY = 90


def fill_every_slot(case, by, *, skip=(), **liver):
    for week in sorted({w for ws in MONITORING_WEEKS.values() for w in ws}):
        values = [v for v in full_panel(**liver) if (week, v["test"]) not in skip]
        with on_day(7 * week):
            lab_values_record(
                case=case, by=by, slot=f"week_{week}", sampled_on=day(7 * week), values=values
            )


def taper(case, by, *, end=True):
    with on_day(CLOSE_DAY):
        course = steroid_course_start(case=case, by=by)
        course = steroid_review_decide(course=course, by=by, decision="taper")
        course = steroid_taper_start(course=course, by=by, on=day(29))
        if end:
            steroid_taper_end(course=course, by=by, on=day(56))


def codes(case):
    return [
        b.code for b in rules.blockers(case, "close", at=INFUSED_AT + dt.timedelta(days=CLOSE_DAY))
    ]


def test_the_clinical_app_owns_the_closing_rule():
    (found,) = [r for r in rules.registry() if r.code == "monitoring_incomplete"]
    assert found.check is monitoring_incomplete
    assert "safety signal" in found.summary


def test_every_slot_filled_in_the_grid_and_a_finished_taper_close(infused, doctor1, facilitator):
    fill_every_slot(infused, doctor1)
    taper(infused, doctor1)
    with on_day(CLOSE_DAY):
        case = case_apply(case=infused, transition="close", by=facilitator)
    assert case.state == "closed"


def test_a_slot_missing_a_test_is_named(infused, doctor1):
    fill_every_slot(infused, doctor1, skip={(8, "troponin_i")})
    taper(infused, doctor1)
    (blocker,) = rules.blockers(infused, "close", at=INFUSED_AT + dt.timedelta(days=CLOSE_DAY))
    assert "No result for Troponin-I, week 8." in blocker.message


def test_an_open_safety_signal_blocks_closing_until_the_doctor_decides(
    infused, doctor1, facilitator
):
    fill_every_slot(infused, doctor1)
    taper(infused, doctor1)
    with on_day(7):
        (signal,) = lab_values_record(
            case=infused,
            by=doctor1,
            sampled_on=day(7),
            values=[{"test": "troponin_i", "value": "0.5", "unit": "ng/mL", "uln": "0.04"}],
        ).signals
    with on_day(CLOSE_DAY), pytest.raises(TransitionRefused) as refused:
        case_apply(case=infused, transition="close", by=facilitator)
    assert "1 safety signal(s) still open" in " ".join(refused.value.messages)
    with on_day(CLOSE_DAY):
        safety_signal_decide(signal=signal, by=doctor1, decision="Cardiology review: normal echo.")
    assert codes(infused) == []


def test_a_taper_cannot_show_finished_without_the_decision(infused, doctor1, facilitator):
    fill_every_slot(infused, doctor1)
    with on_day(CLOSE_DAY), pytest.raises(TransitionRefused) as refused:
        case_apply(
            case=infused,
            transition="close",
            by=facilitator,
            steroid_taper_ended_on=day(56),
        )
    assert "Record the day-30 steroid review's decision" in " ".join(refused.value.messages)


def test_a_started_taper_without_its_end_blocks(infused, doctor1, facilitator):
    fill_every_slot(infused, doctor1)
    taper(infused, doctor1, end=False)
    with on_day(CLOSE_DAY), pytest.raises(TransitionRefused) as refused:
        case_apply(case=infused, transition="close", by=facilitator)
    assert "Record the day the prednisolone taper ended" in " ".join(refused.value.messages)


def test_a_documented_reason_closes_anyway(infused, facilitator):
    with on_day(30):
        case = case_apply(
            case=infused,
            transition="close",
            by=facilitator,
            close_reason="transfer",
            close_override_reason="Moved to another centre.",
        )
    assert case.state == "closed"
