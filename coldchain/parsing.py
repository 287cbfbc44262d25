"""Reading a temperature logger's CSV export: pure (no database, no storage).

``parse_logger_csv(data, ...)`` returns a ``LoggerLog`` (the readings in time order, the
serial, the layout recognised) or raises ``LoggerFileError`` with one sentence for the user
and a stable ``code``. It never raises anything else, whatever the bytes.

The layouts shippers' loggers export (DOMAIN.md §9 "Cold-chain loggers"), recognised by their
header row, not by the file's name:

- ``timestamp,temperature``: one column with an ISO 8601 instant and one in °C, comma
  separated (a generic export, and what a spreadsheet saves);
- ``Date;Time;Temperature [°C]``: a preamble of ``key;value`` lines (serial, start, stop), then
  separate date (``31.12.2026``) and time columns, semicolons and decimal commas (European
  loggers);
- ``Date Time,Temperature (°F)`` or ``(°C)``: a preamble (``Serial Number: ...``), one column
  with a day/month/year or a US month/day/year time with AM/PM, and Fahrenheit converted;
- tab-separated exports with ``Time (UTC)`` and epoch seconds or ISO instants.

Times without an offset are India time (Asia/Kolkata) unless the header says UTC or GMT.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext

from cases.clock import IST

UTC = dt.UTC

# Physical bounds of a shipper's logger: a reading outside them is a typing or export error.
LOWEST, HIGHEST = Decimal("-100"), Decimal("70")
MAX_LINE = 1000
HEADER_SEARCH_LINES = 60
DELIMITERS = (",", ";", "\t", "|")


class LoggerFileError(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class LoggerLog:
    layout: str
    readings: list[tuple[dt.datetime, Decimal]]
    serial: str = ""
    notes: list[str] = field(default_factory=list)


def _refuse(code: str, message: str) -> LoggerFileError:
    return LoggerFileError(message, code)


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise _refuse(
                "not_text", gettext("The file is not readable text; export it as CSV again.")
            )
    if b"\x00" in data:
        raise _refuse(
            "not_text",
            gettext(
                "The file holds binary data, not text: upload the logger's CSV export, not a PDF, "
                "spreadsheet or picture."
            ),
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


TIME_WORDS = ("timestamp", "time", "date", "zeit", "datum", "recorded")
TEMP_WORDS = ("temp", "°c", "°f", "celsius", "fahrenheit", "(c)", "(f)", "[c]", "[f]", "degc")


def _is_temperature_header(cell: str) -> bool:
    low = cell.lower()
    return any(word in low for word in TEMP_WORDS)


def _is_time_header(cell: str) -> bool:
    low = cell.lower()
    return any(word in low for word in TIME_WORDS) and not _is_temperature_header(cell)


def _delimiter(lines: list[str]) -> str:
    """The delimiter of the header row: the one splitting a line into a time and a
    temperature heading."""
    for line in lines[:HEADER_SEARCH_LINES]:
        for delim in DELIMITERS:
            cells = [c.strip() for c in line.split(delim)]
            if (
                len(cells) >= 2
                and any(_is_temperature_header(c) for c in cells)
                and any(_is_time_header(c) for c in cells)
            ):
                return delim
    raise _refuse(
        "no_header",
        gettext(
            "No header row naming a time (or date) column and a temperature column was found in "
            "the first lines; this is not a logger export the system can read. Export the "
            "readings as CSV with their column headings."
        ),
    )


FORMULA = re.compile(r"^[=@]|^[+\-]\s*[A-Za-z(]")


def _check_cell(cell: str, line_no: int) -> None:
    if FORMULA.match(cell.strip()):
        raise _refuse(
            "formula",
            gettext(
                "Line %(line)s holds a spreadsheet formula (%(cell)s); a logger export holds "
                "only values. Nothing was stored."
            )
            % {"line": line_no, "cell": repr(cell.strip()[:20])},
        )


def _parse_temperature(text: str, decimal_comma: bool, line_no: int) -> Decimal:
    raw = text.strip().replace("°", "").rstrip("CcFf").strip()
    if decimal_comma:
        raw = raw.replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise _refuse(
            "bad_temperature",
            gettext("Line %(line)s: %(text)s is not a temperature.")
            % {"line": line_no, "text": repr(text.strip()[:20])},
        )
    if not value.is_finite():
        raise _refuse(
            "bad_temperature",
            gettext("Line %(line)s: %(text)s is not a number.")
            % {"line": line_no, "text": repr(text.strip()[:20])},
        )
    return value


US_AMPM = re.compile(r"\b(AM|PM)\b", re.IGNORECASE)
SLASH_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})")
DOT_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M")


def _day_first(values: list[str]) -> bool:
    """Whether slash dates are day/month (India, Europe) or month/day (US): the file decides
    by a first part above 12 (day first) or a second (month first); AM/PM says US."""
    firsts, seconds = [], []
    for value in values:
        match = SLASH_DATE.match(value.strip())
        if match:
            firsts.append(int(match.group(1)))
            seconds.append(int(match.group(2)))
    if any(v > 12 for v in firsts):
        return True
    if any(v > 12 for v in seconds):
        return False
    return not any(US_AMPM.search(v) for v in values)


def _parse_time(text: str, *, day_first: bool, zone: dt.tzinfo) -> dt.datetime | None:
    value = text.strip()
    if not value:
        return None
    if value.isdigit() and len(value) in (10, 13):  # Unix seconds or milliseconds
        seconds = int(value) / (1000 if len(value) == 13 else 1)
        try:
            return dt.datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    parsed: dt.datetime | None = None
    with contextlib.suppress(ValueError):
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed is None and SLASH_DATE.match(value):
        date_fmt = "%d/%m/%Y" if day_first else "%m/%d/%Y"
        time_fmts = ("%I:%M:%S %p", "%I:%M %p") if US_AMPM.search(value) else ("%H:%M:%S", "%H:%M")
        for time_fmt in time_fmts:
            try:
                parsed = dt.datetime.strptime(value, f"{date_fmt} {time_fmt}")
                break
            except ValueError:
                continue
    if parsed is None:
        for fmt in DOT_FORMATS:
            try:
                parsed = dt.datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed


SERIAL = re.compile(r"serial(?: number| no\.?)?\s*[:;,\t]?\s*([A-Za-z0-9\-_/]{3,40})", re.I)


def _serial(preamble: list[list[str]]) -> str:
    for cells in preamble:
        joined = " ".join(cells)
        match = SERIAL.search(joined)
        if match:
            return match.group(1)
    return ""


def parse_logger_csv(
    data: bytes,
    *,
    max_bytes: int,
    max_rows: int,
    now: dt.datetime,
) -> LoggerLog:
    """Read a logger's CSV export, or raise ``LoggerFileError`` saying what is wrong."""
    if not data or not data.strip():
        raise _refuse("empty", gettext("The file is empty; export the logger's readings again."))
    if len(data) > max_bytes:
        raise _refuse(
            "too_large",
            gettext(
                "The file is larger than %(mb)s MB; a logger's CSV export of one trip is far "
                "smaller. Check that this is the right file."
            )
            % {"mb": max_bytes // (1024 * 1024) or 1},
        )
    text = _decode(data)
    lines = text.splitlines()
    if len(lines) > max_rows + HEADER_SEARCH_LINES:
        raise _refuse(
            "too_many_rows",
            gettext("The file has more than %(rows)s lines; one trip's export is far shorter.")
            % {"rows": f"{max_rows:,}"},
        )
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE:
            raise _refuse(
                "line_too_long",
                gettext(
                    "Line %(line)s is %(length)s characters long; a logger export's lines are "
                    "short. This is not a logger file."
                )
                % {"line": number, "length": f"{len(line):,}"},
            )
    delim = _delimiter(lines)
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delim))
    except csv.Error as exc:
        raise _refuse(
            "malformed", gettext("The file is not well-formed CSV (%(error)s).") % {"error": exc}
        )

    header_index = next(
        (
            i
            for i, cells in enumerate(rows[:HEADER_SEARCH_LINES])
            if any(_is_temperature_header(c) for c in cells)
            and any(_is_time_header(c) for c in cells)
        ),
        None,
    )
    if header_index is None:
        raise _refuse(
            "no_header",
            gettext("The header row could not be read as separate time and temperature columns."),
        )
    header = [c.strip() for c in rows[header_index]]
    for number, cells in enumerate(rows[: header_index + 1], start=1):
        for cell in cells:
            _check_cell(cell, number)
    temp_cols = [i for i, c in enumerate(header) if _is_temperature_header(c)]
    if len(temp_cols) > 1:
        raise _refuse(
            "ambiguous_columns",
            gettext(
                "The header names more than one temperature column (%(columns)s); export one "
                "logger's readings at a time."
            )
            % {"columns": ", ".join(header[i] for i in temp_cols)},
        )
    temp_col = temp_cols[0]
    fahrenheit = any(w in header[temp_col].lower() for w in ("°f", "(f)", "[f]", "fahrenheit"))
    low = [c.lower() for c in header]
    date_cols = [i for i, c in enumerate(low) if ("date" in c or "datum" in c) and "time" not in c]
    time_cols = [
        i
        for i, c in enumerate(low)
        if ("time" in c or "zeit" in c or "timestamp" in c or "recorded" in c) and i != temp_col
    ]
    if date_cols and time_cols and date_cols[0] != time_cols[0]:
        time_parts = [date_cols[0], time_cols[0]]
        layout = "separate date and time columns"
    else:
        first = (time_cols or date_cols)[0]
        time_parts = [first]
        layout = "one time column"
    zone: dt.tzinfo = UTC if any(("utc" in c or "gmt" in c) for c in low) else IST
    decimal_comma = delim != ","
    data_rows = [(i + 1, cells) for i, cells in enumerate(rows) if i > header_index]
    stamps = [
        " ".join(cells[p].strip() for p in time_parts)
        for _, cells in data_rows
        if len(cells) > max(time_parts)
    ]
    day_first = _day_first(stamps)

    readings: list[tuple[dt.datetime, Decimal]] = []
    width = len(header)
    for line_no, cells in data_rows:
        if not any(c.strip() for c in cells):
            continue
        for cell in cells:
            _check_cell(cell, line_no)
        if len(cells) < max(temp_col, *time_parts) + 1:
            raise _refuse(
                "short_row",
                gettext("Line %(line)s has %(count)s column(s) where the header has %(width)s.")
                % {"line": line_no, "count": len(cells), "width": width},
            )
        stamp_text = " ".join(cells[p].strip() for p in time_parts)
        at = _parse_time(stamp_text, day_first=day_first, zone=zone)
        if at is None:
            raise _refuse(
                "bad_time",
                gettext(
                    "Line %(line)s: %(text)s is not a date and time the system can read "
                    "(ISO 8601, 31.12.2026 23:59, 31/12/2026 23:59 or Unix seconds)."
                )
                % {"line": line_no, "text": repr(stamp_text[:30])},
            )
        value = _parse_temperature(cells[temp_col], decimal_comma, line_no)
        if fahrenheit:
            value = ((value - 32) * 5 / 9).quantize(Decimal("0.01"))
        if not LOWEST <= value <= HIGHEST:
            raise _refuse(
                "impossible_temperature",
                gettext(
                    "Line %(line)s: %(value)s °C is outside what a shipper's logger records "
                    "(%(lowest)s to %(highest)s °C)."
                )
                % {"line": line_no, "value": value, "lowest": LOWEST, "highest": HIGHEST},
            )
        if readings and at <= readings[-1][0]:
            raise _refuse(
                "time_not_increasing",
                gettext(
                    "Line %(line)s: %(text)s is not later than the reading before it; a "
                    "logger's readings go forward in time."
                )
                % {"line": line_no, "text": repr(stamp_text[:30])},
            )
        if at > now + dt.timedelta(minutes=5):
            raise _refuse(
                "future_time",
                gettext(
                    "Line %(line)s: %(text)s is in the future; check the logger's clock and time "
                    "zone."
                )
                % {"line": line_no, "text": repr(stamp_text[:30])},
            )
        readings.append((at, value))
        if len(readings) > max_rows:
            raise _refuse(
                "too_many_rows",
                gettext(
                    "The file has more than %(rows)s readings; one trip's export is far shorter."
                )
                % {"rows": f"{max_rows:,}"},
            )
    if len(readings) < 2:
        raise _refuse(
            "too_few_readings",
            gettext(
                "The file has fewer than two readings; a trip's record needs its readings from "
                "dispatch to receipt."
            ),
        )
    serial = _serial(rows[:header_index])
    described = f"{layout}, '{delim}' separated" if delim != "\t" else f"{layout}, tab separated"
    if fahrenheit:
        described += ", °F converted to °C"
    notes = [] if zone is UTC else ["Times without an offset were read as India time."]
    return LoggerLog(layout=described, readings=readings, serial=serial, notes=notes)
