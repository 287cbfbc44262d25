"""A transition runs only from the states the issue's table gives it; nothing else moves a case."""

from __future__ import annotations

import pytest

from cases.models import Case
from cases.services import TRANSITION_FACTS, TransitionNotAvailable, case_apply
from tests.factories import (
    MAIN_LINE_TRANSITIONS,
    bring_to,
    default_facts,
    state_logs,
    step,
)

pytestmark = pytest.mark.django_db

HOLD_CANCEL = {"hold", "cancel"}
# Which transitions start from each state (the table).
ALLOWED_FROM = {
    "application": {"start_document_collection"} | HOLD_CANCEL,
    "documents": {"submit_to_regulator"} | HOLD_CANCEL,
    "regulatory_review": {"record_permit", "record_rejection"} | HOLD_CANCEL,
    "approved": {"dispatch"} | HOLD_CANCEL,
    "customs": {"clear_customs"} | HOLD_CANCEL,
    "delivery": {"confirm_delivery_and_schedule"} | HOLD_CANCEL,
    "infusion_scheduled": {"record_infusion"} | HOLD_CANCEL,
    "monitoring": {"close"} | HOLD_CANCEL,
    "closed": set(),
    "on_hold": {"resume", "cancel"},
    "rejected": {"resubmit", "cancel"},
    "cancelled": set(),
}


def assert_only_allowed_transitions_start(case, facilitator, subtests) -> None:
    state = case.state
    logs_before = len(state_logs(case))
    for name in sorted(set(TRANSITION_FACTS) - ALLOWED_FROM[state]):
        with subtests.test(state=state, transition=name):
            with pytest.raises(TransitionNotAvailable) as refused:
                case_apply(case=case, transition=name, by=facilitator, **default_facts(name))

            [message] = refused.value.messages
            assert message.endswith(f"while the case is '{case.get_state_display()}'.")
    case.refresh_from_db()
    assert case.state == state
    assert len(state_logs(case)) == logs_before


def test_along_the_main_line_no_transition_jumps_from_a_state_it_does_not_start_from(
    case_a, facilitator, subtests
):
    case = case_a
    for name, target in MAIN_LINE_TRANSITIONS:
        assert_only_allowed_transitions_start(case, facilitator, subtests)
        case = step(case, name, target, facilitator)
    assert case.state == "closed"
    assert_only_allowed_transitions_start(case, facilitator, subtests)


@pytest.mark.parametrize("state", ["on_hold", "rejected", "cancelled"])
def test_from_a_side_state_only_its_own_transitions_start(case_a, facilitator, state, subtests):
    case = bring_to(case_a, state, facilitator)

    assert_only_allowed_transitions_start(case, facilitator, subtests)


def test_application_cannot_jump_to_approved_even_with_a_valid_permit(case_a, facilitator):
    with pytest.raises(TransitionNotAvailable) as refused:
        case_apply(
            case=case_a,
            transition="record_permit",
            by=facilitator,
            **default_facts("record_permit"),
        )

    assert refused.value.messages == [
        "'Record Form 12B permit' cannot be done while the case is 'Application'."
    ]
    case_a.refresh_from_db()
    assert case_a.state == "application"
    assert case_a.permit_number == ""


def test_the_state_cannot_be_assigned_directly(case_a):
    with pytest.raises(AttributeError):
        case_a.state = "closed"

    assert Case.objects.get(pk=case_a.pk).state == "application"


def test_an_unknown_transition_is_a_programming_error(case_a, facilitator):
    with pytest.raises(ValueError, match="Unknown transition"):
        case_apply(case=case_a, transition="approve", by=facilitator)


def test_a_transition_cannot_smuggle_in_facts_it_does_not_record(case_a, facilitator):
    with pytest.raises(ValueError, match="does not record permit_number"):
        case_apply(
            case=case_a,
            transition="start_document_collection",
            by=facilitator,
            permit_number="12B/FAKE/1",
        )

    case_a.refresh_from_db()
    assert case_a.permit_number == ""
    assert case_a.state == "application"
