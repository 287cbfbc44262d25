"""A case infused on 2 Mar 2026 at 11:00 IST (doctor1's, at hospital A), built at that moment;
each test travels to the day it needs."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.services import case_apply
from tests.factories import reweigh_on_infusion_day, walk_to

IST = ZoneInfo("Asia/Kolkata")
INFUSED_AT = dt.datetime(2026, 3, 2, 11, 0, tzinfo=IST)
INFUSION_DAY = INFUSED_AT.date()


def on_day(n: int, hour: int = 12) -> time_machine.travel:
    """Travel to day ``n`` after the infusion, at ``hour`` IST."""
    day = INFUSION_DAY + dt.timedelta(days=n)
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, hour, tzinfo=IST))


def day(n: int) -> dt.date:
    return INFUSION_DAY + dt.timedelta(days=n)


@pytest.fixture(autouse=True)
def _built_just_after_the_infusion():
    # Autouse fixtures run first, so the whole case is built at this moment (as in
    # tests/cases/test_case_close.py); tests travel on with ``on_day``.
    with time_machine.travel(INFUSED_AT + dt.timedelta(hours=1)):
        yield


@pytest.fixture
def infused(case_a, facilitator):
    case = walk_to(case_a, "infusion_scheduled", facilitator)
    reweigh_on_infusion_day(case, INFUSED_AT)
    return case_apply(
        case=case,
        transition="record_infusion",
        by=facilitator,
        infused_at=INFUSED_AT,
        kit_lot_numbers="AVX001A, AVX001B",
    )


def liver(alt="30", ast="30", bili="0.5", pt="12", *, alt_uln="40", ast_uln="40", bili_uln="1.2"):
    return [
        {"test": "alt", "value": alt, "unit": "U/L", "uln": alt_uln},
        {"test": "ast", "value": ast, "unit": "U/L", "uln": ast_uln},
        {"test": "total_bilirubin", "value": bili, "unit": "mg/dL", "uln": bili_uln},
        {"test": "pt", "value": pt, "unit": "s"},
    ]


def full_panel(**kwargs):
    return [
        *liver(**kwargs),
        {"test": "platelets", "value": "300", "unit": "x10^3/µL"},
        {"test": "troponin_i", "value": "0.01", "unit": "ng/mL"},
    ]
