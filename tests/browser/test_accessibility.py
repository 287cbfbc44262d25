"""axe-core itself: installed, injectable under the site's CSP, and able to fail a page.

The journeys (test_journeys.py) check the main pages as they walk through them; when axe-core
is missing they run without those checks, and this test is where the skip (and how to fix
it) shows in the report.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import NO_AXE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_axe_core_is_installed_and_checks_pages(page, journey):
    if journey.axe_source is None:
        pytest.skip(NO_AXE + " (the journeys ran without their accessibility checks)")
    page.goto(journey.url("/accounts/login/"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    journey.check_a11y(page, "login page")
    assert journey.checked == ["login page"]

    # The check fails a page that has a serious violation (an unlabelled field).
    page.evaluate("""() => {
        const input = document.createElement('input');
        input.type = 'text';
        document.querySelector('main').append(input);
    }""")
    with pytest.raises(AssertionError, match="label"):
        journey.check_a11y(page, "login page with an unlabelled field")
