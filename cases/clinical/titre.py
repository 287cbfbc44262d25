"""The anti-AAV9 titre as labs print it (DOMAIN.md §1.6, §1.10)."""

from __future__ import annotations

import re
from decimal import Decimal

from django.conf import settings

# --- Anti-AAV9 titre ----------------------------------------------------------------------


# DOMAIN.md §1.10: labs print 1:25, 1 : 25, <1:25 (below the first dilution: counts as 25)
# and fractional dilutions such as 1:12.5.
_TITER_RE = re.compile(r"(<)?\s*1\s*:\s*([0-9]+(?:\.[0-9]+)?)")


class MalformedTiter(ValueError):
    """The titre text cannot be judged: it is not ``1:N`` or ``<1:N`` with N > 0."""


def parse_titer(text: str) -> Decimal:
    """The denominator N of a titre printed ``1:N`` or ``<1:N`` (spaces allowed).

    ``<1:25`` counts as 25, ``1:12.5`` as 12.5. Anything else (``Negative``, ``2:50``,
    ``>1:50``, ``1:0``, empty) cannot be judged and is refused with a request for the numeric
    report (DOMAIN.md §1.10).
    """
    match = _TITER_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    denominator = Decimal(match.group(2)) if match else Decimal(0)
    if denominator <= 0:
        raise MalformedTiter(
            f"Anti-AAV9 titre {text!r} cannot be judged: ask the lab for the numeric report "
            "and enter it as printed, like '1:25' or '<1:25'."
        )
    return denominator


def titer_max_denominator() -> int:
    return int(settings.NPP_AAV9_TITER_MAX_DENOMINATOR)


def titer_meets_threshold(text: str, threshold: int | None = None) -> bool:
    """True for a titre at or below 1:``threshold`` (1:50 passes, 1:100 does not)."""
    limit = titer_max_denominator() if threshold is None else threshold
    return parse_titer(text) <= limit
