"""The facilitator's dashboard: the pipeline, what needs attention, this week, stage durations."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from dashboard.selectors import needs_attention, pipeline, stage_durations, this_week
from documents.models import ReviewStatus
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
    assert "<svg" in body
    assert "Cases in each state" in body
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
    document_review(
        document=rejected, by=facilitator, status=ReviewStatus.REJECTED, note="Unsigned"
    )

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


def test_the_help_page_shows_the_state_diagram(client, facilitator):
    client.force_login(facilitator)
    body = client.get(reverse("dashboard-help")).content.decode()
    assert "state-diagram.svg" in body


def test_a_rejected_document_replaced_by_a_newer_version_no_longer_needs_attention(
    case_a, facilitator, doctor1
):
    case = walk_to(case_a, "documents", facilitator)
    rejected = upload_document(case, "prescription", doctor1, accept=False)
    document_review(
        document=rejected, by=facilitator, status=ReviewStatus.REJECTED, note="Unsigned"
    )
    assert any(r.what == "Document rejected" for r in needs_attention(Case.objects.all()))
    upload_document(case, "prescription", doctor1, accept=False)  # the signed one, v2
    assert not any(r.what == "Document rejected" for r in needs_attention(Case.objects.all()))
