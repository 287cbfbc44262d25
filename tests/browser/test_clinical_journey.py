"""Issue 15's journey: doctor1, on a phone, enters a week-1 panel with a high ALT; the
facilitator sees the safety signal on the dashboard."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from cases.services import case_apply
from clinical.models import LabValue, SafetySignal
from tests import factories
from tests.factories import reweigh_on_infusion_day, walk_to

from .conftest import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def infused_a_week_ago(doctor1, facilitator):
    """Built a week ago (the browser keeps real time, so the test does not travel): infused
    then, so week 1's slot is due today."""
    then = timezone.now() - dt.timedelta(days=7)
    with time_machine.travel(then):
        case = factories.CaseFactory(doctor=doctor1.doctor, facilitator=facilitator)
        case = walk_to(case, "infusion_scheduled", facilitator)
        infused_at = then - dt.timedelta(hours=1)
        reweigh_on_infusion_day(case, infused_at)
        return case_apply(
            case=case,
            transition="record_infusion",
            by=facilitator,
            infused_at=infused_at,
            kit_lot_numbers="AVX001A",
        )


def test_doctor_enters_a_week_1_panel_with_a_high_alt_and_the_facilitator_sees_the_signal(
    new_context, journey, facilitator, doctor1, infused_a_week_ago
):
    case = infused_a_week_ago
    page = new_context(viewport=PHONE).new_page()
    journey.login(page, "doctor1")
    page.get_by_role("link", name=re.compile(re.escape(case.reference))).first.click()
    page.get_by_role("link", name=re.compile("Monitoring: results")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("after the infusion")
    journey.shot(page, "monitoring-before")
    journey.check_a11y(page, "monitoring page")

    page.get_by_role("link", name=re.compile(r"Enter results\s+week 1$")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Week 1 results")
    values = {
        "ALT": "190",
        "AST": "70",
        "Total bilirubin": "0.5",
        "Prothrombin time (PT)": "12",
        "Platelet count": "280",
        "Troponin-I": "0.01",
    }
    for label, value in values.items():
        page.locator(f"#row-{_row_id(label)}").get_by_label(label, exact=True).fill(value)
    page.locator("#row-alt").get_by_label("ULN").fill("40")
    page.locator("#row-ast").get_by_label("ULN").fill("40")
    page.get_by_label("Lab").fill("City Diagnostics")
    page.get_by_label("I checked for signs of TMA").check()
    journey.shot(page, "week-1-grid-filled")
    journey.check_a11y(page, "week 1 grid")
    page.get_by_role("button", name="Save results").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "Safety signal opened: ALT 190 is above 2 x ULN (80)."
    )
    expect(page.locator(".slot-done")).to_contain_text("Week 1")
    expect(page.locator(".signal-open")).to_contain_text("ALT 190")
    journey.shot(page, "signal-opened")
    assert LabValue.objects.filter(case=case, slot="week_1").count() == 6
    signal = SafetySignal.objects.get(case=case)
    assert signal.is_open

    # The facilitator's dashboard lists it.
    desk = new_context().new_page()
    device = TOTPDevice.objects.create(user=facilitator, name="Phone", confirmed=True)
    journey.login(desk, "facilitator", code=totp_code(device))
    desk.goto(journey.url("/dashboard/"))
    section = desk.locator("section", has=desk.get_by_role("heading", name="Open safety signals"))
    expect(section).to_contain_text(case.reference)
    expect(section).to_contain_text("ALT 190 is above 2 x ULN (80).")
    journey.shot(desk, "dashboard-signal")
    journey.check_a11y(desk, "dashboard with a signal")


def _row_id(label: str) -> str:
    return {
        "ALT": "alt",
        "AST": "ast",
        "Total bilirubin": "total_bilirubin",
        "Prothrombin time (PT)": "pt",
        "Platelet count": "platelets",
        "Troponin-I": "troponin_i",
    }[label]
