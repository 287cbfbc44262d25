"""The facilitator's dashboard, the case timeline and the CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.dashboard import (
    calendar_grid,
    case_timeline,
    needs_attention,
    pipeline,
    stage_durations,
    this_week,
)
from cases.models import Case
from cases.selectors import case_calendar
from cases.services import case_apply
from documents.models import DocumentAccess, ReviewStatus
from documents.services import document_review
from tests.factories import CaseFactory, upload_document, walk_to

pytestmark = pytest.mark.django_db


def test_pipeline_counts_cases_per_state_in_machine_order_and_links_to_the_filtered_list(
    case_a, case_b, facilitator
):
    walk_to(case_b, "customs", facilitator)
    rows = pipeline(Case.objects.all())
    assert [r["state"] for r in rows][:3] == ["application", "documents", "regulatory_review"]
    counts = {r["state"]: r["value"] for r in rows}
    assert counts["application"] == 1
    assert counts["customs"] == 1
    assert counts["closed"] == 0
    customs = next(r for r in rows if r["state"] == "customs")
    assert customs["href"].endswith("?state__exact=customs")


def test_dashboard_page_shows_the_charts_with_labels_and_filters_by_hospital(
    client, case_a, case_b, facilitator
):
    client.force_login(facilitator)
    response = client.get(reverse("dashboard"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in body and "Cases in each state" in body
    assert "Application: 2" in body  # the bar's text label, readable without colour
    assert "Days spent in each stage" in body

    filtered = client.get(reverse("dashboard"), {"hospital": case_a.hospital_id})
    assert "Application: 1" in filtered.content.decode()
    other = client.get(reverse("dashboard"), {"hospital": 999999})
    assert "Application: 0" in other.content.decode()


def test_dashboard_is_for_facilitators_only(client, doctor1, hospital1):
    for user in (doctor1, hospital1):
        client.force_login(user)
        response = client.get(reverse("dashboard"))
        assert response.status_code in (302, 403)


def test_needs_attention_lists_eta_passed_cold_chain_and_rejected_documents(
    case_a, case_b, facilitator, doctor1
):
    in_customs = walk_to(case_a, "customs", facilitator)
    scheduled = walk_to(case_b, "infusion_scheduled", facilitator)
    third = CaseFactory(doctor=doctor1.doctor, facilitator=facilitator)
    third = walk_to(third, "documents", facilitator)
    rejected = upload_document(third, "prescription", doctor1, accept=False)
    document_review(document=rejected, by=facilitator, status=ReviewStatus.REJECTED,
                    note="Unsigned")

    later = in_customs.eta + dt.timedelta(hours=1)
    rows = needs_attention(Case.objects.all(), now=later)
    found = {(row.case.reference, row.what) for row in rows}
    assert (in_customs.reference, "ETA passed") in found
    assert (scheduled.reference, "Cold chain") in found
    assert (third.reference, "Document rejected") in found
    cold = next(r for r in rows if r.what == "Cold chain")
    assert "days left of 14" in cold.detail
    assert all(row.href.startswith("/admin/cases/case/") for row in rows)


def test_a_stage_past_its_limit_needs_attention(case_a, facilitator):
    walk_to(case_a, "documents", facilitator)
    with time_machine.travel(timezone.now() + dt.timedelta(days=15)):
        rows = needs_attention(Case.objects.all())
    assert any(r.what == "Stage overdue" and "limit 14" in r.detail for r in rows)


def test_this_week_shows_the_infusion_and_the_prednisolone_start(case_a, facilitator):
    case = walk_to(case_a, "infusion_scheduled", facilitator)
    items = this_week(Case.objects.all())
    whats = {item["what"] for item in items}
    assert "Infusion" in whats
    assert "Prednisolone starts" in whats
    start = next(i for i in items if i["what"] == "Prednisolone starts")
    assert start["date"] == timezone.localdate(case.infusion_scheduled_at) - dt.timedelta(days=1)


def test_stage_durations_give_median_and_90th_percentile_days(facilitator, doctor1):
    start = timezone.now() - dt.timedelta(days=40)
    for days_in_documents in (2, 4, 10):
        with time_machine.travel(start, tick=False):
            case = CaseFactory(doctor=doctor1.doctor, facilitator=facilitator)
            case = walk_to(case, "documents", facilitator)
        with time_machine.travel(start + dt.timedelta(days=days_in_documents), tick=False):
            walk_to(case, "regulatory_review", facilitator)
    rows = {r["state"]: r for r in stage_durations(Case.objects.all())}
    assert rows["documents"]["count"] == 3
    assert rows["documents"]["median"] == 4.0
    assert rows["documents"]["p90"] == pytest.approx(8.8, abs=0.1)


def test_the_timeline_has_a_row_per_stage_visited_with_the_hold_and_milestones(
    case_a, facilitator
):
    case = walk_to(case_a, "approved", facilitator)
    case = case_apply(case=case, transition="hold", by=facilitator, hold_reason="Funding")
    case = case_apply(case=case, transition="resume", by=facilitator)
    case = walk_to(case, "infusion_scheduled", facilitator)
    timeline = case_timeline(case)
    labels = [row["label"] for row in timeline.rows]
    assert labels == ["Application", "Document collection", "Regulatory review",
                      "Approved (Form 12B)", "On hold", "Approved (Form 12B)", "Customs",
                      "Delivery", "Infusion scheduled"]
    assert timeline.rows[4]["side"] is True
    assert timeline.rows[-1]["ongoing"] is True
    markers = {m["label"] for m in timeline.markers}
    assert {"Infusion", "End of 14-day window"} <= markers
    assert timeline.rows[0]["x"] <= timeline.today_x <= timeline.width


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


def _export(client, cases, include: bool):
    data = {"action": "export_csv", "confirm": "yes",
            "_selected_action": [c.pk for c in cases]}
    if include:
        data["include_identifiers"] = "on"
    return client.post(reverse("admin:cases_case_changelist"), data)


def test_csv_export_leaves_out_identifiers_unless_asked(client, case_a, case_b, facilitator):
    walk_to(case_a, "monitoring", facilitator)
    client.force_login(facilitator)
    response = _export(client, [case_a, case_b], include=False)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["reference"] for r in rows} == {case_a.reference, case_b.reference}
    body = response.content.decode()
    assert case_a.patient.full_name not in body
    row = next(r for r in rows if r["reference"] == case_a.reference)
    assert row["entered_monitoring"] and row["infusion_date"]
    assert row["days_application_to_infusion"] == "0"
    assert not DocumentAccess.objects.filter(action="export_identifiers").exists()


def test_csv_export_with_identifiers_is_recorded_in_the_access_log(client, case_a, facilitator):
    client.force_login(facilitator)
    response = _export(client, [case_a], include=True)
    assert case_a.patient.full_name in response.content.decode()
    log = DocumentAccess.objects.get(action="export_identifiers")
    assert log.username == "facilitator"
    assert log.case_reference == case_a.reference


def test_the_export_action_first_asks_about_identifiers(client, case_a, facilitator):
    client.force_login(facilitator)
    response = client.post(reverse("admin:cases_case_changelist"),
                           {"action": "export_csv", "_selected_action": [case_a.pk]})
    assert response.status_code == 200
    assert "Include identifiers" in response.content.decode()


def test_the_help_page_shows_the_state_diagram(client, facilitator):
    client.force_login(facilitator)
    body = client.get(reverse("dashboard-help")).content.decode()
    assert "state-diagram.svg" in body


def test_a_rejected_document_replaced_by_a_newer_version_no_longer_needs_attention(
    case_a, facilitator, doctor1
):
    case = walk_to(case_a, "documents", facilitator)
    rejected = upload_document(case, "prescription", doctor1, accept=False)
    document_review(document=rejected, by=facilitator, status=ReviewStatus.REJECTED,
                    note="Unsigned")
    assert any(r.what == "Document rejected" for r in needs_attention(Case.objects.all()))
    upload_document(case, "prescription", doctor1, accept=False)  # the signed one, v2
    assert not any(r.what == "Document rejected" for r in needs_attention(Case.objects.all()))
