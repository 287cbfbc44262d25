"""In-app reminders on the portals."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cases.models import Channel, Notification
from tests.factories import walk_to

pytestmark = pytest.mark.django_db


def _note(case, user, subject):
    return Notification.objects.create(
        case=case,
        recipient=user,
        kind="documents_missing",
        channel=Channel.IN_APP,
        due_at=timezone.now(),
        subject=subject,
        body="Please upload the prescription.",
        dedupe_key=f"test:{case.pk}:{user.pk}:{subject}",
        sent_at=timezone.now(),
    )


def test_a_doctor_sees_their_reminders_and_opening_them_marks_them_read(
    client, case_a, case_b, doctor1, doctor2
):
    mine = _note(case_a, doctor1, "NPP: documents still missing")
    _note(case_b, doctor2, "Someone else's reminder")
    client.force_login(doctor1)
    body = client.get("/portal/reminders/").content.decode()
    assert "NPP: documents still missing" in body
    assert "new" in body
    assert "Someone else's reminder" not in body
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_a_reminder_about_a_case_no_longer_in_scope_is_not_shown(
    client, case_a, doctor1, doctor2, facilitator
):
    _note(case_a, doctor2, "Old reminder about another doctor's case")
    client.force_login(doctor2)
    assert "Old reminder" not in client.get("/portal/reminders/").content.decode()


def test_hospital_admins_see_their_shipment_reminders(client, case_a, hospital1, facilitator):
    case = walk_to(case_a, "customs", facilitator)
    _note(case, hospital1, "ETA passed, still in customs")
    client.force_login(hospital1)
    response = client.get("/portal/reminders/")
    assert "ETA passed, still in customs" in response.content.decode()
    assert f"/portal/hospital/cases/{case.pk}/" in response.content.decode()
