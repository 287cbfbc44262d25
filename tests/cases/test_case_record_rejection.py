from __future__ import annotations

import pytest

from cases.services import TransitionRefused, case_apply
from tests.factories import state_logs, walk_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_review(case_a, facilitator):
    return walk_to(case_a, "regulatory_review", facilitator)


def test_recording_a_rejection_keeps_the_regulators_reason(in_review, facilitator):
    case_apply(
        case=in_review,
        transition="record_rejection",
        by=facilitator,
        rejection_reason="Prescription unsigned.",
    )

    in_review.refresh_from_db()
    assert in_review.state == "rejected"
    assert in_review.rejection_reason == "Prescription unsigned."
    log = state_logs(in_review)[-1]
    assert (log.source_state, log.state, log.by) == ("regulatory_review", "rejected", facilitator)


@pytest.mark.parametrize("reason", ["", "   "])
def test_rejection_refused_without_a_reason(in_review, facilitator, reason):
    with pytest.raises(TransitionRefused) as refused:
        case_apply(
            case=in_review, transition="record_rejection", by=facilitator, rejection_reason=reason
        )

    assert refused.value.messages == ["Give the regulator's reason for rejection."]
    in_review.refresh_from_db()
    assert in_review.state == "regulatory_review"
