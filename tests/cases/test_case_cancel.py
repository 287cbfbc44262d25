from __future__ import annotations

import pytest

from cases.services import TransitionNotAvailable, TransitionRefused, case_apply
from tests.factories import bring_to, state_logs

pytestmark = pytest.mark.django_db

REASON = {"cancellation_reason": "Family chose treatment abroad."}


@pytest.mark.parametrize("state", ["application", "customs", "on_hold", "rejected"])
def test_a_case_can_be_cancelled_from_any_open_state(case_a, facilitator, state):
    case = bring_to(case_a, state, facilitator)

    case_apply(case=case, transition="cancel", by=facilitator, description="Phoned.", **REASON)

    case.refresh_from_db()
    assert case.state == "cancelled"
    assert case.cancellation_reason == REASON["cancellation_reason"]
    log = state_logs(case)[-1]
    assert (log.source_state, log.state, log.by, log.description) == (
        state,
        "cancelled",
        facilitator,
        "Phoned.",
    )


@pytest.mark.parametrize("state", ["closed", "cancelled"])
def test_a_closed_or_cancelled_case_cannot_be_cancelled(case_a, facilitator, state):
    case = bring_to(case_a, state, facilitator)
    logs_before = len(state_logs(case))

    with pytest.raises(TransitionNotAvailable):
        case_apply(
            case=case, transition="cancel", by=facilitator, cancellation_reason="Another reason."
        )

    case.refresh_from_db()
    assert case.state == state
    assert case.cancellation_reason != "Another reason."
    assert len(state_logs(case)) == logs_before


def test_cancel_refused_without_a_reason(case_a, facilitator):
    with pytest.raises(TransitionRefused) as refused:
        case_apply(case=case_a, transition="cancel", by=facilitator, cancellation_reason="")

    assert refused.value.messages == ["Give a reason for cancelling."]
    case_a.refresh_from_db()
    assert case_a.state == "application"
