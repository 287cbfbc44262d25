"""Once the actual infusion is recorded, the pages speak of it, not of the plan (issue 13)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.selectors import case_eligibility, case_planned_infusion_date
from cases.services import case_apply
from tests.factories import reweigh_on_infusion_day, walk_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def infused(case_a, facilitator):
    case = walk_to(case_a, "infusion_scheduled", facilitator)  # scheduled 3 days ahead
    given = timezone.now() - dt.timedelta(minutes=30)
    reweigh_on_infusion_day(case, given)
    return case_apply(
        case=case,
        transition="record_infusion",
        by=facilitator,
        infused_at=given,
        kit_lot_numbers="AVX001A",
    )


def test_eligibility_is_judged_on_the_day_the_infusion_was_given(infused):
    given = timezone.localdate(infused.infused_at)
    assert case_planned_infusion_date(infused) == given
    assert f"{given:%d %b %Y}" in case_eligibility(infused)["under_two"].reason
    assert f"{timezone.localdate(infused.infusion_scheduled_at):%d %b %Y}" not in (
        case_eligibility(infused)["under_two"].reason
    )


def test_the_hospital_list_shows_the_infusion_given(client, hospital1, infused):
    client.force_login(hospital1)
    page = client.get(reverse("portal:hospital_cases")).content.decode()
    assert f"infusion given {timezone.localtime(infused.infused_at):%d %b %Y}" in page
    assert "infusion scheduled" not in page
