"""Doctors upload from phones: the portal's pages fit a 375px-wide screen.

Pages are rendered by Django's test client first (inside the test's rolled-back transaction)
and then handed to Chromium through a Playwright route, with our stylesheet from the static
finders: no live server, nothing loaded from the internet.
"""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse

from tests.factories import walk_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

PHONE = {"width": 375, "height": 812}
ORIGIN = "http://portal.test"
STATIC = static("")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Debian's Chromium, not a downloaded Playwright build.
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium"}


def _phone_page(browser, user, path: str):
    """``path`` as ``user`` sees it, open in Chromium at a phone's size."""
    client = Client()
    if user is not None:
        client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200, path

    def answer(route):
        url = route.request.url.removeprefix(ORIGIN)
        if url.startswith(STATIC):
            route.fulfill(path=finders.find(url.removeprefix(STATIC)))
        elif url == path:
            route.fulfill(status=200, content_type="text/html", body=response.content)
        else:
            route.abort()

    page = browser.new_context(viewport=PHONE).new_page()
    page.route(f"{ORIGIN}/**", answer)
    page.goto(ORIGIN + path)
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui")
    return page


def _overflow(browser, user, path: str) -> int:
    """How many pixels ``path`` is wider than a phone, with every upload form open."""
    page = _phone_page(browser, user, path)
    for summary in page.locator("details summary").all():
        summary.click()
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_doctor_pages_fit_a_phone(browser, doctor1, facilitator, case_a):
    case = walk_to(case_a, "documents", facilitator)
    assert _overflow(browser, doctor1, reverse("portal:doctor_cases")) <= 0
    assert _overflow(browser, doctor1, reverse("portal:doctor_case", args=[case.pk])) <= 0


def test_hospital_pages_fit_a_phone(browser, hospital1, facilitator, case_a):
    case = walk_to(case_a, "delivery", facilitator)
    assert _overflow(browser, hospital1, reverse("portal:hospital_cases")) <= 0
    assert _overflow(browser, hospital1, reverse("portal:hospital_case", args=[case.pk])) <= 0


def test_login_page_fits_a_phone(browser):
    assert _overflow(browser, None, reverse("login")) <= 0


# Every link, button, summary and control outside running text must be at least 24 x 24 CSS
# pixels on a phone (WCAG 2.2, 2.5.8); links inside a sentence are exempt.
SMALL_TARGETS = """
[...document.querySelectorAll('main a, main button, main summary, main select, main input')]
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => !(el.tagName === 'A' && el.closest('p')))
  .filter(el => { const r = el.getBoundingClientRect(); return r.height < 24 || r.width < 24; })
  .map(el => el.outerHTML.slice(0, 80))
"""


def test_doctor_page_puts_what_to_do_first_and_every_target_is_big_enough(
    browser, doctor1, facilitator, case_a
):
    case = walk_to(case_a, "documents", facilitator)
    page = _phone_page(browser, doctor1, reverse("portal:doctor_case", args=[case.pk]))
    headings = page.locator("main h2").all_inner_texts()
    # The checklist (what the doctor uploads) before the dose, eligibility and the timeline.
    checklist = next(i for i, h in enumerate(headings) if "ocument" in h)
    assert checklist < headings.index("Timeline"), headings
    assert page.evaluate(SMALL_TARGETS) == []


def test_hospital_list_puts_the_case_to_confirm_first(browser, hospital1, facilitator, case_a):
    from tests.factories import CaseFactory

    waiting = walk_to(case_a, "delivery", facilitator)
    for _ in range(2):  # newer cases of the same hospital, not waiting on it
        CaseFactory(doctor=case_a.doctor, facilitator=facilitator)
    page = _phone_page(browser, hospital1, reverse("portal:hospital_cases"))
    first = page.locator("table.cases tbody tr").first.inner_text()
    assert waiting.reference in first
    assert page.evaluate(SMALL_TARGETS) == []


def test_on_a_phone_the_doctor_list_shows_what_is_theirs_and_who_owes_the_rest(
    browser, doctor1, facilitator, case_a
):
    """Issue 13 item 3, as a doctor sees it on a phone."""
    walk_to(case_a, "approved", facilitator)  # next: customs papers, none of them his
    page = _phone_page(browser, doctor1, reverse("portal:doctor_cases"))
    row = page.locator("table.cases tbody tr").first
    assert "Nothing for you now" in row.inner_text()
    waiting = row.locator('[data-label="Waiting on others"]').inner_text()
    assert "Regulator (CDSCO)" in waiting  # the Form 12B, with who owes it
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_on_a_phone_the_infusion_given_replaces_the_plan(
    browser, hospital1, doctor1, facilitator, case_a
):
    """Issue 13 item 5, on the hospital's list and the doctor's case page."""
    import datetime as dt

    from django.utils import timezone

    from cases.services import case_apply
    from tests.factories import reweigh_on_infusion_day

    case = walk_to(case_a, "infusion_scheduled", facilitator)
    given = timezone.now() - dt.timedelta(minutes=30)
    reweigh_on_infusion_day(case, given)
    case = case_apply(
        case=case,
        transition="record_infusion",
        by=facilitator,
        infused_at=given,
        kit_lot_numbers="AVX001A",
    )
    listing = _phone_page(browser, hospital1, reverse("portal:hospital_cases")).inner_text("main")
    assert f"infusion given {timezone.localtime(given):%d %b %Y}" in listing
    assert "infusion scheduled" not in listing
    detail = _phone_page(browser, doctor1, reverse("portal:doctor_case", args=[case.pk]))
    assert "Infusion given" in detail.inner_text("main")
