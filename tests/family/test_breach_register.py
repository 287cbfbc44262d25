"""The breach register: the Board's 72-hour clock from discovery and each affected family,
chased by reminders until recorded; kept, never deleted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cases.models import Notification
from cases.reminders import reminders_sweep, texts
from family import services
from family.models import Breach, BreachAffectedCase

pytestmark = pytest.mark.django_db

FOUND = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def breach(facilitator, case_a, case_b):
    return services.breach_record(
        by=facilitator,
        title="Laptop stolen",
        description="A laptop with two families' scanned IDs was stolen from a car.",
        discovered_at=FOUND,
        cases=[case_a, case_b],
    )


def sweep(at: dt.datetime) -> int:
    return reminders_sweep(now=at, enqueue=False)


def kinds(**filters) -> list[str]:
    return sorted(
        Notification.objects.filter(kind__startswith="breach", **filters).values_list(
            "kind", flat=True
        )
    )


def test_the_board_must_be_told_within_72_hours_of_discovery(breach):
    assert breach.board_deadline() == FOUND + dt.timedelta(hours=72)


def test_reminders_at_discovery_24h_and_6h_before_and_daily_once_late(breach, facilitator):
    sweep(FOUND + dt.timedelta(minutes=5))
    assert kinds(channel="in_app", recipient=facilitator) == [
        "breach_board_due",
        "breach_family_not_told",
        "breach_family_not_told",
    ]
    before = Notification.objects.count()
    sweep(FOUND + dt.timedelta(minutes=20))  # the same reminders again: none twice
    assert Notification.objects.count() == before

    sweep(FOUND + dt.timedelta(hours=48, minutes=1))  # 24 h before the deadline
    sweep(FOUND + dt.timedelta(hours=66, minutes=1))  # 6 h before, possibly the same day
    assert kinds(channel="in_app", recipient=facilitator).count("breach_board_due") == 3

    sweep(FOUND + dt.timedelta(hours=72, minutes=1))
    sweep(FOUND + dt.timedelta(hours=80))  # the same late day: once
    sweep(FOUND + dt.timedelta(hours=96, minutes=1))  # the next day: again
    assert kinds(channel="in_app", recipient=facilitator).count("breach_board_overdue") == 2
    overdue = Notification.objects.filter(kind="breach_board_overdue", channel="in_app").first()
    _subject, body, _html = texts.render_one(overdue)  # rendered when delivered
    assert "Laptop stolen" in body
    assert "5 Nov 2026" in body  # the deadline, India time


def test_once_the_board_and_the_families_are_told_the_reminders_stop(breach, facilitator):
    services.breach_change(
        breach=breach,
        by=facilitator,
        board_notified_at=FOUND + dt.timedelta(hours=30),
        board_reference="DPB/2026/17",
    )
    for affected in breach.affected.all():
        services.breach_family_told(
            affected=affected, by=facilitator, at=FOUND + dt.timedelta(hours=5), how="Phone call"
        )

    sweep(FOUND + dt.timedelta(hours=100))

    assert kinds() == []


@pytest.mark.parametrize(
    ("at", "how", "field"),
    [(None, "Phone call", "family_told_at"), (FOUND, "  ", "family_told_how")],
)
def test_telling_a_family_needs_when_and_how(breach, facilitator, at, how, field):
    """The admin's row may come without a time or a way: a message, nothing recorded."""
    affected = breach.affected.first()
    with pytest.raises(ValidationError) as refused:
        services.breach_family_told(affected=affected, by=facilitator, at=at, how=how)

    assert field in refused.value.message_dict
    affected.refresh_from_db()
    assert affected.family_told_at is None


def test_each_untold_family_is_chased_on_its_own_case(breach, facilitator, case_a, case_b):
    told = BreachAffectedCase.objects.get(breach=breach, case=case_a)
    services.breach_family_told(affected=told, by=facilitator, at=FOUND, how="Email")

    sweep(FOUND + dt.timedelta(hours=1))

    family = Notification.objects.filter(kind="breach_family_not_told", channel="in_app")
    assert {n.case_id for n in family} == {case_b.pk}


def test_the_reminder_is_written_in_the_facilitators_language(breach, facilitator):
    services.language_set(user=facilitator, language="hi", by=facilitator)

    sweep(FOUND + dt.timedelta(minutes=5))

    board = Notification.objects.get(kind="breach_board_due", channel="in_app")
    _subject, body, _html = texts.render_one(board)
    assert "डेटा संरक्षण बोर्ड" in body
    assert "Laptop stolen" in body


