"""Every page a family, a doctor and a hospital admin read, in Hindi on a phone (375 px), each
checked with axe-core: the guardian status page (consent given and withdrawn), the sign-in
page, the doctor's case list, case page and reminders, the hospital's list and case page."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.models import Channel, Notification
from family import services
from tests.factories import CaseFactory, upload_document, walk_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}


def in_hindi_and_accessible(page: Page, journey, label: str) -> None:
    """The page says it is Hindi, its headings and header are in Devanagari, it fits the
    phone, and it has no serious axe-core violation."""
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    devanagari = re.compile(r"[\u0900-\u097F]")
    for heading in page.locator("main h2, header .site-name").all():
        expect(heading).to_contain_text(devanagari)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    widest = page.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .map((e) => [e.getBoundingClientRect().right, e.tagName + '.' + e.className + ' '
                         + (e.textContent || '').slice(0, 40)])
            .sort((a, b) => b[0] - a[0])[0]"""
    )
    assert overflow <= 1, f"the {label} is {overflow}px wider than the phone: {widest}"
    journey.shot(page, label)
    journey.check_a11y(page, label)


def test_the_guardian_page_in_hindi_on_a_phone(new_context, journey, facilitator, doctor1):
    from tests.factories import PatientFactory

    case = CaseFactory(
        patient=PatientFactory(full_name="Ishita Reddy", consent=False), doctor=doctor1.doctor
    )
    walk_to(case, "documents", facilitator)
    link = services.guardian_link_create(case=case, by=facilitator, language="hi")
    page = new_context(viewport=PHONE).new_page()

    page.goto(journey.url(f"/family/status/{services.link_token(link)}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ishita का मामला")
    expect(page.get_by_text("आयात परमिट के लिए दस्तावेज़ जुटाए जा रहे हैं।")).to_be_visible()
    expect(page.get_by_text("आपसे अभी भी ज़रूरी दस्तावेज़")).to_be_visible()
    in_hindi_and_accessible(page, journey, "guardian page")

    page.get_by_label("आपका पूरा नाम").fill("लक्ष्मी रेड्डी")
    page.get_by_label("बच्चे से आपका संबंध").fill("माँ")
    page.get_by_label("डिजीलॉकर टोकन").check()
    page.get_by_label(re.compile("गोपनीयता सूचना पढ़ ली है")).check()
    page.get_by_role("button", name="सहमति दें").click()
    expect(page.get_by_text("धन्यवाद: आपकी सहमति दर्ज कर ली गई है।")).to_be_visible()
    in_hindi_and_accessible(page, journey, "guardian page with consent")

    page.get_by_label(re.compile("सहमति वापस लेता")).check()
    page.get_by_role("button", name="सहमति वापस लें").click()
    expect(page.get_by_text(re.compile("आपकी सहमति वापस ले ली गई है"))).to_be_visible()
    in_hindi_and_accessible(page, journey, "guardian page after withdrawal")
    case.refresh_from_db()
    assert case.state == "on_hold"

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ishita's case")
    link.refresh_from_db()
    assert link.language == "en"


def test_the_portals_in_hindi_on_a_phone(
    new_context, journey, facilitator, doctor1, hospital1, case_a
):
    case = walk_to(case_a, "documents", facilitator)
    upload_document(case, "cbc", by=facilitator)
    Notification.objects.create(
        case=case,
        recipient=doctor1,
        kind="documents_missing",
        channel=Channel.IN_APP,
        due_at=timezone.now(),
        subject=f"{case.reference}: documents",
        body="-",
        dedupe_key="hindi-test",
        status=Notification.Status.SENT,
    )
    delivery = walk_to(CaseFactory(doctor=doctor1.doctor), "delivery", facilitator)
    page = new_context(viewport=PHONE).new_page()

    page.goto(journey.url("/accounts/login/"))
    page.get_by_role("button", name="हिन्दी").click()
    expect(page.get_by_role("heading", name="साइन इन करें")).to_be_visible()
    in_hindi_and_accessible(page, journey, "sign-in page")
    page.locator("#id_username").fill("doctor1")
    page.locator("#id_password").fill("demo-pass-2026")
    page.get_by_role("button", name="साइन इन करें").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("मेरे मामले")
    in_hindi_and_accessible(page, journey, "doctor case list")
    page.get_by_role("link", name=case.reference).click()
    expect(page.get_by_role("heading", name="अगले कदम के लिए ज़रूरी दस्तावेज़")).to_be_visible()
    in_hindi_and_accessible(page, journey, "doctor case page")
    page.get_by_role("link", name="रिमाइंडर").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("रिमाइंडर")
    in_hindi_and_accessible(page, journey, "doctor reminders")

    page.get_by_role("button", name="साइन आउट").click()
    page.goto(journey.url("/accounts/login/"))
    page.locator("#id_username").fill("hospital1")
    page.locator("#id_password").fill("demo-pass-2026")
    page.get_by_role("button", name="साइन इन करें").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("आपके अस्पताल के मामले")
    in_hindi_and_accessible(page, journey, "hospital case list")
    page.get_by_role("link", name=delivery.reference).click()
    expect(page.get_by_role("heading", name="प्राप्ति की पुष्टि करें और इन्फ़्यूज़न तय करें")).to_be_visible()
    in_hindi_and_accessible(page, journey, "hospital case page")
