"""India's clock: every clinical date in this project is the date in Asia/Kolkata of the
instant concerned, not the UTC date (DOMAIN.md §1.10). An infusion at 00:30 IST on 1 Dec is
on 1 Dec, although it is still 30 Nov in UTC."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

IST = ZoneInfo("Asia/Kolkata")


def ist_date(instant: dt.datetime) -> dt.date:
    """The India date of an aware instant."""
    return timezone.localtime(instant, IST).date()


def today_ist(now: dt.datetime | None = None) -> dt.date:
    """Today's date in India (or the India date of ``now``)."""
    return ist_date(now or timezone.now())
