"""Date arithmetic the deadlines need in SQL, the same on PostgreSQL and SQLite.

Django's expressions cover instants plus durations and an instant's India date
(``TruncDate(..., tzinfo=IST)``); these add what they do not: days added to a date, the 2nd
birthday of a date of birth (29 February: 28 February, as ``cases.clinical.add_years``), a
date as ``YYYY-MM-DD`` text (dedupe keys), 09:00 India time on a date, and the start of the
current period of a repeating reminder. India has had one offset, +05:30, since 1945 and no
daylight saving, which the SQLite forms rely on.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import CharField, DateField, DateTimeField, Func, Value
from django.db.models.functions import TruncDate

from ..clock import IST

# 09:00 India time is 03:30 UTC (IST is UTC+05:30 all year).
_MORNING_UTC = "'+3 hours', '+30 minutes'"


def india_date(instant) -> TruncDate:
    """The India date of an instant (DOMAIN.md §1.10)."""
    return TruncDate(instant, tzinfo=IST)


class AddDays(Func):
    """``date + days``: a whole number known when the query is built, or an integer column
    (a document type's validity)."""

    output_field = DateField()

    def __init__(self, date, days) -> None:
        if isinstance(days, int):
            super().__init__(date)
            self.days: int | None = days
        else:
            super().__init__(date, days)
            self.days = None

    def _parts(self, compiler):
        return [compiler.compile(e) for e in self.source_expressions]

    def as_postgresql(self, compiler, connection):
        (sql, params), *days = self._parts(compiler)
        if self.days is not None:
            return f"(({sql})::date + {self.days:d})", params
        return f"(({sql})::date + ({days[0][0]})::integer)", (*params, *days[0][1])

    def as_sqlite(self, compiler, connection):
        (sql, params), *days = self._parts(compiler)
        if self.days is not None:
            return f"date({sql}, '{self.days:+d} days')", params
        return f"date({sql}, ({days[0][0]}) || ' days')", (*params, *days[0][1])


class SecondBirthday(Func):
    """The 2nd birthday of a date of birth; born on 29 February, 28 February."""

    output_field = DateField()

    def as_postgresql(self, compiler, connection):
        # PostgreSQL keeps the day within the month: 2024-02-29 + 2 years = 2026-02-28.
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql}) + interval '2 years')::date", params

    def as_sqlite(self, compiler, connection):
        # SQLite rolls 2026-02-29 over to 2026-03-01; one day back is the 28th.
        sql, params = compiler.compile(self.source_expressions[0])
        return (
            f"CASE WHEN strftime('%%m-%%d', {sql}) = '02-29' "
            f"THEN date({sql}, '+2 years', '-1 day') ELSE date({sql}, '+2 years') END",
            params * 3,
        )


class IsoDate(Func):
    """A date as ``YYYY-MM-DD`` text (the day in a reminder's dedupe key)."""

    output_field = CharField()

    def as_postgresql(self, compiler, connection):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"to_char({sql}, 'YYYY-MM-DD')", params

    def as_sqlite(self, compiler, connection):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql})", params


def india_day_text(instant) -> IsoDate:
    """The India date of an instant as ``YYYY-MM-DD`` text."""
    return IsoDate(india_date(instant))


class Morning(Func):
    """09:00 India time on a date, as an instant."""

    output_field = DateTimeField()

    def as_postgresql(self, compiler, connection):
        sql, params = compiler.compile(self.source_expressions[0])
        return (f"((({sql})::date + time '09:00') AT TIME ZONE 'Asia/Kolkata')", params)

    def as_sqlite(self, compiler, connection):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"datetime({sql}, {_MORNING_UTC})", params


class PeriodStart(Func):
    """The start of the current period of a clock that repeats ``every`` from ``start``:
    ``start + floor((now - start) / every) * every`` (``now`` is at or after ``start``)."""

    output_field = DateTimeField()

    def __init__(self, start, now: dt.datetime, every: dt.timedelta) -> None:
        super().__init__(start, Value(now, output_field=DateTimeField()))
        self.seconds = int(every.total_seconds())

    def as_postgresql(self, compiler, connection):
        (start, start_params), (now, now_params) = (
            compiler.compile(e) for e in self.source_expressions
        )
        every = self.seconds
        return (
            f"({start} + floor(extract(epoch from ({now} - {start})) / {every})"
            f" * interval '{every} seconds')",
            (*start_params, *now_params, *start_params),
        )

    def as_sqlite(self, compiler, connection):
        # Whole seconds: SQLite 3.40 has no sub-second epoch; a boundary moves by under 1 s.
        (start, start_params), (now, now_params) = (
            compiler.compile(e) for e in self.source_expressions
        )
        every = self.seconds
        return (
            f"strftime('%%Y-%%m-%%d %%H:%%M:%%f', {start}, '+' || "
            f"(((strftime('%%s', {now}) - strftime('%%s', {start})) / {every}) * {every})"
            f" || ' seconds')",
            (*start_params, *now_params, *start_params),
        )


def text(value: str) -> Value:
    return Value(value, output_field=CharField())