@pytest.mark.parametrize(
    "values",
    [
        {"discovered_at": timezone.now() + dt.timedelta(hours=1)},
        {"title": ""},
    ],
    ids=["found-in-the-future", "no-title"],
)
def test_a_bad_breach_is_refused_and_nothing_recorded(facilitator, values):
    data = {"title": "Email to the wrong family", "description": "x", "discovered_at": FOUND}
    with pytest.raises(ValidationError):
        services.breach_record(by=facilitator, **{**data, **values})
    assert not Breach.objects.exists()


def test_only_a_facilitator_keeps_the_register(doctor1, hospital1, breach):
    for user in (doctor1, hospital1, None):
        with pytest.raises(PermissionDenied):
            services.breach_record(
                by=user, title="x", description="x", discovered_at=FOUND, cases=[]
            )
        with pytest.raises(PermissionDenied):
            services.breach_change(breach=breach, by=user, board_reference="x")


def test_the_admin_shows_the_register_and_never_deletes(client, facilitator, breach):
    client.force_login(facilitator)
    page = client.get(f"/admin/family/breach/{breach.pk}/change/")
    assert page.status_code == 200
    assert "05 Nov 2026" in page.content.decode() or "5 Nov 2026" in page.content.decode()
    assert client.get(f"/admin/family/breach/{breach.pk}/delete/").status_code == 403


def test_the_admin_makes_a_link_to_copy(client, facilitator, case_a):
    client.force_login(facilitator)
    response = client.post(
        "/admin/family/guardianlink/add/", {"case": case_a.pk, "language": "hi", "days": "7"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    from family.models import GuardianLink

    link = GuardianLink.objects.get(case=case_a)
    assert link.language == "hi"
    assert link.created_by == facilitator
    page = client.get(f"/admin/family/guardianlink/{link.pk}/change/").content.decode()
    assert services.link_token(link) in page


def _breach_post(breach, **changes) -> dict:
    """The breach's admin change form as posted, with one affected-case row changed."""
    affected = breach.affected.order_by("pk").first()
    data = {
        "title": breach.title,
        "description": breach.description,
        "discovered_at_0": "02/11/2026",
        "discovered_at_1": "15:30:00",
        "board_notified_at_0": "",
        "board_notified_at_1": "",
        "board_reference": "",
        "affected-TOTAL_FORMS": "1",
        "affected-INITIAL_FORMS": "1",
        "affected-MIN_NUM_FORMS": "0",
        "affected-MAX_NUM_FORMS": "1000",
        "affected-0-id": str(affected.pk),
        "affected-0-breach": str(breach.pk),
        "affected-0-case": str(affected.case_id),
        "affected-0-family_told_at_0": "",
        "affected-0-family_told_at_1": "",
        "affected-0-family_told_how": "",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"board_notified_at_0": "01/01/2099", "board_notified_at_1": "10:00:00"},
            "The Board cannot be told in the future.",
        ),
        ({"discovered_at_0": "01/01/2099"}, "A breach cannot be found in the future."),
        ({"affected-0-family_told_how": "Phone call"}, "Say when the family was told."),
        (
            {
                "affected-0-family_told_at_0": "03/11/2026",
                "affected-0-family_told_at_1": "10:00:00",
            },
            "Say how the family was told.",
        ),
    ],
)
def test_bad_times_in_the_admin_are_shown_on_the_form_and_nothing_saved(
    client, facilitator, breach, changes, message
):
    client.force_login(facilitator)
    before = (breach.board_notified_at, list(breach.affected.values_list("family_told_at")))

    response = client.post(
        f"/admin/family/breach/{breach.pk}/change/", _breach_post(breach, **changes)
    )

    assert response.status_code == 200  # the form again, not a 500
    assert message in response.content.decode()
    breach.refresh_from_db()
    assert (breach.board_notified_at, list(breach.affected.values_list("family_told_at"))) == before


def test_the_admin_records_a_family_told_with_when_and_how(client, facilitator, breach):
    client.force_login(facilitator)
    data = _breach_post(
        breach,
        **{
            "affected-0-family_told_at_0": "03/11/2026",
            "affected-0-family_told_at_1": "10:00:00",
            "affected-0-family_told_how": "Phone call",
        },
    )

    response = client.post(f"/admin/family/breach/{breach.pk}/change/", data)

    assert response.status_code == 302
    told = breach.affected.order_by("pk").first()
    assert (told.family_told_how, told.family_told_at is not None) == ("Phone call", True)
