"""Demo cold-chain evidence for ``seed_demo``: Reyansh Gupta's kit (in delivery at Yamuna
Paediatric Institute) arrives with a logger file showing one excursion above -60 °C during
customs; reading it puts the case on hold for the manufacturer's decision. The file is the
one a shipper's logger exports (ISO times, comma separated). Creates nothing twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from cases.models import Case
from cases.states import CaseState

from .models import LoggerRecord
from .services import logger_upload

PATIENT = "Reyansh Gupta"


def logger_csv(end: dt.datetime, *, hours: int = 72, excursion_at: int = 30) -> bytes:
    """Hourly readings ending at ``end``, around -72 °C, with one excursion of 40 minutes
    (-57.5 °C at its peak) ``excursion_at`` hours after the start."""
    start = end - dt.timedelta(hours=hours)
    lines = ["timestamp,temperature"]
    for hour in range(hours + 1):
        at = timezone.localtime(start + dt.timedelta(hours=hour))
        celsius = -72.0 + (hour % 5) * 0.4
        lines.append(f"{at.isoformat(timespec='seconds')},{celsius:.1f}")
        if hour == excursion_at:
            for minutes, value in ((10, -61.0), (20, -58.2), (35, -57.5), (50, -59.4)):
                stamp = at + dt.timedelta(minutes=minutes)
                lines.append(f"{stamp.isoformat(timespec='seconds')},{value:.1f}")
    return ("\n".join(lines) + "\n").encode()


def seed(hospital_admin: Any) -> None:
    case = Case.objects.filter(patient__full_name=PATIENT).first()
    if case is None or LoggerRecord.objects.filter(case=case).exists():
        return
    if case.state != CaseState.DELIVERY:
        return
    end = timezone.now() - dt.timedelta(hours=2)
    logger_upload(
        case=case,
        by=hospital_admin,
        data=logger_csv(end),
        filename="LX-0042-7781_trip_DEL.csv",
    )
