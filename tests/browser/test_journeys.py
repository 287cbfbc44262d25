"""The three journeys of issue 6, in Chromium against the live server.

1. A facilitator signs in with their authenticator code, follows a "needs attention" row from
   the dashboard, is refused a transition with the guard's message, runs it, and builds an
   application packet whose progress bar reaches 100 % before the download link appears.
2. A doctor on a phone uploads a lab report from its checklist line and cannot open another
   doctor's case by typing its address.
3. A hospital admin confirms delivery and schedules the infusion; the timeline shows it.

Each visited page is saved under ``tests/artifacts/<test name>/`` and the main pages are
checked with axe-core (see conftest.py).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from cases.models import Case
from cases.services import case_apply
from documents.demo import simple_pdf
from documents.models import Document, DocumentType
from documents.packets.models import BuildStatus, PacketBuild
from tests import factories
from tests.factories import default_facts, give_documents, upload_document, walk_to

from .conftest import run_held_build, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}


def _local_input(moment: dt.datetime) -> str:
    """A datetime-local input's value in the site's time zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# --- 1. Facilitator ---------------------------------------------------------------------------


@pytest.fixture
def late_in_customs(case_a, facilitator):
    """Dispatched with an ETA six hours ago and still in customs; the shipping papers are on
    file, so only the bill of entry number stands between it and delivery."""
    case = walk_to(case_a, "approved", facilitator)
    give_documents(case, "customs", facilitator)
    facts = {**default_facts("dispatch"), "eta": timezone.now() - dt.timedelta(hours=6)}
    case = case_apply(case=case, transition="dispatch", by=facilitator, **facts)
    give_documents(case, "delivery", facilitator)
    return case


@pytest.fixture
def collecting_documents(doctor1, facilitator):
    """In document collection with every document the regulator needs accepted, but no
    application packet yet: the build button is what lets it go to the regulator."""
    case = walk_to(
        factories.CaseFactory(doctor=doctor1.doctor, facilitator=facilitator),
        "documents",
        facilitator,
    )
    for doc_type in DocumentType.objects.filter(required_before="regulatory_review"):
        upload_document(case, doc_type.code, facilitator)
    factories.give_regulatory_file(case, facilitator)  # what Form 12A prints of the applicant
    assert not case.documents.filter(document_type__code="application_packet").exists()
    return case


