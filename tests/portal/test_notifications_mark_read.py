"""notifications_mark_read marks only the user's own in-app reminders read."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cases import services
from cases.models import Channel, Notification
from cases.services import notifications_mark_read

pytestmark = pytest.mark.django_db


def _note(case, user, key, channel=Channel.IN_APP):
    return Notification.objects.create(
        case=case,
        recipient=user,
        kind="documents_missing",
        channel=channel,
        due_at=timezone.now(),
        subject=key,
        body="Please upload the prescription.",
        dedupe_key=f"test:{key}",
        sent_at=timezone.now(),
    )


def _unread():
    return set(Notification.objects.filter(read_at__isnull=True).values_list("subject", flat=True))


def test_a_doctor_marks_their_own_reminders_read_and_nobody_elses(case_a, case_b, doctor1, doctor2):
    mine = _note(case_a, doctor1, "mine")
    theirs = _note(case_b, doctor2, "theirs")
    email = _note(case_a, doctor1, "mine by email", channel=Channel.EMAIL)

    changed = notifications_mark_read(user=doctor1, ids=[mine.pk, theirs.pk, email.pk])

    assert changed == 1
    assert _unread() == {"theirs", "mine by email"}


def test_a_reminder_about_a_case_out_of_scope_stays_unread(case_a, doctor2):
    stale = _note(case_a, doctor2, "about someone else's case")

    assert notifications_mark_read(user=doctor2, ids=[stale.pk]) == 0
    assert _unread() == {"about someone else's case"}


def test_marking_again_changes_nothing(case_a, doctor1):
    mine = _note(case_a, doctor1, "mine")
    notifications_mark_read(user=doctor1, ids=[mine.pk])
    first_read = Notification.objects.get().read_at

    assert notifications_mark_read(user=doctor1, ids=[mine.pk]) == 0
    assert Notification.objects.get().read_at == first_read


@pytest.mark.parametrize("who", ["facilitator", "outsider", "staff_non_facilitator"])
def test_users_without_portal_reminders_are_refused(who, request, case_a, doctor1):
    _note(case_a, doctor1, "mine")

    with pytest.raises(PermissionDenied):
        notifications_mark_read(
            user=request.getfixturevalue(who),
            ids=list(Notification.objects.values_list("pk", flat=True)),
        )

    assert _unread() == {"mine"}


def test_ids_that_are_not_numbers_change_nothing(case_a, doctor1):
    mine = _note(case_a, doctor1, "mine")

    with pytest.raises(ValidationError):
        notifications_mark_read(user=doctor1, ids=[mine.pk, "1; DROP TABLE"])

    assert _unread() == {"mine"}


def test_the_reminders_page_marks_read_through_the_service(client, case_a, doctor1, monkeypatch):
    calls = []
    real = services.notifications_mark_read
    monkeypatch.setattr(
        "portals.common.notifications_mark_read",
        lambda **kw: calls.append(kw["user"]) or real(**kw),
    )
    _note(case_a, doctor1, "mine")
    client.force_login(doctor1)

    client.get("/portal/reminders/")

    assert calls == [doctor1]
    assert _unread() == set()
