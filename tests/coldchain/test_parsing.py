"""Logger CSVs: the layouts read (at least three), what they say (min/max, time above the
limit, each excursion), and broken or hostile files refused with one clear sentence."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from coldchain.parsing import LoggerFileError, parse_logger_csv
from coldchain.summary import summarise

from .samples import BAD, CONTROLANT_LIKE, ELPRO_LIKE, GENERIC, TEMPTALE_LIKE

IST = ZoneInfo("Asia/Kolkata")
NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=IST)
LIMIT = D("-60")


def parse(text: str | bytes, **overrides):
    data = text.encode() if isinstance(text, str) else text
    return parse_logger_csv(
        data, **{"max_bytes": 1024 * 1024, "max_rows": 1000, "now": NOW, **overrides}
    )


def test_a_generic_iso_export_and_its_one_excursion():
    log = parse(GENERIC)

    assert log.layout == "one time column, ',' separated"
    assert len(log.readings) == 9
    assert log.readings[0] == (dt.datetime(2026, 11, 20, 0, 0, tzinfo=IST), D("-72.5"))
    summary = summarise(log.readings, LIMIT)
    assert (summary.minimum, summary.maximum) == (D("-72.5"), D("-55.5"))
    (excursion,) = summary.excursions
    assert excursion.start == dt.datetime(2026, 11, 20, 2, 0, tzinfo=IST)
    assert excursion.end == dt.datetime(2026, 11, 20, 3, 0, tzinfo=IST)  # back at -60.0
    assert excursion.peak == D("-55.5")
    assert summary.seconds_above == 60 * 60  # 02:00 to 03:00, reading by reading


def test_a_european_export_with_a_preamble_date_and_time_columns_and_decimal_commas():
    log = parse(ELPRO_LIKE)

    assert log.layout == "separate date and time columns, ';' separated"
    assert log.serial == "LX-0042-7781"
    assert log.readings[0] == (dt.datetime(2026, 11, 20, 6, 0, tzinfo=IST), D("-78.4"))
    assert log.notes == ["Times without an offset were read as India time."]
    summary = summarise(log.readings, LIMIT)
    assert (summary.minimum, summary.maximum, summary.excursions) == (D("-78.4"), D("-75.2"), [])
    assert summary.seconds_above == 0


def test_a_us_export_in_fahrenheit_with_am_pm_times_reading_exactly_at_the_limit():
    log = parse(TEMPTALE_LIKE)

    assert log.layout == "one time column, ',' separated, °F converted to °C"
    assert log.serial == "TT4-99120"
    assert [v for _, v in log.readings] == [D("-70.00"), D("-60.00"), D("-68.00")]
    assert log.readings[1][0] == dt.datetime(2026, 11, 20, 7, 0, tzinfo=IST)
    assert summarise(log.readings, LIMIT).excursions == []  # at -60 °C is within the limit


def test_a_tab_separated_utc_export_with_unix_seconds():
    log = parse(CONTROLANT_LIKE)

    assert log.layout == "one time column, tab separated"
    assert log.readings[0][0] == dt.datetime(2026, 11, 20, 0, 0, tzinfo=dt.UTC)
    assert log.readings[-1][1] == D("-69.5")
    assert log.notes == []


def test_day_first_slash_dates_are_read_as_india_writes_them():
    log = parse("Date Time,Temperature (C)\n13/11/2026 10:00,-70\n14/11/2026 10:00,-71\n")
    assert log.readings[0][0] == dt.datetime(2026, 11, 13, 10, 0, tzinfo=IST)


def test_an_excursion_still_running_when_the_file_ends():
    log = parse(
        "timestamp,temperature\n2026-11-20T00:00:00+05:30,-70\n"
        "2026-11-20T00:30:00+05:30,-50\n2026-11-20T01:00:00+05:30,-45\n"
    )
    summary = summarise(log.readings, LIMIT)
    (excursion,) = summary.excursions
    assert (excursion.seconds, excursion.peak) == (30 * 60, D("-45"))
    assert summary.seconds_above == 30 * 60


@pytest.mark.parametrize("name", sorted(BAD))
def test_broken_and_hostile_files_are_refused_with_a_clear_sentence(name):
    data, expected = BAD[name]

    with pytest.raises(LoggerFileError) as refused:
        parse(data)

    assert expected in refused.value.message
    assert refused.value.message.endswith(".")  # one sentence, no traceback


def test_too_large_and_too_many_rows_are_refused_before_reading():
    with pytest.raises(LoggerFileError, match="larger than 1 MB"):
        parse(GENERIC, max_bytes=100)
    rows = "".join(
        f"2026-11-{1 + i // 1440:02d}T{(i // 60) % 24:02d}:{i % 60:02d}:00+05:30,-70\n"
        for i in range(1200)
    )
    with pytest.raises(LoggerFileError) as refused:
        parse("timestamp,temperature\n" + rows)
    assert refused.value.code == "too_many_rows"


def test_nothing_but_logger_file_error_escapes_on_random_bytes():
    import random

    generator = random.Random(17)
    for _ in range(300):
        size = generator.randint(0, 400)
        data = bytes(generator.getrandbits(8) for _ in range(size))
        with contextlib.suppress(LoggerFileError):
            parse(b"timestamp,temperature\n" + data)
