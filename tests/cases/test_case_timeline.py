"""The case timeline and the calendar grid, on their own and on the admin case page."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.selectors import case_calendar
from cases.services import case_apply
from cases.timeline import calendar_grid, case_timeline
from tests.factories import walk_to

pytestmark = pytest.mark.django_db


def test_the_timeline_has_a_row_per_stage_visited_with_the_hold_and_milestones(case_a, facilitator):
    case = walk_to(case_a, "approved", facilitator)
    case = case_apply(case=case, transition="hold", by=facilitator, hold_reason="Funding")
    case = case_apply(case=case, transition="resume", by=facilitator)
    case = walk_to(case, "infusion_scheduled", facilitator)
    timeline = case_timeline(case)
    labels = [row["label"] for row in timeline.rows]
    assert labels == [
        "Application",
        "Document collection",
        "Regulatory review",
        "Approved (Form 12B)",
        "Customs",
        "Delivery",
        "Infusion scheduled",
    ]
    assert len(timeline.rows[3]["pauses"]) == 1  # the hold, drawn inside its stage
    assert timeline.rows[-1]["ongoing"] is True
    markers = {m["label"] for m in timeline.markers}
    assert {"Infusion", "End of 14-day window"} <= markers
    assert timeline.rows[0]["x"] <= timeline.today_x <= timeline.width


def test_a_hold_shows_as_a_paused_stretch_not_counted_in_its_stage(case_a, facilitator, client):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        case = walk_to(case_a, "approved", facilitator)
        clock.move_to(start + dt.timedelta(days=2))
        case = case_apply(case=case, transition="hold", by=facilitator, hold_reason="Funding")
        clock.move_to(start + dt.timedelta(days=7))
        case = case_apply(case=case, transition="resume", by=facilitator)
        clock.move_to(start + dt.timedelta(days=8))
        approved = case_timeline(case).rows[-1]

        client.force_login(facilitator)
        page = client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()

    assert (approved["label"], approved["days"], approved["paused_days"]) == (
        "Approved (Form 12B)",
        3.0,
        5.0,
    )
    assert [p["days"] for p in approved["pauses"]] == [5.0]
    assert approved["pauses"][0]["x"] > approved["x"]
    assert "Approved (Form 12B) paused (on hold)" in page
    assert "5.0 days not counted" in page


def test_a_hold_still_running_ends_its_stage_row_paused(case_a, facilitator):
    case = walk_to(case_a, "documents", facilitator)
    case = case_apply(case=case, transition="hold", by=facilitator, hold_reason="Funding")

    row = case_timeline(case).rows[-1]

    assert row["label"] == "Document collection"
    assert row["ongoing"] is True
    assert row["pauses"][0]["ongoing"] is True


def test_the_admin_case_page_draws_the_timeline_and_the_calendar_grid(client, case_a, facilitator):
    case = walk_to(case_a, "monitoring", facilitator)
    client.force_login(facilitator)
    body = client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert 'class="npp-timeline"' in body
    assert "Timeline of " + case.reference in body
    assert 'class="npp-month"' in body
    assert "Dose and kit plan" in body


def test_the_calendar_grid_colours_each_day_by_its_most_urgent_event(case_a, facilitator):
    case = walk_to(case_a, "monitoring", facilitator)
    with time_machine.travel(timezone.now() + dt.timedelta(days=12)):
        months = calendar_grid(case_calendar(case))
    statuses = {day["status"] for month in months for week in month["weeks"] for day in week}
    assert "overdue" in statuses  # week-1 tests, nothing recorded
    assert "upcoming" in statuses
