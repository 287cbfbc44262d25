"""The facilitator's dashboard: the pipeline, what needs attention, this week, where cases wait
and the 2nd birthdays at risk; a fixed number of queries and rows whatever the number of cases."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from cases.services import case_apply
from dashboard import checks, next_deadlines, selectors, stages
from dashboard.models import Statistics
from dashboard.selectors import needs_attention, pipeline, this_week
from dashboard.tasks import refresh_statistics_task
from documents.models import ReviewStatus
from documents.services import document_review
from tests.factories import (
    MAIN_LINE_TRANSITIONS,
    CaseFactory,
    FacilitatorFactory,
    PatientFactory,
    WeightMeasurementFactory,
    step,
    upload_document,
    walk_to,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_statistics(settings):
    """Every test computes the days per stage and the prediction anew (unless it says)."""
    settings.NPP_DASHBOARD_STATS_SECONDS = 0


def section(sections, key: str) -> selectors.Section:
    found = next(s for s in sections if s.key == key)
    selectors.attach_cases([found])
    return found


def refs(found: selectors.Section) -> set[str]:
    return {row.case.reference for row in found.rows}


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


def test_dashboard_and_deadlines_are_for_facilitators_only(client, doctor1, hospital1):
    for user in (doctor1, hospital1):
        client.force_login(user)
        for name in ("dashboard", "dashboard-deadlines"):
            assert client.get(reverse(name)).status_code in (302, 403)


def test_needs_attention_lists_eta_passed_cold_chain_and_rejected_documents(
    case_a, case_b, facilitator, doctor1
):
    in_customs = walk_to(case_a, "customs", facilitator)
    scheduled = walk_to(case_b, "infusion_scheduled", facilitator)
    third = walk_to(
        CaseFactory(doctor=doctor1.doctor, facilitator=facilitator), "documents", facilitator
    )
    rejected = upload_document(third, "prescription", doctor1, accept=False)
    document_review(
        document=rejected, by=facilitator, status=ReviewStatus.REJECTED, note="Unsigned"
    )

    later = in_customs.eta + dt.timedelta(hours=1)
    sections = needs_attention(Case.objects.all(), later)

    assert refs(section(sections, "eta_passed")) == {in_customs.reference}
    cold = section(sections, "cold_chain")
    assert refs(cold) == {scheduled.reference}
    assert cold.rows[0].due_at == scheduled.received_at + dt.timedelta(days=14)
    assert refs(section(sections, "rejected")) == {third.reference}
    assert all(row.href.startswith("/admin/cases/case/") for s in sections for row in s.rows)


def test_a_stage_past_its_limit_needs_attention(case_a, facilitator):
    walk_to(case_a, "documents", facilitator)

    overdue = section(
        needs_attention(Case.objects.all(), timezone.now() + dt.timedelta(15)), "stage_overdue"
    )

    assert overdue.count == 1
    assert (overdue.rows[0].what, overdue.rows[0].detail) == (
        "Stage overdue",
        "Document collection: expected within 14 days",
    )


def test_a_case_on_hold_is_not_overdue_in_its_stage(case_a, facilitator):
    case = walk_to(case_a, "documents", facilitator)
    case_apply(case=case, transition="hold", by=facilitator, hold_reason="Funding.")

    later = timezone.now() + dt.timedelta(days=30)
    assert section(needs_attention(Case.objects.all(), later), "stage_overdue").count == 0


def test_a_second_birthday_within_60_days_needs_attention(facilitator, doctor1):
    near = CaseFactory(
        patient=PatientFactory(
            date_of_birth=timezone.localdate().replace(year=timezone.localdate().year - 2)
            + dt.timedelta(days=59)
        ),
        doctor=doctor1.doctor,
        facilitator=facilitator,
    )
    CaseFactory(
        patient=PatientFactory(
            date_of_birth=timezone.localdate().replace(year=timezone.localdate().year - 2)
            + dt.timedelta(days=61)
        ),
        doctor=doctor1.doctor,
        facilitator=facilitator,
    )

    found = section(needs_attention(Case.objects.all(), timezone.now()), "second_birthday")

    assert refs(found) == {near.reference}


def test_eligibility_failing_among_the_cases_nearest_their_infusion(case_a, facilitator):
    case = walk_to(case_a, "approved", facilitator)
    case.patient.active_infection = True
    case.patient.save()

    found = section(needs_attention(Case.objects.all(), timezone.now()), "eligibility")

    assert refs(found) == {case.reference}
    assert "No active infection" in found.rows[0].detail


def test_this_week_shows_the_infusion_the_prednisolone_start_and_the_tests(
    case_a, case_b, facilitator
):
    case = walk_to(case_a, "infusion_scheduled", facilitator)
    infused = walk_to(case_b, "monitoring", facilitator)

    week = this_week(Case.objects.all(), timezone.now())

    assert refs(section(week, "infusions")) == {case.reference}
    start = section(week, "prednisolone")
    assert start.rows[0].due_on == timezone.localdate(case.infusion_scheduled_at) - dt.timedelta(1)
    tests = section(week, "tests")
    assert refs(tests) == {infused.reference}
    assert tests.count == 3  # week 1: liver, platelets, troponin-I
    assert tests.rows[0].what.startswith("Liver function tests")


def test_stage_durations_give_median_and_90th_percentile_days(facilitator, doctor1):
    start = timezone.now() - dt.timedelta(days=40)
    for days_in_documents in (2, 4, 10):
        with time_machine.travel(start, tick=False):
            case = CaseFactory(doctor=doctor1.doctor, facilitator=facilitator)
            case = walk_to(case, "documents", facilitator)
        with time_machine.travel(start + dt.timedelta(days=days_in_documents), tick=False):
            walk_to(case, "regulatory_review", facilitator)
    rows = {r["state"]: r for r in stages.stage_durations(Case.objects.all(), timezone.now())}
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
    assert section(needs_attention(Case.objects.all(), timezone.now()), "rejected").count == 1
    upload_document(case, "prescription", doctor1, accept=False)  # the signed one, v2
    assert section(needs_attention(Case.objects.all(), timezone.now()), "rejected").count == 0


# --- The 2nd birthday against the predicted infusion -------------------------------------------

DAYS = {
    "application": 2,
    "documents": 10,
    "regulatory_review": 3,
    "approved": 4,
    "customs": 2,
    "delivery": 1,
    "infusion_scheduled": 2,
}


def closed_case(doctor1, facilitator, start: dt.datetime):
    """A case that spent ``DAYS`` in each stage before its infusion, then closed."""
    with time_machine.travel(start, tick=False) as clock:
        case = CaseFactory(doctor=doctor1.doctor, facilitator=facilitator)
        for name, target in MAIN_LINE_TRANSITIONS:
            clock.move_to(timezone.now() + dt.timedelta(days=DAYS.get(case.state, 90)))
            if name == "dispatch":
                WeightMeasurementFactory(patient=case.patient)
            case = step(case, name, target, facilitator)
    return case


def turning_two_in(days: int) -> dt.date:
    birthday = timezone.localdate() + dt.timedelta(days=days)
    return birthday.replace(year=birthday.year - 2)


def test_a_birthday_before_the_predicted_infusion_is_counted_with_its_basis(facilitator, doctor1):
    closed_case(doctor1, facilitator, timezone.now() - dt.timedelta(days=200))
    with time_machine.travel(timezone.now() - dt.timedelta(days=1), tick=False):
        cases = [
            walk_to(
                CaseFactory(
                    patient=PatientFactory(date_of_birth=turning_two_in(d)),
                    doctor=doctor1.doctor,
                    facilitator=facilitator,
                ),
                "documents",
                facilitator,
            )
            for d in (15, 30)
        ]
    # In documents for a day: 9 days left of its median 10, then 3 + 4 + 2 + 1 + 2 = 21 days.

    risk = selectors.birthday_risk(Case.objects.all(), timezone.now())
    selectors.attach_cases([risk])

    assert risk.count == 1
    assert refs(risk) == {cases[0].reference}
    assert "over the 1 case closed since" in risk.note
    assert "Document collection 10.0" in risk.note
    assert risk.extra["prediction"].after("documents") == 12.0


def test_without_closed_cases_the_prediction_says_it_uses_the_expected_durations():
    found = stages.prediction(timezone.now())

    assert found.closed == 0
    assert "the expected duration from the settings stands in" in found.basis()
    assert found.medians["documents"] == 14.0


# --- Fixed size ------------------------------------------------------------------------------------


def dashboard_queries(client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return len(captured), len(response.content)


def test_the_dashboard_makes_the_same_queries_and_rows_for_few_cases_or_many(
    client, facilitator, doctor1
):
    client.force_login(facilitator)
    for state in ("documents", "customs", "infusion_scheduled", "monitoring", "approved"):
        walk_to(CaseFactory(doctor=doctor1.doctor, facilitator=facilitator), state, facilitator)
    few, _ = dashboard_queries(client)
    with time_machine.travel(timezone.now() - dt.timedelta(days=20), tick=False):
        for _ in range(8):
            for state in ("documents", "customs", "approved"):
                walk_to(
                    CaseFactory(doctor=doctor1.doctor, facilitator=facilitator), state, facilitator
                )
    many, _size = dashboard_queries(client)

    assert few == many
    overdue = section(needs_attention(Case.objects.all(), timezone.now()), "stage_overdue")
    assert (overdue.count, len(overdue.rows)) == (24, selectors.TOP)
    body = client.get(reverse("dashboard")).content.decode()
    assert f'href="{overdue.href.replace("&", "&amp;")}">All 24 &rarr;' in body
    assert body.count('<tr class="npp-sev-') <= 11 * selectors.TOP  # 11 lists at most


# --- The next-deadlines list -----------------------------------------------------------------------


def test_next_deadlines_lists_my_cases_soonest_first_and_filters(client, facilitator, doctor1):
    other = FacilitatorFactory(username="other")
    mine = walk_to(
        CaseFactory(doctor=doctor1.doctor, facilitator=facilitator), "customs", facilitator
    )
    theirs = walk_to(CaseFactory(doctor=doctor1.doctor, facilitator=other), "customs", other)
    client.force_login(facilitator)

    body = client.get(reverse("dashboard-deadlines")).content.decode()
    everyone = client.get(reverse("dashboard-deadlines"), {"facilitator": "all"}).content.decode()
    etas = client.get(reverse("dashboard-deadlines"), {"code": "eta"}).content.decode()

    assert mine.reference in body
    assert theirs.reference not in body
    assert theirs.reference in everyone
    table = body[body.index("<tbody>") :]
    assert (
        table.index("Kit due (ETA)")
        < table.index("Customs: expected within 5 days")
        < table.index("Form 12B permit valid until")
        < table.index("2nd birthday: infuse before")
    )
    etas = etas[etas.index("<tbody>") :]
    assert "Kit due (ETA)" in etas
    assert "2nd birthday: infuse" not in etas


def test_next_deadlines_pages_count_every_clock_once_and_past_the_end_show_the_last(
    client, facilitator, doctor1, monkeypatch
):
    monkeypatch.setattr(next_deadlines, "PAGE_SIZE", 4)
    for _ in range(3):
        walk_to(CaseFactory(doctor=doctor1.doctor, facilitator=facilitator), "customs", facilitator)
    client.force_login(facilitator)
    everything = next_deadlines.listing(
        {}, Case.objects.all(), user=facilitator, now=timezone.now()
    )
    total = everything.page.paginator.count

    pages = [
        next_deadlines.listing(
            {"page": str(n)}, Case.objects.all(), user=facilitator, now=timezone.now()
        ).items
        for n in range(1, everything.page.paginator.num_pages + 1)
    ]
    seen = [(i.case.pk, i.deadline.code, i.label) for items in pages for i in items]
    days = [i.due_on for items in pages for i in items]
    past = client.get(reverse("dashboard-deadlines"), {"page": "999"}).content.decode()
    junk = client.get(reverse("dashboard-deadlines"), {"page": "x"}).content.decode()
    huge = client.get(reverse("dashboard-deadlines"), {"page": "9" * 20}).content.decode()

    assert total >= 9  # ETA, customs stage, permit and 2nd birthday of each case
    assert len(seen) == len(set(seen)) == total  # no clock twice, none left out
    assert days == sorted(days)
    assert f"{total} clocks, soonest first." in past
    last = everything.page.paginator.num_pages
    assert f"Page {last} of {last}" in past
    assert f"Page 1 of {last}" in junk
    assert f"Page {last} of {last}" in huge  # not an overflow in SQL


def test_next_deadlines_shows_a_paused_stage_and_hides_it_from_overdue(client, facilitator, case_a):
    case = walk_to(case_a, "documents", facilitator)
    case_apply(case=case, transition="hold", by=facilitator, hold_reason="Funding.")
    client.force_login(facilitator)

    listed = client.get(reverse("dashboard-deadlines"), {"code": "stage_expected"})
    overdue = client.get(
        reverse("dashboard-deadlines"), {"code": "stage_expected", "when": "overdue"}
    )

    assert "<strong>paused</strong> (14 left)" in listed.content.decode()
    assert case.reference not in overdue.content.decode()


def statistics_computed(client, url: str = "") -> bool:
    """Whether the dashboard computed the statistics over months for this request (it reads
    every stay of every case's history to do so)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url or reverse("dashboard"))
    assert response.status_code == 200
    return any("stay_days" in q["sql"] for q in captured.captured_queries)


def test_after_the_periodic_refresh_no_page_request_computes_the_statistics(
    client, facilitator, doctor1, settings
):
    settings.NPP_DASHBOARD_STATS_SECONDS = 600
    closed_case(doctor1, facilitator, timezone.now() - dt.timedelta(days=200))
    client.force_login(facilitator)

    refresh_statistics_task()  # what beat has a worker run

    assert not statistics_computed(client)
    body = client.get(reverse("dashboard")).content.decode()
    assert f"As of {timezone.localtime():%d %b %Y}" in body
    # Read back as computed: the prediction's basis, the days per stage with their labels.
    risk = selectors.birthday_risk(Case.objects.all(), timezone.now())
    assert risk.note == stages.prediction(timezone.now()).basis()
    assert "over the 1 case closed since" in risk.note
    _, durations = stages.kept("durations", Case.objects.all(), timezone.now())
    assert durations == stages.stage_durations(Case.objects.all(), timezone.now())


def test_statistics_older_than_the_setting_are_recomputed_and_kept_again(
    client, facilitator, settings
):
    settings.NPP_DASHBOARD_STATS_SECONDS = 600
    client.force_login(facilitator)
    with time_machine.travel(timezone.now() - dt.timedelta(minutes=11)):
        refresh_statistics_task()

    assert statistics_computed(client)  # older than 10 minutes
    assert not statistics_computed(client)  # kept by the request before
    assert Statistics.objects.filter(name="durations", scope="").count() == 1


def test_a_filtered_dashboard_keeps_its_own_days_per_stage(client, facilitator, settings):
    settings.NPP_DASHBOARD_STATS_SECONDS = 600
    client.force_login(facilitator)
    refresh_statistics_task()
    url = reverse("dashboard") + f"?facilitator={facilitator.pk}"

    assert statistics_computed(client, url)
    assert not statistics_computed(client, url)
    assert Statistics.objects.filter(name="durations").count() == 2  # every case; this filter

    with time_machine.travel(timezone.now() + dt.timedelta(days=1, minutes=1)):
        refresh_statistics_task()  # a filter nobody asked for in a day is forgotten
    assert list(Statistics.objects.values_list("scope", flat=True).distinct()) == [""]


def test_with_the_setting_at_zero_every_page_computes_the_statistics(client, facilitator):
    client.force_login(facilitator)  # the autouse fixture sets NPP_DASHBOARD_STATS_SECONDS = 0
    refresh_statistics_task()

    assert statistics_computed(client)
    assert statistics_computed(client)


def test_the_settings_as_shipped_refresh_the_statistics_before_they_age(settings):
    from django.core.management import call_command

    from npp.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["refresh-dashboard-statistics"]
    assert entry["task"] in app.tasks
    assert checks.statistics_refreshed_before_they_age() == []  # 0 here: pages compute
    settings.NPP_DASHBOARD_STATS_SECONDS = 600
    assert checks.statistics_refreshed_before_they_age() == []  # 300 s < 600 s
    settings.NPP_DASHBOARD_STATS_SECONDS = 120
    warned = checks.statistics_refreshed_before_they_age()
    assert [w.id for w in warned] == ["dashboard.W001"]
    call_command("check")  # a warning, not an error: the server still starts
