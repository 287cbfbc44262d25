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


def _overflow(browser, user, path: str) -> int:
    """How many pixels ``path`` is wider than a phone, with every upload form open."""
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
