"""Units per test and the label's thresholds, table-driven (DOMAIN.md §1.7-1.10)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from clinical.catalogue import LabInputError, check_value
from clinical.thresholds import crossings, tma_crossing

UNITS = [
    # test, value, unit, canonical value or the error's words
    ("alt", "45", "U/L", D("45")),
    ("alt", "45", "IU/L", D("45")),
    ("alt", "45", "mg/dL", "is not measured in mg/dL; use U/L or IU/L"),
    ("alt", "45", "", "enter the unit"),
    ("alt", "6000", "U/L", "outside the physiological range"),
    ("alt", "-1", "U/L", "outside the physiological range"),
    ("total_bilirubin", "17.1", "µmol/L", D("1")),
    ("total_bilirubin", "17.1", "μmol/L", D("1")),  # Greek mu typed on a phone
    ("total_bilirubin", "1.0", "mg/dL", D("1.0")),
    ("platelets", "2.5", "lakh/µL", D("250")),
    ("platelets", "250", "x10^9/L", D("250")),
    ("haemoglobin", "110", "g/L", D("11")),
    ("creatinine", "88.4", "µmol/L", D("1")),
    ("troponin_i", "0.05", "µg/L", D("0.05")),
    ("troponin_i", "0.05", "U/L", "is not measured in U/L"),
    ("inr", "1.1", "ratio", D("1.1")),
    ("pt", "13", "s", D("13")),
]


@pytest.mark.parametrize(("test", "value", "unit", "expected"), UNITS)
def test_units_are_checked_per_test(test, value, unit, expected):
    if isinstance(expected, str):
        with pytest.raises(LabInputError, match=expected):
            check_value(test, D(value), unit)
    else:
        assert check_value(test, D(value), unit) == expected


def test_a_missing_value_is_refused_with_the_test_named():
    with pytest.raises(LabInputError, match="ALT: enter a value"):
        check_value("alt", None, "U/L")


THRESHOLDS = [
    # DOMAIN.md §1.10: compare with 2 x the ULN printed by the lab; equal passes, above fails.
    ("alt", "80", "40", None, []),
    ("alt", "80.1", "40", None, ["alt_above_2x_uln"]),
    ("ast", "130", "60", None, ["ast_above_2x_uln"]),
    ("ast", "119", "60", None, []),
    # No printed ULN: the configured default (40) is used, and the message says so.
    ("alt", "81", None, None, ["alt_above_2x_uln"]),
    # §1.7: bilirubin normal means at or below the ULN.
    ("total_bilirubin", "1.2", "1.2", None, []),
    ("total_bilirubin", "1.3", "1.2", None, ["bilirubin_above_uln"]),
    # Platelets: a fall below half the baseline (setting, default 0.5).
    ("platelets", "150", None, "310", ["platelet_fall"]),
    ("platelets", "155", None, "310", []),
    ("platelets", "20", None, None, []),  # no baseline, nothing to fall from
    # Troponin-I: above the lab's ULN, or above 2 x baseline without one.
    ("troponin_i", "0.05", "0.04", None, ["troponin_rise"]),
    ("troponin_i", "0.03", "0.04", "0.01", []),
    ("troponin_i", "0.03", None, "0.01", ["troponin_rise"]),
    ("troponin_i", "0.02", None, "0.01", []),
    ("creatinine", "5", None, "0.3", []),
]


@pytest.mark.parametrize(("test", "value", "uln", "baseline", "codes"), THRESHOLDS)
def test_thresholds_of_the_label(test, value, uln, baseline, codes):
    found = crossings(
        test, D(value), uln=D(uln) if uln else None, baseline=D(baseline) if baseline else None
    )
    assert [c.code for c in found] == codes


def test_the_default_uln_is_named_in_the_message():
    (found,) = crossings("alt", D("81"), uln=None)
    assert "ALT 81 is above 2 x ULN (80)" in found.message
    assert "configured default" in found.message


def test_platelet_fall_fraction_is_a_setting(settings):
    settings.NPP_SIGNAL_PLATELET_FALL_FRACTION = D("0.8")
    assert [c.code for c in crossings("platelets", D("240"), uln=None, baseline=D("310"))] == [
        "platelet_fall"
    ]


def test_tma_signs_open_a_signal_only_when_ticked():
    assert tma_crossing([]) is None
    found = tma_crossing(["hypertension", "reduced_urine_output"])
    assert found.code == "tma_signs"
    assert "hypertension, reduced urine output" in found.message
