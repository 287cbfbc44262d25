"""An open CDSCO query is a deadline: the assigned facilitator is told N days before it is
due and again once it is overdue; once a time, never twice; not after it is answered."""

from __future__ import annotations

import pytest
import time_machine

from cases.states import CaseState
from regulatory.services import cdsco_query_record, cdsco_query_update
from tests import factories
from tests.cases.test_reminders import START, day, sweep

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def query(clock, facilitator):
    case = factories.walk_to(
        factories.CaseFactory(facilitator=facilitator), CaseState.REGULATORY_REVIEW, facilitator
    )
    return cdsco_query_record(
        case=case,
        by=facilitator,
        raised_at=day(0),
        text="Submit the prescription with the dose in vg.",
        due_by=day(5).date(),
    )


def _queries(found: set) -> set:
    return {(kind, user) for kind, user in found if kind.startswith("cdsco_query")}


def test_the_facilitator_is_told_two_days_ahead_once_then_when_overdue(clock, query):
    assert _queries(sweep(clock, day(2, 23))) == set()
    assert _queries(sweep(clock, day(3, 9))) == {("cdsco_query_due", "facilitator")}
    assert _queries(sweep(clock, day(3, 15))) == set()
    assert _queries(sweep(clock, day(5, 20))) == set()
    assert _queries(sweep(clock, day(6, 9))) == {("cdsco_query_overdue", "facilitator")}
    assert _queries(sweep(clock, day(7, 9))) == set()


def test_no_reminder_once_answered(clock, query, facilitator):
    cdsco_query_update(query=query, by=facilitator, answered_at=day(1), answer="Sent.")
    assert _queries(sweep(clock, day(3, 9))) == set()
    assert _queries(sweep(clock, day(6, 9))) == set()


def test_a_query_raised_close_to_its_due_date_is_told_at_once(clock, facilitator):
    case = factories.walk_to(
        factories.CaseFactory(facilitator=facilitator), CaseState.REGULATORY_REVIEW, facilitator
    )
    cdsco_query_record(
        case=case, by=facilitator, raised_at=day(0), text="Query.", due_by=day(1).date()
    )
    assert _queries(sweep(clock, day(0, 10, 15))) == {("cdsco_query_due", "facilitator")}


def test_the_deadline_shows_each_open_query_on_the_case_and_in_sql(clock, query, facilitator):
    from cases import deadlines
    from cases.models import Case

    case = query.file.case
    found = [c for c in deadlines.clocks(case, at=day(4)) if c.code == "cdsco_query"]
    assert [(c.due_on, c.key, c.status) for c in found] == [(day(5).date(), str(query.pk), "soon")]
    rows = deadlines.rows(Case.objects.all(), at=day(4), codes=["cdsco_query"])
    assert [(r[0], r[1], r[3]) for r in rows] == [(case.pk, "cdsco_query", day(5).date())]

    cdsco_query_update(query=query, by=facilitator, answered_at=day(1), answer="Sent.")
    assert not [c for c in deadlines.clocks(case, at=day(4)) if c.code == "cdsco_query"]


def test_the_email_names_the_query_and_its_due_date(clock, query, mailoutbox, settings):
    from cases.models import Channel, Notification
    from cases.reminders import texts

    sweep(clock, day(3, 9))
    row = Notification.objects.get(kind="cdsco_query_due", channel=Channel.EMAIL)
    subject, body, _ = texts.render_one(row)
    assert subject == f"{query.file.case.reference}: CDSCO query due by 10 Jan 2026"
    assert "Submit the prescription with the dose in vg." in body
    assert "raised" not in subject


def test_a_query_raised_before_dawn_is_dated_by_the_india_day(clock, facilitator):
    from cases import deadlines, rules

    case = factories.walk_to(
        factories.CaseFactory(facilitator=facilitator), CaseState.REGULATORY_REVIEW, facilitator
    )
    cdsco_query_record(
        case=case,
        by=facilitator,
        raised_at=day(1, hour=1),  # 06 Jan 01:00 in India, still 05 Jan in UTC
        text="Clarify the weight.",
        due_by=day(6).date(),
    )

    (refusal,) = [
        b.message for b in rules.blockers(case, "record_permit") if b.code == "cdsco_query_open"
    ]
    (clock_,) = deadlines.clocks(case, codes=["cdsco_query"])
    assert "CDSCO's query of 06 Jan 2026" in refusal
    assert clock_.detail == "raised 06 Jan 2026"
