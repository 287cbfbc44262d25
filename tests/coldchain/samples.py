"""Logger CSV exports in the layouts shippers' loggers write, and hostile or broken files."""

from __future__ import annotations

import datetime as dt

# A generic export: ISO 8601 instants with their offset, comma separated, one excursion
# (three readings above -60 °C, from 02:00 to 02:45 IST, back at 03:00).
GENERIC = """timestamp,temperature
2026-11-20T00:00:00+05:30,-72.5
2026-11-20T00:15:00+05:30,-71.9
2026-11-20T00:30:00+05:30,-70.0
2026-11-20T01:00:00+05:30,-69.5
2026-11-20T02:00:00+05:30,-58.0
2026-11-20T02:15:00+05:30,-55.5
2026-11-20T02:45:00+05:30,-59.9
2026-11-20T03:00:00+05:30,-60.0
2026-11-20T04:00:00+05:30,-68.2
"""

# A European logger: a key;value preamble, date and time columns, decimal commas, no offset
# (read as India time). Stays cold all the way.
ELPRO_LIKE = """Device;LIBERO Cx
Serial Number;LX-0042-7781
Start;20.11.2026 06:00
Stop;20.11.2026 09:00

Date;Time;Temperature [°C]
20.11.2026;06:00:00;-78,4
20.11.2026;07:00:00;-77,9
20.11.2026;08:00:00;-76,0
20.11.2026;09:00:00;-75,2
"""

# A US-style export: a preamble, one "Date Time" column with month/day and AM/PM, degrees
# Fahrenheit (-76 °F = -60 °C exactly: at the limit is within it).
TEMPTALE_LIKE = """Serial Number: TT4-99120
Trip: DEL-2026-11
Date Time,Temperature (°F)
11/20/2026 06:00:00 AM,-94.0
11/20/2026 07:00:00 AM,-76.0
11/20/2026 08:00:00 AM,-90.4
"""

# A tab-separated export in UTC with Unix seconds.
CONTROLANT_LIKE = "Time (UTC)\tTemp\n" + "".join(
    f"{int(dt.datetime(2026, 11, 20, h, tzinfo=dt.UTC).timestamp())}\t{-70 + h / 10}\n"
    for h in range(0, 6)
)

BAD = {
    "empty": (b"", "The file is empty"),
    "blank": (b"\n\n  \n", "The file is empty"),
    "binary_pdf": (b"%PDF-1.7\n\x00\x01\x02 binary", "binary data, not text"),
    "no_header": (b"a,b\n1,2\n3,4\n", "No header row naming a time"),
    "temperature_only": (b"temperature\n-70\n-71\n", "No header row naming a time"),
    "not_a_number": (
        b"timestamp,temperature\n2026-11-20T00:00:00+05:30,-70\n2026-11-20T01:00:00+05:30,cold\n",
        "Line 3: 'cold' is not a temperature.",
    ),
    "bad_time": (
        b"timestamp,temperature\n2026-11-20T00:00:00+05:30,-70\nyesterday,-71\n",
        "Line 3: 'yesterday' is not a date and time",
    ),
    "time_backwards": (
        b"timestamp,temperature\n2026-11-20T02:00:00+05:30,-70\n2026-11-20T01:00:00+05:30,-71\n",
        "Line 3: '2026-11-20T01:00:00+05:30' is not later than the reading before it",
    ),
    "impossible_temperature": (
        b"timestamp,temperature\n2026-11-20T00:00:00+05:30,-70\n2026-11-20T01:00:00+05:30,-500\n",
        "Line 3: -500 °C is outside what a shipper's logger records",
    ),
    "future": (
        b"timestamp,temperature\n2026-11-20T00:00:00+05:30,-70\n2099-12-01T01:00:00+05:30,-71\n",
        "is in the future",
    ),
    "one_reading": (
        b"timestamp,temperature\n2026-11-20T00:00:00+05:30,-70\n",
        "fewer than two readings",
    ),
    "formula_injection": (
        b"timestamp,temperature,note\n2026-11-20T00:00:00+05:30,-70,ok\n"
        b'2026-11-20T01:00:00+05:30,-71,=HYPERLINK("http://evil")\n',
        "Line 3 holds a spreadsheet formula",
    ),
    "short_row": (
        b"timestamp,temperature\n2026-11-20T00:00:00+05:30,-70\n2026-11-20T01:00:00+05:30\n",
        "Line 3 has 1 column(s) where the header has 2.",
    ),
    "two_temperature_columns": (
        b"timestamp,temp probe 1,temp probe 2\n2026-11-20T00:00:00+05:30,-70,-71\n",
        "more than one temperature column",
    ),
    "huge_line": (
        b"timestamp,temperature\n" + b"9" * 5000 + b",-70\n",
        "Line 2 is 5,004 characters",
    ),
    "nan": (
        b"timestamp,temperature\n2026-11-20T00:00:00+05:30,-70\n2026-11-20T01:00:00+05:30,NaN\n",
        "Line 3: 'NaN' is not a number.",
    ),
}
