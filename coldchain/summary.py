"""What a logger's readings say about the kit (pure): minimum and maximum, the time above the
limit and each excursion (DOMAIN.md §1.5: shipped at or below -60 °C; §3.4: record the time
above -60 °C and any excursion).

Readings are samples: a reading holds until the next one, so the time above the limit is the
sum of the intervals that start with a reading above it. An excursion is a run of consecutive
readings above the limit, from its first reading to the first one back at or below it (or the
last reading, when the file ends above). A reading exactly at the limit is within it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Excursion:
    start: dt.datetime
    end: dt.datetime
    peak: Decimal

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


@dataclass(frozen=True)
class Summary:
    minimum: Decimal
    maximum: Decimal
    seconds_above: int
    excursions: list[Excursion]


def summarise(readings: list[tuple[dt.datetime, Decimal]], limit: Decimal) -> Summary:
    excursions: list[Excursion] = []
    seconds_above = 0
    start: dt.datetime | None = None
    peak = Decimal("-Infinity")
    for index, (at, value) in enumerate(readings):
        following = readings[index + 1][0] if index + 1 < len(readings) else at
        if value > limit:
            if start is None:
                start, peak = at, value
            peak = max(peak, value)
            seconds_above += int((following - at).total_seconds())
        elif start is not None:
            excursions.append(Excursion(start, at, peak))
            start = None
    if start is not None:
        excursions.append(Excursion(start, readings[-1][0], peak))
    values = [value for _, value in readings]
    return Summary(min(values), max(values), seconds_above, excursions)