def test_facilitator_follows_the_dashboard_runs_a_transition_and_builds_a_packet(
    page, journey, facilitator, late_in_customs, collecting_documents, held_builds
):
    device = TOTPDevice.objects.create(user=facilitator, name="Phone", confirmed=True)
    journey.login(page, "facilitator", code=totp_code(device), check_a11y=True)

    # The admin index links to the dashboard.
    expect(page).to_have_url(re.compile(r"/admin/$"))
    journey.shot(page, "admin-index")
    page.get_by_role("link", name="Open the dashboard").click()
    expect(page.get_by_role("heading", name="Needs attention now")).to_be_visible()
    journey.shot(page, "dashboard")
    journey.check_a11y(page, "dashboard")

    # Needs attention: the ETA has passed and the kit is still in customs.
    row = page.locator("#npp-dashboard tr", has_text="ETA passed")
    expect(row).to_contain_text(late_in_customs.reference)
    row.get_by_role("link", name=late_in_customs.reference).click()
    expect(page.locator("#npp-state-heading")).to_contain_text(
        f"{late_in_customs.reference}: Customs"
    )
    journey.shot(page, "case-in-customs")
    journey.check_a11y(page, "admin case page")

    # Clear customs without the bill of entry number: refused, with the guard's reason.
    action = page.locator("details.npp-action", has=page.locator("#npp-action-clear_customs"))
    action.locator("summary").click()
    form = page.locator("#npp-action-clear_customs")
    form.get_by_role("button", name="Clear customs").click()
    errors = page.locator(".messagelist .error")
    expect(errors).to_contain_text("Clear customs refused: Enter the bill of entry number.")
    journey.shot(page, "clear-customs-refused")
    late_in_customs.refresh_from_db()
    assert late_in_customs.state == "customs"

    # The form comes back open; with the number it goes through.
    expect(form).to_be_visible()
    form.get_by_label("Bill of entry number").fill("7300042")
    form.get_by_role("button", name="Clear customs").click()
    expect(page.locator(".messagelist .success")).to_contain_text(
        f"Clear customs: {late_in_customs.reference} is now 'Delivery'."
    )
    expect(page.locator("#npp-state-heading")).to_contain_text("Delivery")
    journey.shot(page, "customs-cleared")
    late_in_customs.refresh_from_db()
    assert (late_in_customs.state, late_in_customs.bill_of_entry_number) == ("delivery", "7300042")

    # To the case collecting documents, through the pipeline chart and the filtered list.
    page.goto(journey.url(reverse("dashboard")))
    page.locator('#npp-dashboard svg a[href*="state__exact=documents"]').click()
    expect(page).to_have_url(re.compile(r"state__exact=documents"))
    journey.shot(page, "case-list-documents")
    page.get_by_role("link", name=collecting_documents.reference).click()
    expect(page.locator("#npp-state-heading")).to_contain_text(
        f"{collecting_documents.reference}: Document collection"
    )
    packet_row = page.locator("tr.npp-packet", has_text="Application packet")
    expect(packet_row).to_contain_text("Not built yet.")
    journey.shot(page, "case-collecting-documents")

    # Build the packet. While the test thread plays the worker, the browser's requests wait
    # in this route (their handler runs only when the test calls Playwright again), so the
    # live server never reads the database mid-build (on SQLite the two threads share one
    # connection).
    page.route("**/*", lambda route: route.continue_())
    packet_row.get_by_role("button", name="Build application packet").click()
    expect(page.locator(".messagelist")).to_contain_text(
        re.compile(r"Application packet: build #\d+ is queued\.")
    )
    bar = packet_row.locator("progress.npp-packet-progress")
    expect(bar).to_be_visible()
    expect(bar).to_have_js_property("value", 0)
    expect(packet_row.locator(".npp-packet-download")).to_be_hidden()
    journey.shot(page, "packet-queued")

    assert len(held_builds) == 1
    run_held_build(held_builds[0])

    # packets.js polls the status and moves the bar to 100 %, then shows the link.
    expect(bar).to_have_js_property("value", 100)
    expect(bar).to_be_visible()
    expect(packet_row.locator(".npp-packet-step")).to_have_text("Done.")
    download = packet_row.get_by_role("link", name="Download")
    expect(download).to_be_visible()
    journey.shot(page, "packet-built")
    page.unroute("**/*")

    build = PacketBuild.objects.get(pk=held_builds[0])
    assert (build.status, build.progress) == (BuildStatus.DONE, 100)
    response = page.request.get(journey.url(download.get_attribute("href")))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")
    journey.check_a11y(page, "admin case page with a built packet")


# --- 2. Doctor on a phone -----------------------------------------------------------------------


