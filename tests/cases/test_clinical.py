"""Pure tests of cases.clinical: dose and kit, titre, eligibility and treatment calendar."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cases.clinical import (
    KIT_VIAL_MIX,
    MONITORING_WEEKS,
    Event,
    EventKind,
    Labs,
    LabValue,
    MalformedTiter,
    TiterResult,
    WeightOutOfRange,
    calendar_status,
    eligibility,
    parse_titer,
    titer_meets_threshold,
    treatment_calendar,
    zolgensma_dose,
)

D = Decimal

# DOMAIN.md §1.3, copied by hand and independently of cases/clinical.py:
# band low, band high, dose vg as printed, dose vol (mL), vials/kit, 5.5 mL, 8.3 mL, filled (mL).
DOMAIN_TABLE = [
    ("2.6", "3.0", "3.3e14", "16.5", 2, 0, 2, "16.6"),
    ("3.1", "3.5", "3.9e14", "19.3", 3, 2, 1, "19.3"),
    ("3.6", "4.0", "4.4e14", "22.0", 3, 1, 2, "22.1"),
    ("4.1", "4.5", "5.0e14", "24.8", 3, 0, 3, "24.9"),
    ("4.6", "5.0", "5.5e14", "27.5", 4, 2, 2, "27.6"),
    ("5.1", "5.5", "6.1e14", "30.3", 4, 1, 3, "30.4"),
    ("5.6", "6.0", "6.6e14", "33.0", 4, 0, 4, "33.2"),
    ("6.1", "6.5", "7.2e14", "35.8", 5, 2, 3, "35.9"),
    ("6.6", "7.0", "7.7e14", "38.5", 5, 1, 4, "38.7"),
    ("7.1", "7.5", "8.3e14", "41.3", 5, 0, 5, "41.5"),
    ("7.6", "8.0", "8.8e14", "44.0", 6, 2, 4, "44.2"),
    ("8.1", "8.5", "9.4e14", "46.8", 6, 1, 5, "47.0"),
    ("8.6", "9.0", "9.9e14", "49.5", 6, 0, 6, "49.8"),
    ("9.1", "9.5", "1.05e15", "52.3", 7, 2, 5, "52.5"),
    ("9.6", "10.0", "1.10e15", "55.0", 7, 1, 6, "55.3"),
    ("10.1", "10.5", "1.16e15", "57.8", 7, 0, 7, "58.1"),
    ("10.6", "11.0", "1.21e15", "60.5", 8, 2, 6, "60.8"),
    ("11.1", "11.5", "1.27e15", "63.3", 8, 1, 7, "63.6"),
    ("11.6", "12.0", "1.32e15", "66.0", 8, 0, 8, "66.4"),
    ("12.1", "12.5", "1.38e15", "68.8", 9, 2, 7, "69.1"),
    ("12.6", "13.0", "1.43e15", "71.5", 9, 1, 8, "71.9"),
    ("13.1", "13.5", "1.49e15", "74.3", 9, 0, 9, "74.7"),
    ("13.6", "14.0", "1.54e15", "77.0", 10, 2, 8, "77.4"),
    ("14.1", "14.5", "1.60e15", "79.8", 10, 1, 9, "80.2"),
    ("14.6", "15.0", "1.65e15", "82.5", 10, 0, 10, "83.0"),
    ("15.1", "15.5", "1.71e15", "85.3", 11, 2, 9, "85.7"),
    ("15.6", "16.0", "1.76e15", "88.0", 11, 1, 10, "88.5"),
    ("16.1", "16.5", "1.82e15", "90.8", 11, 0, 11, "91.3"),
    ("16.6", "17.0", "1.87e15", "93.5", 12, 2, 10, "94.0"),
    ("17.1", "17.5", "1.93e15", "96.3", 12, 1, 11, "96.8"),
    ("17.6", "18.0", "1.98e15", "99.0", 12, 0, 12, "99.6"),
    ("18.1", "18.5", "2.04e15", "101.8", 13, 2, 11, "102.3"),
    ("18.6", "19.0", "2.09e15", "104.5", 13, 1, 12, "105.1"),
    ("19.1", "19.5", "2.15e15", "107.3", 13, 0, 13, "107.9"),
    ("19.6", "20.0", "2.20e15", "110.0", 14, 2, 12, "110.6"),
    ("20.1", "20.5", "2.26e15", "112.8", 14, 1, 13, "113.4"),
    ("20.6", "21.0", "2.31e15", "115.5", 14, 0, 14, "116.2"),
]
BAND_IDS = [f"{row[0]}-{row[1]}kg" for row in DOMAIN_TABLE]


def _band(plan) -> tuple[str, str]:
    return str(plan.band_low_kg), str(plan.band_high_kg)


# --- Dose and kit ---------------------------------------------------------------------------


def test_the_kit_table_has_37_contiguous_half_kilo_bands():
    bands = sorted(KIT_VIAL_MIX)
    assert len(bands) == 37 == len(DOMAIN_TABLE)
    assert bands[0] == (D("2.6"), D("3.0"))
    assert bands[-1] == (D("20.6"), D("21.0"))
    for (low, high), (next_low, _) in itertools.pairwise(bands):
        assert high - low == D("0.4")
        assert next_low - high == D("0.1")


@pytest.mark.parametrize("row", DOMAIN_TABLE, ids=BAND_IDS)
def test_each_band_edge_gets_the_domain_table_row(row):
    low, high, dose_vg, volume, vials, n55, n83, filled = row
    for weight in (D(low), D(high)):
        plan = zolgensma_dose(weight)
        assert _band(plan) == (low, high)
        assert plan.dose_volume_ml == D(volume)
        assert (plan.vials_5_5ml, plan.vials_8_3ml, plan.total_vials) == (n55, n83, vials)
        assert plan.filled_volume_ml == D(filled)
        # The table prints the dose rounded to 1e13 vg.
        assert D(plan.dose_vg).quantize(D("1e13"), rounding=ROUND_HALF_UP) == D(dose_vg)


@pytest.mark.parametrize("row", DOMAIN_TABLE, ids=BAND_IDS)
def test_a_weight_is_never_rounded_into_or_across_a_band(row):
    # DOMAIN.md §1.10: the band is the first whose upper limit is at or above the weight.
    low, high = D(row[0]), D(row[1])
    assert _band(zolgensma_dose(high)) == (row[0], row[1])  # exactly at the upper limit
    assert _band(zolgensma_dose(low)) == (row[0], row[1])
    if low != D("2.6"):
        assert _band(zolgensma_dose(low - D("0.09"))) == (row[0], row[1])  # 3.01 -> 3.1-3.5
    if high == D("21.0"):
        with pytest.raises(WeightOutOfRange):
            zolgensma_dose(high + D("0.01"))  # 21.01 kg: no band
    else:
        above = zolgensma_dose(high + D("0.01"))  # 3.01 -> the next band up, never down
        assert above.band_low_kg == high + D("0.1")
    if low == D("2.6"):
        with pytest.raises(WeightOutOfRange):
            zolgensma_dose(low - D("0.01"))  # 2.59 kg: no band


def test_3_0_kg_is_band_2_6_to_3_0_and_anything_above_up_to_3_5_is_band_3_1_to_3_5():
    assert _band(zolgensma_dose(D("3.00"))) == ("2.6", "3.0")
    assert _band(zolgensma_dose(D("3.01"))) == ("3.1", "3.5")
    assert _band(zolgensma_dose(D("3.04"))) == ("3.1", "3.5")  # once rounded down to 3.0
    assert _band(zolgensma_dose(D("3.05"))) == ("3.1", "3.5")
    assert zolgensma_dose(D("3.04")).weight_kg == D("3.04")  # the dose plan keeps the weight


def test_floats_and_strings_are_read_through_their_text():
    # float 3.05 is 3.04999... in binary; Decimal(str(x)) keeps the 3.05 a person typed.
    assert _band(zolgensma_dose(3.05)) == ("3.1", "3.5")
    assert _band(zolgensma_dose(" 8.6 ")) == ("8.6", "9.0")
    assert _band(zolgensma_dose(9)) == ("8.6", "9.0")


def test_8_6_to_9_0_kg_gets_49_5_ml_in_six_8_3_ml_vials():
    plan = zolgensma_dose(D("8.8"))
    assert plan.dose_volume_ml == D("49.5")
    assert (plan.vials_5_5ml, plan.vials_8_3ml, plan.total_vials) == (0, 6, 6)
    assert plan.band_label == "8.6-9.0 kg"


def test_3_1_to_3_5_kg_gets_19_3_ml_in_two_5_5_ml_and_one_8_3_ml_vial():
    plan = zolgensma_dose(D("3.3"))
    assert plan.dose_volume_ml == D("19.3")
    assert (plan.vials_5_5ml, plan.vials_8_3ml, plan.total_vials) == (2, 1, 3)


def test_prednisolone_is_1_mg_per_kg_of_the_recorded_weight_not_the_band():
    plan = zolgensma_dose(D("7.3"))
    assert plan.weight_kg == D("7.3")
    assert plan.prednisolone_mg_per_day == D("7.3")


@pytest.mark.parametrize(
    "weight", ["2.5", "21.1", "2.54", "2.55", "2.59", "21.01", "21.04", "21.05", "0", "-3", "30"]
)
def test_weights_outside_the_bands_are_sent_to_manual_review(weight):
    with pytest.raises(WeightOutOfRange, match="manual review") as excinfo:
        zolgensma_dose(D(weight))
    assert isinstance(excinfo.value, ValueError)


def test_a_weight_that_is_not_a_number_is_refused_as_such():
    with pytest.raises(ValueError, match="not a number") as excinfo:
        zolgensma_dose("abc")
    assert not isinstance(excinfo.value, WeightOutOfRange)


def test_the_vial_mix_is_the_fewest_vials_then_the_least_overfill():
    # Rechecks DOMAIN.md's derivation of the [unconfirmed] split against the stored table.
    for (low, high), (n55, n83) in KIT_VIAL_MIX.items():
        volume = zolgensma_dose(high).dose_volume_ml
        options = [
            (a + b, D("5.5") * a + D("8.3") * b, a, b)
            for a in range(15)
            for b in range(15)
            if D("5.5") * a + D("8.3") * b >= volume
        ]
        _, _, best55, best83 = min(options)
        assert (n55, n83) == (best55, best83), f"{low}-{high} kg"


recorded_weights = st.integers(min_value=26, max_value=210).map(lambda n: D(n) / 10)


@given(recorded_weights)
def test_property_the_dose_never_falls_below_the_labelled_dose_for_the_recorded_weight(weight):
    plan = zolgensma_dose(weight)
    assert plan.dose_volume_ml >= D("5.5") * weight
    # 1.1e14 vg/kg delivered at 2.0e13 vg/mL.
    assert plan.dose_volume_ml * D("2.0e13") >= D("1.1e14") * weight
    assert plan.band_low_kg <= weight <= plan.band_high_kg


@given(st.decimals(min_value=D("2.6"), max_value=D("21.0"), places=2))
def test_property_the_vials_cover_the_dose_for_any_weight_in_range(weight):
    plan = zolgensma_dose(weight)
    assert D("5.5") * plan.vials_5_5ml + D("8.3") * plan.vials_8_3ml >= plan.dose_volume_ml
    assert 2 <= plan.total_vials <= 14
    # Never less than 1.1e14 vg/kg of the measured weight: no rounding down into a band.
    assert plan.dose_volume_ml >= D("5.5") * weight
    assert plan.band_low_kg - D("0.1") < weight <= plan.band_high_kg


@given(st.floats(min_value=2.6, max_value=21.0))
def test_property_float_weights_in_range_always_get_a_kit(weight):
    plan = zolgensma_dose(weight)
    assert plan.filled_volume_ml >= plan.dose_volume_ml


# --- Titre --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "denominator"),
    [
        ("1:25", 25),
        (" 1 : 50 ", 50),
        ("1:100", 100),
        ("<1:25", 25),
        ("< 1 : 25", 25),
        ("1:12.5", D("12.5")),
        ("1:2.5", D("2.5")),
    ],
)
def test_parse_titer_reads_titres_as_labs_print_them(text, denominator):
    # DOMAIN.md §1.10: <1:25 is below the first dilution and counts as 25.
    assert parse_titer(text) == denominator


@pytest.mark.parametrize(
    "text",
    ["1:0", "abc", "25", "1:-5", "2:50", "", "1:", ":50", ">1:50", "Negative", "1:0.0", None],
)
def test_parse_titer_asks_for_the_numeric_report_when_it_cannot_judge(text):
    with pytest.raises(MalformedTiter, match="ask the lab for the numeric report"):
        parse_titer(text)


def test_titer_1_50_meets_the_threshold_and_1_100_does_not():
    assert titer_meets_threshold("1:50")
    assert not titer_meets_threshold("1:100")
    assert titer_meets_threshold("1:100", threshold=100)


def test_the_titer_threshold_comes_from_settings(settings):
    settings.NPP_AAV9_TITER_MAX_DENOMINATOR = 100
    assert titer_meets_threshold("1:100")


# --- Eligibility ----------------------------------------------------------------------------

INFUSION = dt.date(2026, 3, 10)


@dataclass
class Child:
    date_of_birth: dt.date = dt.date(2025, 1, 15)
    smn1_biallelic_confirmed: bool = True


@dataclass
class FeverishChild(Child):
    active_infection: bool = True


def good_labs(sampled_on: dt.date = INFUSION - dt.timedelta(days=7), **changes) -> Labs:
    values = {
        "alt": LabValue(D("30"), sampled_on),
        "ast": LabValue(D("35"), sampled_on),
        "total_bilirubin": LabValue(D("0.8"), sampled_on),
        "platelets": LabValue(D("250"), sampled_on),
        "troponin_i": LabValue(D("0.01"), sampled_on),
        "creatinine": LabValue(D("0.3"), sampled_on),
        "anti_aav9_titer": TiterResult("1:25", sampled_on),
    }
    return Labs(**{**values, **changes})


def failing_codes(result) -> list[str]:
    return [c.code for c in result.failing]


def test_an_eligible_child_passes_every_criterion():
    result = eligibility(Child(), INFUSION, good_labs())
    assert result.ok
    assert [c.code for c in result.criteria] == [
        "under_two",
        "full_term_corrected_age",
        "smn1_confirmed",
        "aav9_titer",
        "liver",
        "platelets_measured",
        "troponin_measured",
        "creatinine_measured",
        "no_active_infection",
    ]
    assert all(c.reason for c in result.criteria)


def test_eligibility_is_refused_on_exactly_the_second_birthday():
    result = eligibility(Child(date_of_birth=dt.date(2024, 3, 10)), INFUSION, good_labs())
    assert failing_codes(result) == ["under_two"]
    assert "10 Mar 2026" in result["under_two"].reason


def test_eligibility_is_allowed_the_day_before_the_second_birthday():
    result = eligibility(Child(date_of_birth=dt.date(2024, 3, 11)), INFUSION, good_labs())
    assert result.ok


def test_a_29_february_baby_turns_two_on_28_february():
    child = Child(date_of_birth=dt.date(2024, 2, 29))
    labs = good_labs(sampled_on=dt.date(2026, 2, 20))
    assert eligibility(child, dt.date(2026, 2, 27), labs).ok
    assert failing_codes(eligibility(child, dt.date(2026, 2, 28), labs)) == ["under_two"]


def test_unconfirmed_smn1_is_refused():
    result = eligibility(Child(smn1_biallelic_confirmed=False), INFUSION, good_labs())
    assert failing_codes(result) == ["smn1_confirmed"]


def test_titer_1_50_is_allowed_and_1_100_refused():
    on_lab_day = INFUSION - dt.timedelta(days=3)
    allowed = good_labs(anti_aav9_titer=TiterResult("1:50", on_lab_day))
    refused = good_labs(anti_aav9_titer=TiterResult("1:100", on_lab_day))
    assert eligibility(Child(), INFUSION, allowed).ok
    result = eligibility(Child(), INFUSION, refused)
    assert failing_codes(result) == ["aav9_titer"]
    assert "1:100 is above 1:50" in result["aav9_titer"].reason


@pytest.mark.parametrize("text", ["1:0", "abc", "2:50", ">1:50", "Negative"])
def test_a_titre_that_cannot_be_judged_asks_for_the_numeric_report(text):
    labs = good_labs(anti_aav9_titer=TiterResult(text, INFUSION - dt.timedelta(days=3)))
    result = eligibility(Child(), INFUSION, labs)
    assert failing_codes(result) == ["aav9_titer"]
    assert "numeric report" in result["aav9_titer"].reason


def test_missing_labs_are_refused_one_criterion_each():
    result = eligibility(Child(), INFUSION, None)
    assert failing_codes(result) == [
        "aav9_titer",
        "liver",
        "platelets_measured",
        "troponin_measured",
        "creatinine_measured",
    ]
    assert "Platelet count result missing." in result.failing_messages()[2]


def test_labs_older_than_30_days_are_refused_naming_the_sample_date():
    stale = INFUSION - dt.timedelta(days=31)
    result = eligibility(Child(), INFUSION, good_labs(platelets=LabValue(D("250"), stale)))
    assert failing_codes(result) == ["platelets_measured"]
    assert "07 Feb 2026" in result["platelets_measured"].reason


def test_labs_exactly_30_days_old_are_still_valid():
    assert eligibility(Child(), INFUSION, good_labs(INFUSION - dt.timedelta(days=30))).ok


def test_a_stale_titer_is_refused():
    labs = good_labs(anti_aav9_titer=TiterResult("1:25", INFUSION - dt.timedelta(days=45)))
    assert failing_codes(eligibility(Child(), INFUSION, labs)) == ["aav9_titer"]


def test_the_validity_window_comes_from_settings(settings):
    settings.NPP_LAB_VALIDITY_DAYS = 7
    labs = good_labs(INFUSION - dt.timedelta(days=8))
    assert "platelets_measured" in failing_codes(eligibility(Child(), INFUSION, labs))


def test_a_sample_dated_after_the_checked_day_is_refused():
    labs = good_labs(creatinine=LabValue(D("0.3"), INFUSION + dt.timedelta(days=1)))
    assert failing_codes(eligibility(Child(), INFUSION, labs)) == ["creatinine_measured"]


def test_a_liver_value_above_twice_the_uln_is_refused():
    day = INFUSION - dt.timedelta(days=2)
    result = eligibility(Child(), INFUSION, good_labs(alt=LabValue(D("81"), day)))
    assert failing_codes(result) == ["liver"]
    assert "ALT 81 is above 2 x ULN (80)" in result["liver"].reason


def test_a_liver_value_at_exactly_twice_the_uln_passes():
    day = INFUSION - dt.timedelta(days=2)
    assert eligibility(Child(), INFUSION, good_labs(ast=LabValue(D("80"), day))).ok


def test_the_uln_comes_from_settings_or_the_lab_report(settings):
    day = INFUSION - dt.timedelta(days=2)
    high_bilirubin = good_labs(total_bilirubin=LabValue(D("2.5"), day))
    assert failing_codes(eligibility(Child(), INFUSION, high_bilirubin)) == ["liver"]
    own_uln = good_labs(total_bilirubin=LabValue(D("2.5"), day, uln=D("1.5")))
    assert eligibility(Child(), INFUSION, own_uln).ok
    settings.NPP_ULN = {**settings.NPP_ULN, "total_bilirubin": "1.5"}
    assert eligibility(Child(), INFUSION, high_bilirubin).ok


def test_an_active_infection_is_refused_and_its_absence_assumed_when_not_recorded():
    assert failing_codes(eligibility(FeverishChild(), INFUSION, good_labs())) == [
        "no_active_infection"
    ]
    assert not hasattr(Child(), "active_infection")
    assert eligibility(Child(), INFUSION, good_labs()).ok


def test_labs_may_be_a_mapping_of_value_and_date():
    day = INFUSION - dt.timedelta(days=5)
    labs = {
        "alt": ("30", day),
        "ast": {"value": 35, "sampled_on": day},
        "total_bilirubin": (D("0.8"), day),
        "platelets": (250, day),
        "troponin_i": ("0.01", day),
        "creatinine": ("0.3", day),
        "anti_aav9_titer": ("1:25", day),
    }
    assert eligibility(Child(), INFUSION, labs).ok
    with pytest.raises(ValueError, match="Unknown lab names: sodium"):
        eligibility(Child(), INFUSION, {**labs, "sodium": ("140", day)})


def test_an_override_counts_as_passed_and_keeps_both_reasons():
    labs = good_labs(anti_aav9_titer=TiterResult("1:100", INFUSION - dt.timedelta(days=3)))
    overrides = {"aav9_titer": " Retest at 1:50 pending; manufacturer agreed by e-mail. "}
    result = eligibility(Child(), INFUSION, labs, overrides=overrides)
    assert result.ok
    criterion = result["aav9_titer"]
    assert criterion.passed
    assert criterion.overridden
    assert criterion.overridden_reason == "Retest at 1:50 pending; manufacturer agreed by e-mail."
    assert "1:100" in criterion.reason
    assert result.overridden == [criterion]


def test_an_override_of_a_passing_criterion_changes_nothing():
    result = eligibility(Child(), INFUSION, good_labs(), overrides={"liver": "Not needed."})
    assert result.ok
    assert result.overridden == []


def test_an_override_needs_a_known_criterion_and_a_written_reason():
    with pytest.raises(ValueError, match="Unknown eligibility criteria: titre"):
        eligibility(Child(), INFUSION, good_labs(), overrides={"titre": "Typo."})
    with pytest.raises(ValueError, match="written reason"):
        eligibility(Child(), INFUSION, good_labs(), overrides={"aav9_titer": "  "})


def test_failing_messages_name_the_criterion_and_the_reason():
    result = eligibility(Child(smn1_biallelic_confirmed=False), INFUSION, good_labs())
    assert result.failing_messages() == [
        "Bi-allelic SMN1 mutation confirmed: "
        + "No genetic report confirming bi-allelic SMN1 loss is recorded."
    ]


# --- Treatment calendar -----------------------------------------------------------------------


def by_code(events: list[Event]) -> dict[str, Event]:
    return {e.code: e for e in events}


def test_the_steroid_course_starts_the_day_before_infusion_and_lasts_30_days():
    course = by_code(treatment_calendar(INFUSION))["prednisolone_course"]
    assert course.kind == EventKind.STEROID
    assert course.date == dt.date(2026, 3, 9)
    assert course.end_date == dt.date(2026, 4, 7)
    assert (course.end_date - course.date).days + 1 == 30


def test_the_day_30_review_is_on_the_last_course_day_and_the_taper_follows_for_28_days():
    events = by_code(treatment_calendar(INFUSION))
    assert events["liver_review_day30"].date == dt.date(2026, 4, 7)
    assert events["liver_review_day30"].kind == EventKind.REVIEW
    taper = events["prednisolone_taper"]
    assert (taper.date, taper.end_date) == (dt.date(2026, 4, 8), dt.date(2026, 5, 5))
    assert (taper.end_date - taper.date).days + 1 == 28


def test_liver_and_platelet_tests_are_weekly_then_every_other_week_to_week_12():
    events = treatment_calendar(INFUSION)
    expected = [
        dt.date(2026, 3, 17),
        dt.date(2026, 3, 24),
        dt.date(2026, 3, 31),
        dt.date(2026, 4, 7),
        dt.date(2026, 4, 21),
        dt.date(2026, 5, 5),
        dt.date(2026, 5, 19),
        dt.date(2026, 6, 2),
    ]
    for test in ("liver", "platelets"):
        assert [e.date for e in events if e.code.startswith(f"{test}_week_")] == expected
    assert by_code(events)["liver_week_6"].kind == EventKind.LAB


def test_troponin_is_weekly_then_monthly():
    events = treatment_calendar(INFUSION)
    assert [e.date for e in events if e.code.startswith("troponin_week_")] == [
        dt.date(2026, 3, 17),
        dt.date(2026, 3, 24),
        dt.date(2026, 3, 31),
        dt.date(2026, 4, 7),
        dt.date(2026, 5, 5),
        dt.date(2026, 6, 2),
    ]
    assert MONITORING_WEEKS["troponin"] == (1, 2, 3, 4, 8, 12)


def test_the_cold_chain_deadline_is_14_days_after_receipt_when_known():
    assert "cold_chain_use_by" not in by_code(treatment_calendar(INFUSION))
    events = by_code(treatment_calendar(INFUSION, received_on=dt.date(2026, 3, 5)))
    assert events["cold_chain_use_by"].date == dt.date(2026, 3, 19)
    assert events["cold_chain_use_by"].kind == EventKind.WINDOW


def test_the_calendar_is_sorted_by_date_with_unique_codes():
    events = treatment_calendar(INFUSION, received_on=dt.date(2026, 3, 5))
    assert [e.date for e in events] == sorted(e.date for e in events)
    assert len({e.code for e in events}) == len(events) == 3 + 8 + 8 + 6 + 1


@pytest.mark.parametrize(
    ("today", "done", "status"),
    [
        (dt.date(2026, 3, 16), False, "upcoming"),
        (dt.date(2026, 3, 17), False, "due"),
        (dt.date(2026, 3, 18), False, "overdue"),
        (dt.date(2026, 3, 18), True, "done"),
        (dt.date(2026, 3, 10), True, "done"),
    ],
)
def test_calendar_status_of_a_one_day_test(today, done, status):
    event = by_code(treatment_calendar(INFUSION))["liver_week_1"]
    assert calendar_status(event, today, done) == status


def test_a_course_is_due_while_it_runs_and_overdue_only_after_its_last_day():
    course = by_code(treatment_calendar(INFUSION))["prednisolone_course"]
    assert calendar_status(course, dt.date(2026, 3, 8), False) == "upcoming"
    assert calendar_status(course, dt.date(2026, 3, 20), False) == "due"
    assert calendar_status(course, dt.date(2026, 4, 7), False) == "due"
    assert calendar_status(course, dt.date(2026, 4, 8), False) == "overdue"
