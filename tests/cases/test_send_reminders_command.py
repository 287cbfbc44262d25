"""``manage.py send_reminders [--now ISO] [--dry-run]``."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from cases.models import Notification
from tests.factories import CaseFactory, walk_to

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Asia/Kolkata")
DISPATCHED = dt.datetime(2026, 3, 2, 10, 0, tzinfo=IST)


def run(*args: str) -> str:
    out = StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def in_customs(doctor1, facilitator, hospital1):
    """Dispatched 2 Mar 2026 10:00 India time, ETA 4 Mar 10:00."""
    with time_machine.travel(DISPATCHED, tick=False):
        return walk_to(
            CaseFactory(doctor=doctor1.doctor, facilitator=facilitator), "customs", facilitator
        )


def test_dry_run_prints_one_json_object_a_line_and_creates_nothing(in_customs):
    output = run("--dry-run", "--now", "2026-03-05T10:00:00+05:30")

    lines = [json.loads(line) for line in output.splitlines()]
    assert {(x["case"], x["kind"], x["recipient"], x["channel"], x["due_at"]) for x in lines} == {
        (in_customs.reference, "eta_passed", user, channel, "2026-03-04T10:00:00+05:30")
        for user in ("facilitator", "hospital1")
        for channel in ("in_app", "email")
    }
    assert len(lines) == 4
    assert lines[0]["subject"] == f"{in_customs.reference}: ETA passed, still in customs"
    assert Notification.objects.count() == 0


def test_a_run_creates_what_the_dry_run_listed_and_a_second_run_creates_nothing(in_customs):
    listed = run("--dry-run", "--now", "2026-03-05T10:00")

    first = run("--now", "2026-03-05T10:00")
    second = run("--now", "2026-03-05T10:00")

    assert first == "4 notification(s) created as of 2026-03-05T10:00:00+05:30.\n"
    assert second == "0 notification(s) created as of 2026-03-05T10:00:00+05:30.\n"
    assert Notification.objects.count() == len(listed.splitlines()) == 4
    assert run("--dry-run", "--now", "2026-03-05T10:00") == ""  # nothing left to go out


def test_a_date_alone_means_nine_in_the_morning_india_time(in_customs):
    assert run("--dry-run", "--now", "2026-03-04") == ""  # 09:00, before the 10:00 ETA
    assert run("--dry-run", "--now", "2026-03-05") != ""


@pytest.mark.parametrize("active_zone", ["Asia/Kolkata", "UTC"])
def test_a_date_alone_runs_the_sweep_at_nine_india_time_not_midnight(in_customs, active_zone):
    with timezone.override(active_zone):
        output = run("--now", "2026-03-05")

    assert output == "4 notification(s) created as of 2026-03-05T09:00:00+05:30.\n"


def test_the_guardians_email_is_listed_by_address(doctor1, facilitator):
    with time_machine.travel(DISPATCHED, tick=False):
        case = walk_to(
            CaseFactory(doctor=doctor1.doctor, facilitator=facilitator),
            "infusion_scheduled",
            facilitator,
        )  # infusion on 5 Mar

    lines = [
        json.loads(line) for line in run("--dry-run", "--now", "2026-03-03T09:00").splitlines()
    ]

    assert sorted((x["kind"], x["recipient"], x["channel"]) for x in lines) == [
        ("prednisolone_tomorrow", "doctor1", "email"),
        ("prednisolone_tomorrow", "doctor1", "in_app"),
        ("prednisolone_tomorrow", case.patient.guardian_email, "email"),
    ]


@pytest.mark.parametrize("bad", ["yesterday", "2026-02-30T10:00", "2026-13-01", "05/03/2026"])
def test_a_bad_now_is_refused_with_a_clear_message(bad):
    with pytest.raises(CommandError) as refused:
        run("--dry-run", "--now", bad)

    assert str(refused.value) == (
        "--now must be an ISO date or date-time such as 2026-03-01 or "
        f"2026-03-01T09:30+05:30, not {bad!r}."
    )
