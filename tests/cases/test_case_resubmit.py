from __future__ import annotations

import pytest

from cases.services import case_apply
from tests.factories import bring_to, state_logs

pytestmark = pytest.mark.django_db


def test_a_rejected_case_goes_back_to_document_collection(case_a, facilitator):
    case = bring_to(case_a, "rejected", facilitator)

    case = case_apply(
        case=case, transition="resubmit", by=facilitator, description="Signed prescription added."
    )

    case.refresh_from_db()
    assert case.state == "documents"
    assert case.rejection_reason == ""  # the next rejection needs its own reason
    log = state_logs(case)[-1]
    assert (log.source_state, log.state, log.by, log.description) == (
        "rejected",
        "documents",
        facilitator,
        "Signed prescription added.",
    )


def test_a_resubmitted_case_can_be_submitted_again(case_a, facilitator):
    case = bring_to(case_a, "rejected", facilitator)
    case = case_apply(case=case, transition="resubmit", by=facilitator)

    case = case_apply(case=case, transition="submit_to_regulator", by=facilitator)

    assert case.state == "regulatory_review"
