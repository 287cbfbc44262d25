"""Issue 17 item 5 in Chromium: a hospital admin on a phone uploads the logger's CSV export at
receipt; the page shows what it says, the curve with its limit, and (for an excursion) that the
case is on hold. Checked with axe-core and for sideways scrolling."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.coldchain.samples import ELPRO_LIKE, GENERIC
from tests.factories import walk_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (ELPRO_LIKE, "Logger file read: 4 readings"),
        (GENERIC, "is on hold until the manufacturer decides"),
    ],
    ids=["clean", "excursion"],
)
def test_a_hospital_admin_on_a_phone_uploads_the_logger_file(
    new_context, journey, tmp_path, facilitator, hospital1, case_a, content, says
):
    case = walk_to(case_a, "delivery", facilitator)
    page = new_context(viewport=PHONE).new_page()
    journey.login(page, "hospital1")
    page.goto(journey.url(reverse("portal:hospital_case", args=[case.pk])))
    panel = page.locator("#cold-chain")
    expect(panel.get_by_role("heading", name="Cold chain: the temperature logger")).to_be_visible()
    journey.check_a11y(page, "hospital case page with the logger upload")

    csv = tmp_path / "logger.csv"
    csv.write_text(content)
    panel.get_by_label("Logger's CSV export").set_input_files(str(csv))
    panel.get_by_role("button", name="Upload and read the logger file").click()

    expect(page.get_by_text(says)).to_be_visible()
    expect(page.get_by_role("img", name="Temperature recorded by the logger")).to_be_visible()
    journey.shot(page, "after upload")
    journey.check_a11y(page, "hospital case page with the logger record")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
