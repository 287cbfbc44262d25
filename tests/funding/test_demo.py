"""The demo's funding and cold-chain evidence: a funded case, a case short of funds and a
logger file with one excursion (issue 17's demo data)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from cases import rules
from cases.models import Case
from coldchain.models import LoggerRecord
from funding.selectors import case_funding, waiting_on_money

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_funded_case_one_short_of_funds_and_a_logger_excursion(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())

    aarav = Case.objects.get(patient__full_name="Aarav Sharma")
    assert case_funding(aarav).totals.covered
    kabir = Case.objects.get(patient__full_name="Kabir Singh")
    assert kabir.state == "approved"
    assert case_funding(kabir).totals.short > 0
    assert "funds_short" in {b.code for b in rules.blockers(kabir, "dispatch")}
    assert [row["case"] for row in waiting_on_money(Case.objects.all())] == [kabir]

    reyansh = Case.objects.get(patient__full_name="Reyansh Gupta")
    record = LoggerRecord.objects.get(case=reyansh)
    assert record.excursion_count == 1
    assert record.excursions[0]["seconds"] == 40 * 60
    assert (reyansh.state, reyansh.hold_from_state) == ("on_hold", "delivery")
    assert reyansh.temperature_ok is False
    assert record.document.document_type.code == "temperature_log"
