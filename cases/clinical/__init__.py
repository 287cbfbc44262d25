"""Zolgensma's clinical rules as pure functions (a package: ``dose``, ``titre``,
``criteria``, ``calendar``; every public name is importable from here): dose and kit, eligibility, treatment calendar.

Nothing here touches the database or the clock; callers pass the dates (India dates, as every
date rule in this project means, see ``cases.models.today_ist``). Every table names its source
in ``../shared/DOMAIN.md`` with the brief's tags: [label] from the prescribing information,
[derived] computed by us from labelled numbers, [default] our configurable choice.

Settings read at call time; their defaults live in ``npp/settings.py`` only:

- ``NPP_AAV9_TITER_MAX_DENOMINATOR`` (default 50): the highest anti-AAV9 titre allowed, 1:50.
  DOMAIN.md §1.6 [label]: trials used <= 1:50; safety above it is not established.
- ``NPP_LAB_VALIDITY_DAYS`` (default 30): how old a baseline sample may be on the checked date.
  DOMAIN.md §4 items 6-7 [default].
- ``NPP_ULN``: fallback upper limits of normal for ALT, AST, total bilirubin, used only when
  the lab printed none. Placeholders [default]; DOMAIN.md gives no numbers.
- ``NPP_COLD_CHAIN_DAYS`` (default 14): use the kit within 14 days of
  receipt. DOMAIN.md §1.5 [label].
"""

from __future__ import annotations

from .calendar import (
    EARLIEST_TAPER_END_DAY,
    LIVER_REVIEW_DAY,
    MONITORING_WEEKS,
    SLOT_TOLERANCE_DAYS,
    STEROID_COURSE_DAYS,
    STEROID_START_DAY,
    TAPER_DAYS,
    Event,
    EventKind,
    EventStatus,
    calendar_status,
    liver_problems,
    monitoring_gaps,
    treatment_calendar,
)
from .criteria import (
    CRITERIA,
    FULL_TERM_WEEKS,
    LIVER_ULN_MULTIPLE,
    MAX_GESTATIONAL_AGE_WEEKS,
    MIN_GESTATIONAL_AGE_WEEKS,
    Criterion,
    Eligibility,
    Labs,
    LabValue,
    TiterResult,
    add_years,
    corrected_age_days,
    eligibility,
    lab_validity_days,
    second_birthday,
    uln_limits,
    under_two_problem,
)
from .dose import (
    BAND_WIDTH_KG,
    CONCENTRATION_VG_PER_ML,
    DOSE_VG_PER_KG,
    KIT_VIAL_MIX,
    MAX_WEIGHT_KG,
    MIN_WEIGHT_KG,
    PREDNISOLONE_MG_PER_KG_PER_DAY,
    VIAL_5_5_ML,
    VIAL_8_3_ML,
    VOLUME_ML_PER_KG,
    DosePlan,
    WeightOutOfRange,
    to_decimal,
    weight_band,
    zolgensma_dose,
)
from .titre import (
    MalformedTiter,
    parse_titer,
    titer_max_denominator,
    titer_meets_threshold,
)

__all__ = [
    "BAND_WIDTH_KG",
    "CONCENTRATION_VG_PER_ML",
    "CRITERIA",
    "DOSE_VG_PER_KG",
    "EARLIEST_TAPER_END_DAY",
    "FULL_TERM_WEEKS",
    "KIT_VIAL_MIX",
    "LIVER_REVIEW_DAY",
    "LIVER_ULN_MULTIPLE",
    "MAX_GESTATIONAL_AGE_WEEKS",
    "MAX_WEIGHT_KG",
    "MIN_GESTATIONAL_AGE_WEEKS",
    "MIN_WEIGHT_KG",
    "MONITORING_WEEKS",
    "PREDNISOLONE_MG_PER_KG_PER_DAY",
    "SLOT_TOLERANCE_DAYS",
    "STEROID_COURSE_DAYS",
    "STEROID_START_DAY",
    "TAPER_DAYS",
    "VIAL_5_5_ML",
    "VIAL_8_3_ML",
    "VOLUME_ML_PER_KG",
    "Criterion",
    "DosePlan",
    "Eligibility",
    "Event",
    "EventKind",
    "EventStatus",
    "LabValue",
    "Labs",
    "MalformedTiter",
    "TiterResult",
    "WeightOutOfRange",
    "add_years",
    "calendar_status",
    "corrected_age_days",
    "eligibility",
    "lab_validity_days",
    "liver_problems",
    "monitoring_gaps",
    "parse_titer",
    "second_birthday",
    "titer_max_denominator",
    "titer_meets_threshold",
    "to_decimal",
    "treatment_calendar",
    "uln_limits",
    "under_two_problem",
    "weight_band",
    "zolgensma_dose",
]
