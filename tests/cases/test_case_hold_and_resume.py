from __future__ import annotations

import pytest

from cases.services import TransitionNotAvailable, TransitionRefused, case_apply
from tests.factories import (
    MAIN_LINE_TRANSITIONS,
    bring_to,
    default_facts,
    give_documents,
    state_logs,
    step,
    walk_to,
)

pytestmark = pytest.mark.django_db

HOLD = {"hold_reason": "Anti-AAV9 titre above 1:50; retest in 6 weeks."}


def hold_and_resume(case, facilitator):
    state = case.state
    case = case_apply(case=case, transition="hold", by=facilitator, description="Paused.", **HOLD)
    case.refresh_from_db()
    assert case.state == "on_hold"
    assert case.hold_from_state == state
    assert case.hold_reason == HOLD["hold_reason"]

    case = case_apply(case=case, transition="resume", by=facilitator, description="Titre OK.")
    case.refresh_from_db()
    assert case.state == state
    assert case.hold_reason == ""

    hold_log, resume_log = state_logs(case)[-2:]
    assert (hold_log.source_state, hold_log.state, hold_log.by, hold_log.description) == (
        state,
        "on_hold",
        facilitator,
        "Paused.",
    )
    assert (resume_log.source_state, resume_log.state, resume_log.by, resume_log.description) == (
        "on_hold",
        state,
        facilitator,
        "Titre OK.",
    )
    return case


def test_resume_returns_the_case_to_the_state_it_was_held_in_from_every_active_state(
    case_a, facilitator, subtests
):
    case = case_a
    for name, target in MAIN_LINE_TRANSITIONS[:-1]:
        with subtests.test(held_in=case.state):
            case = hold_and_resume(case, facilitator)
        # Then on to the next state, which proves the case really is back on the line.
        case = step(case, name, target, facilitator)
    with subtests.test(held_in=case.state):
        hold_and_resume(case, facilitator)


def test_a_resumed_case_carries_on_along_the_main_line(case_a, facilitator):
    case = walk_to(case_a, "approved", facilitator)
    case = case_apply(case=case, transition="hold", by=facilitator, **HOLD)
    case = case_apply(case=case, transition="resume", by=facilitator)
    give_documents(case, "customs", facilitator)

    case = case_apply(case=case, transition="dispatch", by=facilitator, **default_facts("dispatch"))

    assert case.state == "customs"


def test_a_case_on_hold_cannot_move_along_the_main_line(case_a, facilitator):
    case = walk_to(case_a, "approved", facilitator)
    case = case_apply(case=case, transition="hold", by=facilitator, **HOLD)

    with pytest.raises(TransitionNotAvailable):
        case_apply(case=case, transition="dispatch", by=facilitator, **default_facts("dispatch"))

    case.refresh_from_db()
    assert case.state == "on_hold"


@pytest.mark.parametrize("reason", ["", "   "])
def test_hold_refused_without_a_reason(case_a, facilitator, reason):
    with pytest.raises(TransitionRefused) as refused:
        case_apply(case=case_a, transition="hold", by=facilitator, hold_reason=reason)

    assert refused.value.messages == ["Give a reason for the hold."]
    case_a.refresh_from_db()
    assert case_a.state == "application"
    assert case_a.hold_from_state == ""


@pytest.mark.parametrize("state", ["on_hold", "rejected", "cancelled", "closed"])
def test_hold_is_not_available_outside_the_active_states(case_a, facilitator, state):
    case = bring_to(case_a, state, facilitator)

    with pytest.raises(TransitionNotAvailable):
        case_apply(case=case, transition="hold", by=facilitator, **HOLD)

    case.refresh_from_db()
    assert case.state == state


def test_resume_is_not_available_to_a_case_that_is_not_on_hold(case_a, facilitator):
    with pytest.raises(TransitionNotAvailable):
        case_apply(case=case_a, transition="resume", by=facilitator)