def test_doctor_on_a_phone_uploads_a_lab_report_and_cannot_open_another_doctors_case(
    new_context, journey, tmp_path, facilitator, doctor1, case_a, case_b
):
    case = walk_to(case_a, "documents", facilitator)
    pdf = tmp_path / "cbc-report.pdf"
    pdf.write_bytes(simple_pdf("Complete blood count", [case.reference, "Platelets 310 x10^3/uL"]))
    page = new_context(viewport=PHONE).new_page()

    journey.login(page, "doctor1", check_a11y=True)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    journey.shot(page, "my-cases")
    page.get_by_role("link", name=re.compile(re.escape(case.reference))).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)
    journey.shot(page, "case")
    journey.check_a11y(page, "doctor case page")

    cbc = DocumentType.objects.get(code="cbc")
    line = page.locator("#checklist li.line", has=page.get_by_role("heading", name=cbc.name))
    expect(line.locator(".status")).to_have_text("missing")
    line.locator("summary").click()
    line.get_by_label("File (PDF, JPEG or PNG)").set_input_files(str(pdf))
    line.get_by_label(re.compile("sample", re.I)).fill(
        (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    )
    line.get_by_label(re.compile("platelets", re.I)).fill("310")
    journey.shot(page, "upload-form-filled")
    line.get_by_role("button", name="Upload").click()

    expect(page.get_by_role("status")).to_contain_text(
        f"Uploaded {cbc.name}, version 1 (cbc-report.pdf); it now waits for review."
    )
    expect(line.locator(".status")).to_have_text("pending review")
    journey.shot(page, "lab-report-pending-review")
    journey.check_a11y(page, "doctor case page after an upload")
    document = Document.objects.get(case=case, document_type=cbc)
    assert (document.uploaded_by, document.review_status) == (doctor1, "pending")

    # Another doctor's case, by typing its address: not found, and nothing of it shown.
    response = page.goto(journey.url(reverse("portal:doctor_case", args=[case_b.pk])))
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not Found")).to_be_visible()
    assert case_b.reference not in page.content()
    assert case_b.patient.full_name not in page.content()
    journey.shot(page, "another-doctors-case-404")


# --- 3. Hospital admin --------------------------------------------------------------------------


def test_hospital_admin_confirms_delivery_and_the_timeline_shows_the_infusion_scheduled(
    page, journey, facilitator, hospital1, case_a
):
    # Delivered to the pharmacy: receipt and temperature log on file and accepted, so the
    # form's file is optional; the labs walk_to uploaded are two days old.
    case = walk_to(case_a, "delivery", facilitator)
    give_documents(case, "infusion_scheduled", facilitator)

    journey.login(page, "hospital1")
    journey.shot(page, "hospital-cases")
    page.get_by_role("link", name=re.compile(re.escape(case.reference))).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)
    timeline = page.locator(".npp-timeline")
    expect(timeline.locator("text.npp-chart-label", has_text="Delivery")).to_be_visible()
    expect(timeline.locator("text.npp-chart-label", has_text="Infusion scheduled")).to_have_count(0)
    journey.shot(page, "case-in-delivery")
    journey.check_a11y(page, "hospital case page")

    now = timezone.now()
    form = page.locator("#confirm-delivery")
    form.get_by_label(re.compile("received at", re.I)).fill(
        _local_input(now - dt.timedelta(hours=2))
    )
    form.get_by_label(re.compile("received by", re.I)).fill("Pharmacist R. Nair")
    form.get_by_label(re.compile("temperature on arrival", re.I)).select_option(label="Yes")
    form.get_by_label(re.compile("infusion scheduled", re.I)).fill(
        _local_input(now + dt.timedelta(days=3))
    )
    journey.shot(page, "confirm-form-filled")
    form.get_by_role("button", name="Confirm receipt and schedule").click()

    expect(page.get_by_role("status").first).to_contain_text(
        f"{case.reference} is now 'Infusion scheduled'."
    )
    expect(timeline.locator("text.npp-chart-label", has_text="Infusion scheduled")).to_be_visible()
    expect(timeline.locator("figcaption")).to_contain_text("Infusion:")
    expect(page.locator("#confirm-delivery")).to_have_count(0)
    journey.shot(page, "infusion-scheduled")
    journey.check_a11y(page, "hospital case page after confirming")

    case = Case.objects.get(pk=case.pk)
    assert (case.state, case.received_by) == ("infusion_scheduled", "Pharmacist R. Nair")


def test_on_a_phone_a_refused_confirmation_stores_nothing_and_says_so(
    new_context, journey, facilitator, hospital1, case_a, tmp_path
):
    """Issue 13 item 1: a refused confirmation kept the files that came with it."""
    case = walk_to(case_a, "delivery", facilitator)
    documents_before = Document.objects.filter(case=case).count()
    pdf = tmp_path / "logger.pdf"
    pdf.write_bytes(simple_pdf("Temperature logger", ["min -78 C, max -71 C"]))
    page = new_context(viewport=PHONE).new_page()
    journey.login(page, "hospital1")
    page.goto(journey.url(reverse("portal:hospital_case", args=[case.pk])))

    now = timezone.now()
    form = page.locator("#confirm-delivery")
    form.get_by_label(re.compile("received at", re.I)).fill(
        _local_input(now - dt.timedelta(hours=2))
    )
    form.get_by_label(re.compile("received by", re.I)).fill("Pharmacist R. Nair")
    form.get_by_label(re.compile("temperature on arrival", re.I)).select_option(label="Yes")
    form.get_by_label(re.compile("infusion scheduled", re.I)).fill(
        _local_input(now + dt.timedelta(days=15))
    )  # past the 14 x 24 hours
    form.get_by_label(re.compile("Temperature-logger report")).set_input_files(str(pdf))
    form.get_by_label(re.compile("Delivery receipt")).set_input_files(str(pdf))
    form.get_by_role("button", name="Confirm receipt and schedule").click()

    expect(page.locator("main")).to_contain_text("within 14 x 24 hours of receipt")
    expect(page.locator("main")).to_contain_text("Nothing was saved")
    journey.shot(page, "phone-refused-confirmation")
    journey.check_a11y(page, "hospital case page after a refused confirmation")
    assert Document.objects.filter(case=case).count() == documents_before
    assert Case.objects.get(pk=case.pk).state == "delivery"
