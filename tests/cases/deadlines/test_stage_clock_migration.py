"""Migration 0009 gives existing cases the stage clock a hold pauses, from their log."""

from __future__ import annotations

import datetime as dt
import importlib
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps

from cases.models import Case
from cases.services import case_apply
from tests.factories import CaseFactory, walk_to

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Asia/Kolkata")
START = dt.datetime(2026, 1, 5, 10, 0, tzinfo=IST)
replay = importlib.import_module("cases.migrations.0009_stage_clock").replay


def test_the_migration_replays_holds_as_case_apply_records_them(doctor1, facilitator):
    with time_machine.travel(START, tick=False) as clock:
        held = walk_to(
            CaseFactory(doctor=doctor1.doctor, facilitator=facilitator), "documents", facilitator
        )
        walk_to(
            CaseFactory(doctor=doctor1.doctor, facilitator=facilitator), "approved", facilitator
        )
        for hold_day, resume_day in ((2, 5), (7, 8)):
            clock.move_to(START + dt.timedelta(days=hold_day))
            held = case_apply(case=held, transition="hold", by=facilitator, hold_reason="Funds.")
            clock.move_to(START + dt.timedelta(days=resume_day))
            held = case_apply(case=held, transition="resume", by=facilitator)
        clock.move_to(START + dt.timedelta(days=9))
        case_apply(case=held, transition="hold", by=facilitator, hold_reason="Funds again.")
    recorded = dict(Case.objects.values_list("pk", "stage_clock_from"))
    Case.objects.update(stage_clock_from=START - dt.timedelta(days=99))

    replay(apps, None)

    assert dict(Case.objects.values_list("pk", "stage_clock_from")) == recorded
    assert recorded[held.pk] == START + dt.timedelta(days=4)  # 3 + 1 days on hold
