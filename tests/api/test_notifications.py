"""The user's in-app reminders through the API, marked read through notifications_mark_read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import Channel, Notification

pytestmark = pytest.mark.django_db


def note(case, user, key, *, channel=Channel.IN_APP, due_days_ago=0):
    return Notification.objects.create(
        case=case,
        recipient=user,
        kind="documents_missing",
        channel=channel,
        due_at=timezone.now() - dt.timedelta(days=due_days_ago),
        subject=key,
        body="Please upload the prescription.",
        dedupe_key=f"test:{key}",
        sent_at=timezone.now(),
    )


def test_a_doctor_lists_their_own_in_app_reminders_latest_due_first(
    api, case_a, case_b, doctor1, doctor2
):
    older = note(case_a, doctor1, "older", due_days_ago=2)
    newer = note(case_a, doctor1, "newer")
    note(case_a, doctor1, "by email", channel=Channel.EMAIL)
    note(case_b, doctor2, "someone else's")

    body = api(doctor1).get("/api/v1/notifications/").json()

    assert [n["id"] for n in body["results"]] == [newer.pk, older.pk]
    assert body["results"][0]["case"] == case_a.reference
    assert body["results"][0]["read_at"] is None


def test_listing_does_not_mark_read_and_unread_filters(api, case_a, doctor1):
    read, unread = note(case_a, doctor1, "read"), note(case_a, doctor1, "unread")
    client = api(doctor1)

    marked = client.post("/api/v1/notifications/read/", {"ids": [read.pk]})
    listed = client.get("/api/v1/notifications/?unread=true").json()

    assert marked.json() == {"marked": 1}
    assert [n["id"] for n in listed["results"]] == [unread.pk]
    unread.refresh_from_db()
    assert unread.read_at is None


def test_ids_of_someone_elses_reminders_are_ignored(api, case_a, case_b, doctor1, doctor2):
    theirs = note(case_b, doctor2, "theirs")

    assert api(doctor1).post("/api/v1/notifications/read/", {"ids": [theirs.pk]}).json() == {
        "marked": 0
    }
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_ids_that_are_not_numbers_answer_400(api, doctor1):
    assert api(doctor1).post("/api/v1/notifications/read/", {"ids": ["x"]}).status_code == 400


@pytest.mark.parametrize("who", ["facilitator", "outsider"])
def test_users_without_portal_reminders_get_403_as_in_the_portal(api, request, who):
    client = api(request.getfixturevalue(who))

    assert client.get("/api/v1/notifications/").status_code == 403
    assert client.post("/api/v1/notifications/read/", {"ids": [1]}).status_code == 403
