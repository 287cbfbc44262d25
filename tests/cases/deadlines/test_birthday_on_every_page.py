"""Days left to the 2nd birthday on every case row and page (issue 14 item 1): the admin's
case list and case page, both portals' lists and case pages, in red under 60 days."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.clinical import add_years
from tests.factories import CaseFactory, PatientFactory

pytestmark = pytest.mark.django_db


def turning_two_in(days: int) -> dt.date:
    return add_years(timezone.localdate() + dt.timedelta(days=days), -2)


def badges(page: str) -> dict[str, bool]:
    """``{text: red}`` of each days-to-2nd-birthday badge on the page."""
    return {
        text: "npp-bday-red" in classes
        for classes, text in re.findall(r'<span class="(npp-bday[^"]*)"[^>]*>([^<]+)</span>', page)
    }


@pytest.fixture
def near_and_far(doctor1, facilitator):
    return [
        CaseFactory(
            doctor=doctor1.doctor,
            facilitator=facilitator,
            patient=PatientFactory(date_of_birth=turning_two_in(days)),
        )
        for days in (59, 60)
    ]


def test_every_case_row_and_page_shows_the_days_left_red_under_60(
    client, near_and_far, facilitator, doctor1, hospital1
):
    near, far = near_and_far
    expected = {"59 days to 2nd birthday": True, "60 days to 2nd birthday": False}
    pages = {
        facilitator: [reverse("admin:cases_case_changelist")],
        doctor1: [reverse("portal:doctor_cases")],
        hospital1: [reverse("portal:hospital_cases")],
    }
    case_pages = {
        facilitator: lambda case: reverse("admin:cases_case_change", args=[case.pk]),
        doctor1: lambda case: reverse("portal:doctor_case", args=[case.pk]),
        hospital1: lambda case: reverse("portal:hospital_case", args=[case.pk]),
    }
    for user, lists in pages.items():
        client.force_login(user)
        for url in lists:
            assert badges(client.get(url).content.decode()) == expected, (user, url)
        for case, text in ((near, "59 days to 2nd birthday"), (far, "60 days to 2nd birthday")):
            page = client.get(case_pages[user](case)).content.decode()
            assert badges(page) == {text: expected[text]}, (user, case)
