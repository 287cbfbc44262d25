"""Recording lab values: bad input changes nothing, a second value replaces with history,
each crossed threshold opens a signal and notifies the doctor and facilitator at once, and the
panel rows the calendar and reminders read stay in step."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cases.models import LabResult, Notification
from cases.selectors import case_calendar
from clinical.models import LabValue, SafetySignal, TmaCheck
from clinical.services import lab_values_record, safety_signal_decide

from .conftest import day, full_panel, liver, on_day

pytestmark = pytest.mark.django_db


def record(case, by, values, *, slot="week_1", sampled=7, **kw):
    return lab_values_record(
        case=case, by=by, slot=slot, sampled_on=day(sampled), values=values, lab="City Lab", **kw
    )


def test_a_week_1_panel_is_saved_as_values_and_marks_the_slot_done(infused, doctor1):
    with on_day(7):
        saved = record(infused, doctor1, full_panel())
        assert len(saved.values) == 6
        assert saved.signals == []
        alt = LabValue.objects.get(test="alt")
        assert (alt.value, alt.unit, alt.uln, alt.lab, alt.slot) == (
            D("30"),
            "U/L",
            D("40"),
            "City Lab",
            "week_1",
        )
        # The calendar (cases) sees week 1 done through the panel rows kept in step.
        rows = {r["event"].code: r["status"] for r in case_calendar(infused)}
    assert rows["liver_week_1"] == rows["platelets_week_1"] == rows["troponin_week_1"] == "done"
    assert LabResult.objects.filter(case=infused).count() == 3


BAD = [
    ([{"test": "alt", "value": "45", "unit": ""}], {}, "ALT: enter the unit the lab printed."),
    ([{"test": "alt", "value": "45", "unit": "mmol/L"}], {}, "ALT is not measured in mmol/L"),
    ([{"test": "alt", "value": "99999", "unit": "U/L"}], {}, "outside the physiological range"),
    ([{"test": "alt", "value": "abc", "unit": "U/L"}], {}, "'abc' is not a number."),
    ([{"test": "alt", "value": "nan", "unit": "U/L"}], {}, "'nan' is not a number."),
    ([{"test": "alt", "value": "45", "unit": "U/L", "uln": "Infinity"}], {}, "not a number."),
    (liver(), {"sampled": 9}, "A sample cannot be taken in the future."),
    (liver(), {"sampled": -1}, "cannot be taken before the infusion"),
    (liver(), {"sampled": 1}, "Week 1 takes samples from 06 Mar 2026 to 12 Mar 2026"),
    ([], {}, "Enter at least one value."),
]


@pytest.mark.parametrize(("values", "kw", "message"), BAD)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_saved(
    infused, doctor1, values, kw, message
):
    # The good ALT plus a bad row: the whole panel is refused.
    with on_day(8), pytest.raises(ValidationError) as refused:
        record(infused, doctor1, [*liver()[1:], *values] if values else [], **kw)
    assert any(message in m for m in refused.value.messages), refused.value.messages
    assert not LabValue.objects.exists()
    assert not LabResult.objects.filter(case=infused).exists()


def test_a_second_value_for_the_same_test_and_slot_replaces_it_with_history(infused, doctor1):
    with on_day(7):
        record(infused, doctor1, liver(alt="30"))
        record(infused, doctor1, [{"test": "alt", "value": "35", "unit": "U/L", "uln": "40"}])
    old, new = LabValue.objects.filter(test="alt").order_by("pk")
    assert old.replaced_at is not None
    assert old.replaced_by == new
    assert new.replaced_at is None
    assert new.value == D("35")
    assert LabResult.objects.get(case=infused, test="liver").alt == D("35")


def test_a_high_alt_opens_a_signal_and_tells_the_doctor_and_facilitator_at_once(
    infused, doctor1, facilitator
):
    with on_day(7):
        saved = record(infused, doctor1, liver(alt="95"))
    (signal,) = saved.signals
    assert signal.kind == "alt_above_2x_uln"
    assert signal.is_open
    assert "ALT 95 is above 2 x ULN (80)" in signal.message
    told = Notification.objects.filter(kind="safety_signal")
    assert {(n.recipient.username, n.channel) for n in told} == {
        ("doctor1", "in_app"),
        ("doctor1", "email"),
        ("facilitator", "in_app"),
        ("facilitator", "email"),
    }
    assert "ALT 95 is above 2 x ULN (80)" in told.first().subject


def test_the_signals_email_names_the_cases_state_in_each_readers_language(
    infused, doctor1, facilitator
):
    from family.services import language_set

    language_set(user=doctor1, language="hi", by=doctor1)
    with on_day(7):
        record(infused, doctor1, liver(alt="95"))

    told = Notification.objects.filter(kind="safety_signal", channel="email")
    to_doctor = told.get(recipient=doctor1)
    to_facilitator = told.get(recipient=facilitator)
    assert f"Case {infused.reference}: Monitoring." in to_facilitator.body
    assert "सुरक्षा संकेत" in to_doctor.subject
    assert "safety signal" in to_facilitator.subject


def test_a_replaced_high_value_keeps_one_open_signal(infused, doctor1):
    with on_day(7):
        record(infused, doctor1, liver(alt="95"))
        record(infused, doctor1, [{"test": "alt", "value": "120", "unit": "U/L", "uln": "40"}])
    (signal,) = SafetySignal.objects.all()
    assert "ALT 120" in signal.message


def test_a_platelet_fall_from_baseline_opens_a_signal(infused, doctor1):
    # The baseline CBC (tests.factories) counted 310 x10^3/µL.
    with on_day(7):
        saved = record(infused, doctor1, [{"test": "platelets", "value": "1.2", "unit": "lakh/µL"}])
    assert [s.kind for s in saved.signals] == ["platelet_fall"]


def test_ticked_tma_signs_open_a_signal_and_are_kept(infused, doctor1):
    with on_day(7):
        saved = record(infused, doctor1, [], tma_signs=["bruising"])
    assert [s.kind for s in saved.signals] == ["tma_signs"]
    assert TmaCheck.objects.get().signs() == ["bruising"]


def test_a_signal_stays_open_until_the_doctor_records_a_decision(infused, doctor1, facilitator):
    with on_day(7):
        (signal,) = record(infused, doctor1, liver(alt="95")).signals
    with pytest.raises(PermissionDenied):
        safety_signal_decide(signal=signal, by=facilitator, decision="Repeat in 3 days")
    with pytest.raises(ValidationError, match="Write the decision"):
        safety_signal_decide(signal=signal, by=doctor1, decision="  ")
    signal.refresh_from_db()
    assert signal.is_open
    safety_signal_decide(
        signal=signal, by=doctor1, decision="Repeat LFT in 3 days; prednisolone continued."
    )
    signal.refresh_from_db()
    assert not signal.is_open
    assert signal.decided_by == doctor1


def test_only_the_treating_doctor_or_a_facilitator_records(infused, doctor2, hospital1):
    for user in (doctor2, hospital1):
        with on_day(7), pytest.raises(PermissionDenied):
            record(infused, user, liver())
    assert not LabValue.objects.exists()


def test_a_value_outside_the_schedule_needs_no_slot(infused, doctor1):
    with on_day(20):
        saved = lab_values_record(
            case=infused,
            by=doctor1,
            sampled_on=day(20),
            values=[{"test": "other", "name": "CRP", "value": "4", "unit": "mg/L"}],
        )
    (value,) = saved.values
    assert (value.slot, value.test_label) == ("", "CRP")
