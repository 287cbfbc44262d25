"""axe-core finds no serious or critical violation on the pages of the three desks (issue 13).

On the seeded demo (``seed_demo``, one case in every state), in Chromium: for the facilitator
the admin index, the case list, case pages in several states (and with every action opened),
the documents list, a patient page, the dashboard and its help page; for the doctors and
hospital admins their case list, case pages in several states (a hospital admin's with and
without clinical access), an opened upload form and their reminders (after one reminder
sweep, as ``make run`` does); the sign-in page. Every page is saved under
``tests/artifacts/<test name>/``; all pages are checked before the test fails, and the
failure lists each page's violations.
"""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from cases.models import Case

from .conftest import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The demo's patients, by the state their case is in (npp/management/commands/seed_demo.py).
FACILITATOR_CASES = {
    "application": "Aarav Sharma",
    "documents, with rejected, pending and expired lines": "Ishita Reddy",
    "regulatory review": "Ananya Iyer",
    "delivery": "Anika Hegde",
    "infusion scheduled, clinical access granted": "Saanvi Joshi",
    "monitoring": "Advik Menon",
    "closed": "Kiara Das",
    "on hold": "Diya Bose",
}
DOCTOR_CASES = {  # (doctor, patient)
    "application": ("doctor1", "Aarav Sharma"),
    "documents": ("doctor1", "Ishita Reddy"),
    "delivery": ("doctor1", "Anika Hegde"),
    "monitoring": ("doctor2", "Advik Menon"),
    "closed": ("doctor1", "Kiara Das"),
    "rejected": ("doctor2", "Ayaan Khan"),
}
HOSPITAL_CASES = {  # (hospital admin, patient)
    "delivery, to confirm": ("hospital1", "Anika Hegde"),
    "infusion scheduled": ("hospital1", "Saanvi Joshi"),
    "documents": ("hospital1", "Ishita Reddy"),
    "monitoring": ("hospital2", "Advik Menon"),
    "closed": ("hospital1", "Kiara Das"),
}


@pytest.fixture
def demo(settings):
    """The demo as ``make run`` leaves it, and hospital1 granted one case's clinical part."""
    from cases.reminders import reminders_sweep
    from documents.services import case_grant_clinical_access

    settings.DEBUG = True  # seed_demo refuses to run without it
    call_command("seed_demo", stdout=io.StringIO())
    settings.DEBUG = False
    reminders_sweep(enqueue=False)
    case_grant_clinical_access(
        case=Case.objects.get(patient__full_name="Saanvi Joshi"),
        by=get_user_model().objects.get(username="facilitator"),
        reason="Pharmacy prepares the infusion; needs the latest labs.",
    )


def case_pk(patient: str) -> int:
    return Case.objects.get(patient__full_name=patient).pk


class Desk:
    """Visits pages, saves each and runs axe on it; collects the failures."""

    def __init__(self, page, journey) -> None:
        self.page, self.journey = page, journey
        self.failures: list[str] = []

    def visit(self, path: str, label: str) -> None:
        response = self.page.goto(self.journey.url(path))
        assert response is not None, path
        assert response.status == 200, (path, response.status)
        self.check(label)

    def check(self, label: str) -> None:
        self.journey.shot(self.page, label)
        try:
            self.journey.check_a11y(self.page, label)
        except AssertionError as failure:
            self.failures.append(str(failure))

    def assert_clean(self) -> None:
        if self.journey.axe_source is None:
            pytest.skip("axe-core is not installed: run npm ci")
        assert not self.failures, "\n\n".join(self.failures)


def test_facilitator_desk_has_no_serious_accessibility_violation(page, journey, demo):
    desk = Desk(page, journey)
    device = TOTPDevice.objects.get(user__username="facilitator")
    desk.visit("/accounts/login/", "sign-in page")
    journey.login(page, "facilitator", code=totp_code(device))

    desk.visit("/admin/", "admin index")
    desk.visit("/admin/cases/case/", "case list")
    for state, patient in FACILITATOR_CASES.items():
        desk.visit(f"/admin/cases/case/{case_pk(patient)}/change/", f"case page, {state}")
    # An action opened, with what it waits for and its form.
    desk.visit(f"/admin/cases/case/{case_pk('Ishita Reddy')}/change/", "case page, actions open")
    for summary in page.locator("details.npp-action summary").all():
        summary.click()
    desk.check("case page, every action opened")
    desk.visit("/admin/documents/document/", "documents list")
    patient = Case.objects.get(pk=case_pk("Advik Menon")).patient_id
    desk.visit(f"/admin/cases/patient/{patient}/change/", "patient page, consents and weights")
    desk.visit("/dashboard/", "dashboard")
    desk.visit("/dashboard/help/", "dashboard help")

    desk.assert_clean()
    assert len(journey.checked) >= 17


def test_doctor_desk_has_no_serious_accessibility_violation(new_context, journey, demo):
    for doctor in ("doctor1", "doctor2"):
        page = new_context().new_page()
        desk = Desk(page, journey)
        journey.login(page, doctor)
        desk.visit("/portal/doctor/", f"{doctor} case list")
        for state, (who, patient) in DOCTOR_CASES.items():
            if who == doctor:
                desk.visit(f"/portal/doctor/cases/{case_pk(patient)}/", f"{doctor} case, {state}")
        desk.visit("/portal/reminders/", f"{doctor} reminders")
        # The upload form of a checklist line, opened.
        if doctor == "doctor1":
            page.goto(journey.url(f"/portal/doctor/cases/{case_pk('Ishita Reddy')}/"))
            page.locator("#checklist li.line summary").first.click()
            expect(page.get_by_label("File (PDF, JPEG or PNG)").first).to_be_visible()
            desk.check("doctor1 case, upload form open")
        desk.assert_clean()


def test_hospital_desk_has_no_serious_accessibility_violation(new_context, journey, demo):
    for admin in ("hospital1", "hospital2"):
        page = new_context().new_page()
        desk = Desk(page, journey)
        journey.login(page, admin)
        desk.visit("/portal/hospital/", f"{admin} case list")
        for state, (who, patient) in HOSPITAL_CASES.items():
            if who == admin:
                desk.visit(f"/portal/hospital/cases/{case_pk(patient)}/", f"{admin} case, {state}")
        desk.visit("/portal/reminders/", f"{admin} reminders")
        desk.assert_clean()
