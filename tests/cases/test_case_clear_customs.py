from __future__ import annotations

import pytest

from cases.services import TransitionRefused, case_apply
from tests.factories import give_documents, state_logs, walk_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def at_customs(case_a, facilitator):
    case = walk_to(case_a, "customs", facilitator)
    give_documents(case, "delivery", facilitator)  # only the bill of entry is missing
    return case


def test_clearing_customs_records_the_bill_of_entry_and_moves_to_delivery(at_customs, facilitator):
    case_apply(
        case=at_customs,
        transition="clear_customs",
        by=facilitator,
        description="Cleared at BLR air cargo.",
        bill_of_entry_number="7300001",
        duty_exemption_claimed=True,
    )

    at_customs.refresh_from_db()
    assert at_customs.state == "delivery"
    assert at_customs.bill_of_entry_number == "7300001"
    assert at_customs.duty_exemption_claimed is True
    log = state_logs(at_customs)[-1]
    assert (log.source_state, log.state, log.by, log.description) == (
        "customs",
        "delivery",
        facilitator,
        "Cleared at BLR air cargo.",
    )


def test_clearing_customs_refused_without_the_bill_of_entry_number(at_customs, facilitator):
    with pytest.raises(TransitionRefused) as refused:
        case_apply(
            case=at_customs,
            transition="clear_customs",
            by=facilitator,
            bill_of_entry_number="",
            duty_exemption_claimed=True,
        )

    assert refused.value.messages == ["Enter the bill of entry number."]
    at_customs.refresh_from_db()
    assert at_customs.state == "customs"
    assert at_customs.duty_exemption_claimed is False
