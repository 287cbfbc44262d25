"""The label's thresholds on one value, as a pure function (DOMAIN.md §1.7-1.10).

- ALT or AST above 2 x the ULN printed by the lab that ran the test (§1.10: equal passes,
  above fails); without a printed ULN, the configured default ``NPP_ULN`` and the message
  says so.
- Total bilirubin above the ULN (§1.7: "bilirubin normal"), same fallback.
- Platelets: a fall from the baseline count (§1.8-1.9, thrombocytopenia). DOMAIN.md gives no
  size of fall, so it is a setting: below ``NPP_SIGNAL_PLATELET_FALL_FRACTION`` of baseline
  (default 0.5) [default, unconfirmed].
- Troponin-I: a rise (§1.8-1.9): above the lab's printed ULN, or above the baseline times
  ``NPP_SIGNAL_TROPONIN_RISE_FACTOR`` (default 2) [default, unconfirmed].
- TMA: any sign the doctor ticks (§1.8: hypertension, bruising, seizures, reduced urine
  output) opens a signal.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from cases.clinical import LIVER_ULN_MULTIPLE

from .catalogue import TESTS


@dataclass(frozen=True)
class Crossing:
    code: str  # the signal's kind: alt_above_2x_uln, ..., tma_signs
    message: str


TMA_SIGNS = {
    "hypertension": "hypertension",
    "bruising": "bruising",
    "seizures": "seizures",
    "reduced_urine_output": "reduced urine output",
}


def _fmt(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def crossings(
    test: str,
    value: Decimal,
    *,
    uln: Decimal | None,
    baseline: Decimal | None = None,
    unit: str = "",
) -> list[Crossing]:
    """The thresholds ``value`` crosses. ``value``, ``uln`` and ``baseline`` are in the
    test's canonical unit; ``unit`` is only for the message."""
    name = TESTS[test].name if test in TESTS else test
    unit = f" {unit}" if unit else ""
    found: list[Crossing] = []
    defaults = settings.NPP_ULN
    if test in ("alt", "ast", "total_bilirubin"):
        limit, printed = (uln, True) if uln is not None else (Decimal(defaults[test]), False)
        source = "" if printed else _(" (the lab printed no ULN: configured default used)")
        if test == "total_bilirubin":
            if value > limit:
                found.append(
                    Crossing(
                        "bilirubin_above_uln",
                        _("Total bilirubin %(v)s is above the ULN %(l)s%(s)s.")
                        % {"v": _fmt(value), "l": _fmt(limit), "s": source},
                    )
                )
        elif value > LIVER_ULN_MULTIPLE * limit:
            found.append(
                Crossing(
                    f"{test}_above_2x_uln",
                    _("%(n)s %(v)s is above 2 x ULN (%(l)s)%(s)s.")
                    % {
                        "n": name,
                        "v": _fmt(value),
                        "l": _fmt(LIVER_ULN_MULTIPLE * limit),
                        "s": source,
                    },
                )
            )
    elif test == "platelets" and baseline is not None:
        fraction = Decimal(str(settings.NPP_SIGNAL_PLATELET_FALL_FRACTION))
        if value < baseline * fraction:
            found.append(
                Crossing(
                    "platelet_fall",
                    _("Platelet count %(v)s fell below %(p)s%% of the baseline %(b)s.")
                    % {"v": _fmt(value), "p": _fmt(fraction * 100), "b": _fmt(baseline)},
                )
            )
    elif test == "troponin_i":
        factor = Decimal(str(settings.NPP_SIGNAL_TROPONIN_RISE_FACTOR))
        if uln is not None and value > uln:
            found.append(
                Crossing(
                    "troponin_rise",
                    _("Troponin-I %(v)s is above the lab's ULN %(l)s.")
                    % {"v": _fmt(value), "l": _fmt(uln)},
                )
            )
        elif uln is None and baseline is not None and value > baseline * factor:
            found.append(
                Crossing(
                    "troponin_rise",
                    _("Troponin-I %(v)s rose above %(f)s x the baseline %(b)s.")
                    % {"v": _fmt(value), "f": _fmt(factor), "b": _fmt(baseline)},
                )
            )
    return found


def tma_crossing(signs: list[str]) -> Crossing | None:
    if not signs:
        return None
    words = ", ".join(TMA_SIGNS[s] for s in signs)
    return Crossing(
        "tma_signs",
        _(
            "Signs of thrombotic microangiopathy: %(w)s. Check for haemolytic anaemia and kidney function."
        )
        % {"w": words},
    )
