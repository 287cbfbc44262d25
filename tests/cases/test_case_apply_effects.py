"""A transition sends nothing itself: no on-commit callback, no email, no task. What users are
told afterwards comes from the committed state, through the reminder sweep and the outbox, so
nothing depends on the broker being up at the moment of the transition (see tests/test_faults.py
for the sweep catching up after a broker outage)."""

from __future__ import annotations

import pytest

from cases.services import TransitionRefused, case_apply
from tests.factories import (
    MAIN_LINE_TRANSITIONS,
    default_facts,
    give_documents,
    reweigh_on_infusion_day,
)

pytestmark = pytest.mark.django_db


def test_no_transition_along_the_main_line_schedules_an_outside_effect(
    case_a, facilitator, django_capture_on_commit_callbacks, mailoutbox
):
    case = case_a
    for name, target in MAIN_LINE_TRANSITIONS:
        give_documents(case, target, facilitator)
        facts = default_facts(name)
        if name == "record_infusion":
            reweigh_on_infusion_day(case, facts["infused_at"])
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            case = case_apply(case=case, transition=name, by=facilitator, **facts)
        assert (name, callbacks) == (name, [])
        assert case.state == target
    assert mailoutbox == []


def test_a_refused_transition_schedules_nothing(
    case_a, facilitator, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(TransitionRefused),
    ):
        case_apply(case=case_a, transition="hold", by=facilitator, hold_reason="")

    assert callbacks == []
