"""The demo data fills the regulatory file of every case past regulatory review: every fact
Form 12A prints, every fact the customs file prints once the permit is in, the Bill of Entry
once the kit cleared customs; and CDSCO's queries show both an open and an answered one."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from cases.models import Case
from cases.rules import Context
from cases.states import MAIN_LINE, CaseState
from regulatory.models import CdscoQuery, RegulatoryFile
from regulatory.packet_facts import missing_facts
from regulatory.rules import bill_of_entry_incomplete

pytestmark = pytest.mark.django_db

PAST_REVIEW = MAIN_LINE[MAIN_LINE.index(CaseState.APPROVED) :]


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())


def _stage(case: Case) -> str:
    return case.hold_from_state if case.state == CaseState.ON_HOLD else case.state


def test_every_case_past_regulatory_review_has_its_file_filled(demo):
    past = [c for c in Case.objects.all() if _stage(c) in PAST_REVIEW]
    assert len(past) >= 6
    for case in past:
        assert missing_facts(case, "application") == [], case
        assert missing_facts(case, "customs") == [], case
        found = RegulatoryFile.objects.get(case=case)
        assert found.sugam_application_number
        assert found.sugam_submitted_at
        assert found.permit_received_at
        if MAIN_LINE.index(_stage(case)) > MAIN_LINE.index(CaseState.CUSTOMS):
            ctx = Context(transition="clear_customs", at=found.out_of_charge_at)
            assert list(bill_of_entry_incomplete(case, ctx)) == [], case
        elif _stage(case) == CaseState.CUSTOMS:
            assert found.bill_of_entry_number
            assert found.out_of_charge_at is None


def test_cases_waiting_for_the_regulator_have_form_12a_facts_and_one_open_query(demo):
    waiting = Case.objects.get(patient__full_name="Ananya Iyer")
    assert waiting.state == CaseState.REGULATORY_REVIEW
    assert missing_facts(waiting, "application") == []
    assert CdscoQuery.objects.filter(file__case=waiting, answered_at__isnull=True).count() == 1
    answered = CdscoQuery.objects.get(file__case__patient__full_name="Kabir Singh")
    assert answered.answered_at
    assert answered.answer
