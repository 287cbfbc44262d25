from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.services import TransitionRefused, case_apply
from tests.factories import give_documents, state_logs, walk_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_review(case_a, facilitator):
    case = walk_to(case_a, "regulatory_review", facilitator)
    give_documents(case, "approved", facilitator)  # only the permit's own facts are missing
    return case


def permit(**overrides):
    today = timezone.localdate()
    return {
        "permit_number": "12B/BLR/2026/1001",
        "permit_issued_on": today - dt.timedelta(days=1),
        "permit_valid_until": today + dt.timedelta(days=180),
        **overrides,
    }


def test_recording_the_permit_approves_the_case_and_keeps_its_details(in_review, facilitator):
    facts = permit(permit_number="  12B/BLR/2026/1001 ")

    case_apply(
        case=in_review, transition="record_permit", by=facilitator, description="By email.", **facts
    )

    in_review.refresh_from_db()
    assert in_review.state == "approved"
    assert in_review.permit_number == "12B/BLR/2026/1001"  # stripped
    assert in_review.permit_issued_on == facts["permit_issued_on"]
    assert in_review.permit_valid_until == facts["permit_valid_until"]
    log = state_logs(in_review)[-1]
    assert (log.transition, log.by, log.description) == ("record_permit", facilitator, "By email.")


REFUSALS = [
    (permit(permit_number=""), "Enter the Form 12B permit number."),
    (permit(permit_number="   "), "Enter the Form 12B permit number."),
    (permit(permit_issued_on=None), "Enter the permit's issue date."),
    (permit(permit_valid_until=None), "Enter the date the permit is valid until."),
    (
        permit(permit_issued_on=dt.date(2026, 5, 10), permit_valid_until=dt.date(2026, 5, 9)),
        "The permit cannot expire before it was issued.",
    ),
]


def test_permit_refused_without_number_dates_or_with_validity_before_issue(
    in_review, facilitator, subtests
):
    for facts, message in REFUSALS:
        with subtests.test(message, facts=facts):
            with pytest.raises(TransitionRefused) as refused:
                case_apply(case=in_review, transition="record_permit", by=facilitator, **facts)

            assert refused.value.messages == [message]
            in_review.refresh_from_db()
            assert in_review.state == "regulatory_review"


def test_a_refused_permit_leaves_the_case_and_its_facts_untouched(in_review, facilitator):
    logs_before = len(state_logs(in_review))

    with pytest.raises(TransitionRefused):
        case_apply(
            case=in_review,
            transition="record_permit",
            by=facilitator,
            **permit(permit_valid_until=None),
        )

    in_review.refresh_from_db()
    assert in_review.state == "regulatory_review"
    assert in_review.permit_number == ""
    assert in_review.permit_issued_on is None
    assert len(state_logs(in_review)) == logs_before


def test_an_overlong_permit_number_is_refused_with_the_field_name(in_review, facilitator):
    with pytest.raises(TransitionRefused) as refused:
        case_apply(
            case=in_review,
            transition="record_permit",
            by=facilitator,
            **permit(permit_number="9" * 61),
        )

    [message] = refused.value.messages
    assert message.startswith("Form 12B permit number:")
    assert "at most 60 characters" in message
