from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.services import TransitionRefused, case_apply
from tests.factories import state_logs, walk_to

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Asia/Kolkata")
INFUSED_AT = dt.datetime(2026, 3, 2, 11, 0, tzinfo=IST)
EARLY_MESSAGE = (
    "Monitoring runs at least 90 days after the infusion; to close earlier, a facilitator "
    "must give a reason."
)


@pytest.fixture(autouse=True)
def _set_up_just_after_the_infusion():
    # Autouse fixtures run first, so the whole case is built at this moment.
    with time_machine.travel(INFUSED_AT + dt.timedelta(hours=2)):
        yield


@pytest.fixture
def monitoring(case_a, facilitator):
    case = walk_to(case_a, "infusion_scheduled", facilitator)
    return case_apply(
        case=case,
        transition="record_infusion",
        by=facilitator,
        infused_at=INFUSED_AT,
        kit_lot_numbers="AVX001A",
    )


def test_close_refused_before_90_days_without_an_override_reason(monitoring, facilitator):
    with (
        time_machine.travel(INFUSED_AT + dt.timedelta(days=89, hours=23)),
        pytest.raises(TransitionRefused) as refused,
    ):
        case_apply(case=monitoring, transition="close", by=facilitator)

    assert refused.value.messages == [EARLY_MESSAGE]
    monitoring.refresh_from_db()
    assert monitoring.state == "monitoring"
    assert len(state_logs(monitoring)) == 7


def test_close_allowed_at_90_days_without_a_reason(monitoring, facilitator):
    with time_machine.travel(INFUSED_AT + dt.timedelta(days=90)):
        case = case_apply(case=monitoring, transition="close", by=facilitator)

    case.refresh_from_db()
    assert case.state == "closed"
    assert case.close_override_reason == ""
    log = state_logs(case)[-1]
    assert (log.source_state, log.state, log.by) == ("monitoring", "closed", facilitator)


def test_close_before_90_days_allowed_with_an_override_reason(monitoring, facilitator):
    with time_machine.travel(INFUSED_AT + dt.timedelta(days=30)):
        case = case_apply(
            case=monitoring,
            transition="close",
            by=facilitator,
            description="Early close.",
            close_override_reason="Family moved abroad; follow-up there.",
        )

    case.refresh_from_db()
    assert case.state == "closed"
    assert case.close_override_reason == "Family moved abroad; follow-up there."
    assert state_logs(case)[-1].description == "Early close."


def test_a_blank_override_reason_does_not_count(monitoring, facilitator):
    with (
        time_machine.travel(INFUSED_AT + dt.timedelta(days=30)),
        pytest.raises(TransitionRefused),
    ):
        case_apply(case=monitoring, transition="close", by=facilitator, close_override_reason="  ")
