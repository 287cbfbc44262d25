"""Zolgensma's clinical rules as pure functions: dose and kit, eligibility, treatment calendar.

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

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.db import models

# --- Dose and kit -------------------------------------------------------------------------

# DOMAIN.md §1.2 [label]: 1.1e14 vg/kg at 2.0e13 vg/mL, so 5.5 mL/kg [derived].
DOSE_VG_PER_KG = Decimal("1.1e14")
CONCENTRATION_VG_PER_ML = Decimal("2.0e13")
VOLUME_ML_PER_KG = DOSE_VG_PER_KG / CONCENTRATION_VG_PER_ML  # Decimal("5.5")
# DOMAIN.md §1.2 [label]: vials of at least 5.5 mL and 8.3 mL extractable volume.
VIAL_5_5_ML = Decimal("5.5")
VIAL_8_3_ML = Decimal("8.3")
# DOMAIN.md §1.2-1.3 [label]: 0.5 kg bands from 2.6 kg to 21.0 kg, 37 in all.
MIN_WEIGHT_KG = Decimal("2.6")
MAX_WEIGHT_KG = Decimal("21.0")
BAND_WIDTH_KG = Decimal("0.5")
PREDNISOLONE_MG_PER_KG_PER_DAY = Decimal(1)  # DOMAIN.md §1.7 [label]

_TENTH = Decimal("0.1")

# DOMAIN.md §1.3, columns "5.5 mL vials" and "8.3 mL vials", copied row by row; it is read by
# band and never computed from a weight. The split is [unconfirmed] (DOMAIN.md §1.3 and §8
# question 1): DOMAIN.md derived it as the fewest vials whose fill covers the dose volume,
# and among those the least overfill. It matches every vial count the US HCP site shows; the
# manufacturer's order form is authoritative. Rows 8.6-12.0 and 18.1-21.0 kg are inferred.
_KIT_ROWS: tuple[tuple[str, str, int, int], ...] = (
    # band (kg)       5.5 mL  8.3 mL
    ("2.6", "3.0", 0, 2),
    ("3.1", "3.5", 2, 1),
    ("3.6", "4.0", 1, 2),
    ("4.1", "4.5", 0, 3),
    ("4.6", "5.0", 2, 2),
    ("5.1", "5.5", 1, 3),
    ("5.6", "6.0", 0, 4),
    ("6.1", "6.5", 2, 3),
    ("6.6", "7.0", 1, 4),
    ("7.1", "7.5", 0, 5),
    ("7.6", "8.0", 2, 4),
    ("8.1", "8.5", 1, 5),
    ("8.6", "9.0", 0, 6),
    ("9.1", "9.5", 2, 5),
    ("9.6", "10.0", 1, 6),
    ("10.1", "10.5", 0, 7),
    ("10.6", "11.0", 2, 6),
    ("11.1", "11.5", 1, 7),
    ("11.6", "12.0", 0, 8),
    ("12.1", "12.5", 2, 7),
    ("12.6", "13.0", 1, 8),
    ("13.1", "13.5", 0, 9),
    ("13.6", "14.0", 2, 8),
    ("14.1", "14.5", 1, 9),
    ("14.6", "15.0", 0, 10),
    ("15.1", "15.5", 2, 9),
    ("15.6", "16.0", 1, 10),
    ("16.1", "16.5", 0, 11),
    ("16.6", "17.0", 2, 10),
    ("17.1", "17.5", 1, 11),
    ("17.6", "18.0", 0, 12),
    ("18.1", "18.5", 2, 11),
    ("18.6", "19.0", 1, 12),
    ("19.1", "19.5", 0, 13),
    ("19.6", "20.0", 2, 12),
    ("20.1", "20.5", 1, 13),
    ("20.6", "21.0", 0, 14),
)
#: (band low kg, band high kg) -> (5.5 mL vials, 8.3 mL vials).
KIT_VIAL_MIX: Mapping[tuple[Decimal, Decimal], tuple[int, int]] = MappingProxyType(
    {(Decimal(lo), Decimal(hi)): (n55, n83) for lo, hi, n55, n83 in _KIT_ROWS}
)


class WeightOutOfRange(ValueError):
    """No Zolgensma weight band holds this weight; the case goes to manual review."""

    def __init__(self, weight_kg: Decimal) -> None:
        self.weight_kg = weight_kg
        super().__init__(
            f"A weight of {weight_kg} kg is outside the Zolgensma weight bands "
            f"({MIN_WEIGHT_KG}-{MAX_WEIGHT_KG} kg). No kit exists for it, so the case needs "
            "manual review."
        )


@dataclass(frozen=True)
class DosePlan:
    weight_kg: Decimal  # as measured, to 0.01 kg; never rounded
    band_low_kg: Decimal
    band_high_kg: Decimal
    dose_vg: int  # exact, 1.1e14 x band_high_kg; the label table rounds it
    dose_volume_ml: Decimal
    vials_5_5ml: int
    vials_8_3ml: int
    total_vials: int
    filled_volume_ml: Decimal
    prednisolone_mg_per_day: Decimal

    @property
    def band_label(self) -> str:
        return f"{self.band_low_kg}-{self.band_high_kg} kg"


def to_decimal(value: Decimal | float | str) -> Decimal:
    """A Decimal from user or model input; floats go through ``str`` so 3.05 stays 3.05."""
    if isinstance(value, bool):
        raise TypeError(f"{value!r} is not a number.")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number.") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number.")
    return number


def weight_band(weight_kg: Decimal | float | str) -> tuple[Decimal, Decimal]:
    """(low, high) of the first 0.5 kg band whose upper limit is at or above the weight.

    DOMAIN.md §1.10: a weight is never rounded into or across a band, so the child never
    receives less than 1.1e14 vg/kg: 3.0 kg -> 2.6-3.0, 3.01 kg -> 3.1-3.5, 2.59 kg and
    21.01 kg have no band (``WeightOutOfRange``).
    """
    weight = to_decimal(weight_kg)
    if not MIN_WEIGHT_KG <= weight <= MAX_WEIGHT_KG:
        raise WeightOutOfRange(weight)
    start = MIN_WEIGHT_KG - _TENTH  # 2.5: bands are (2.5, 3.0], (3.0, 3.5], ...
    steps = ((weight - start) / BAND_WIDTH_KG).to_integral_value(rounding=ROUND_CEILING)
    high = start + steps * BAND_WIDTH_KG
    return high - BAND_WIDTH_KG + _TENTH, high


def zolgensma_dose(weight_kg: Decimal | float | str) -> DosePlan:
    """The dose and kit for a measured weight (DOMAIN.md §1.2-1.3, §1.10).

    The band is the first whose upper limit is at or above the weight, which is never
    rounded (3.0 -> 2.6-3.0; 3.01 -> 3.1-3.5). Floats and strings are read through
    ``Decimal(str(x))``. Below 2.6 kg or above 21.0 kg there is no band: ``WeightOutOfRange``.

    The volume is 5.5 mL/kg times the band's upper limit, rounded half up to one decimal as the
    label prints it (3.1-3.5 kg: 5.5 x 3.5 = 19.25 -> 19.3 mL). Prednisolone is 1 mg/kg/day of
    the measured weight, not of the band.
    """
    weight = to_decimal(weight_kg)
    low, high = weight_band(weight)
    n55, n83 = KIT_VIAL_MIX[(low, high)]
    return DosePlan(
        weight_kg=weight,
        band_low_kg=low,
        band_high_kg=high,
        dose_vg=int(DOSE_VG_PER_KG * high),
        dose_volume_ml=(VOLUME_ML_PER_KG * high).quantize(_TENTH, rounding=ROUND_HALF_UP),
        vials_5_5ml=n55,
        vials_8_3ml=n83,
        total_vials=n55 + n83,
        filled_volume_ml=VIAL_5_5_ML * n55 + VIAL_8_3_ML * n83,
        prednisolone_mg_per_day=weight * PREDNISOLONE_MG_PER_KG_PER_DAY,
    )


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
    return int(
        settings.NPP_AAV9_TITER_MAX_DENOMINATOR
    )


def titer_meets_threshold(text: str, threshold: int | None = None) -> bool:
    """True for a titre at or below 1:``threshold`` (1:50 passes, 1:100 does not)."""
    limit = titer_max_denominator() if threshold is None else threshold
    return parse_titer(text) <= limit


# --- Eligibility --------------------------------------------------------------------------

LIVER_ULN_MULTIPLE = Decimal(2)  # DOMAIN.md §1.6 [label]: > 2 x ULN was not studied

#: Criterion code -> label, in the order ``eligibility`` lists them (DOMAIN.md §1.1, §1.6).
CRITERIA: Mapping[str, str] = MappingProxyType(
    {
        "under_two": "Under 2 years old on the infusion date",
        "full_term_corrected_age": "Corrected age of at least 37 weeks (full term)",
        "smn1_confirmed": "Bi-allelic SMN1 mutation confirmed",
        "aav9_titer": "Anti-AAV9 antibody titre within the threshold",
        "liver": "ALT, AST and total bilirubin not above 2 x ULN",
        "platelets_measured": "Platelet count measured",
        "troponin_measured": "Troponin-I measured",
        "creatinine_measured": "Serum creatinine measured",
        "no_active_infection": "No active infection",
    }
)
_LAB_NAMES = {
    "alt": "ALT",
    "ast": "AST",
    "total_bilirubin": "Total bilirubin",
    "platelets": "Platelet count",
    "troponin_i": "Troponin-I",
    "creatinine": "Creatinine",
    "anti_aav9_titer": "Anti-AAV9 titre",
}


@dataclass(frozen=True)
class LabValue:
    value: Decimal
    sampled_on: dt.date
    uln: Decimal | None = None  # the lab report's own upper limit, if it prints one

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", to_decimal(self.value))
        if self.uln is not None:
            object.__setattr__(self, "uln", to_decimal(self.uln))


@dataclass(frozen=True)
class TiterResult:
    text: str
    sampled_on: dt.date


@dataclass(frozen=True)
class Labs:
    """Baseline results; a missing test is ``None``."""

    alt: LabValue | None = None
    ast: LabValue | None = None
    total_bilirubin: LabValue | None = None
    platelets: LabValue | None = None
    troponin_i: LabValue | None = None
    creatinine: LabValue | None = None
    anti_aav9_titer: TiterResult | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Labs:
        """Build from ``{"alt": (value, sampled_on), "anti_aav9_titer": ("1:25", day)}``.

        Values may also be ``LabValue``/``TiterResult`` objects, or mappings with ``value``
        (``text`` for the titre), ``sampled_on`` and optionally ``uln``.
        """
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"Unknown lab names: {', '.join(sorted(unknown))}.")
        return cls(**{name: _lab_item(name, item) for name, item in data.items()})


def _lab_item(name: str, item: Any) -> LabValue | TiterResult | None:
    kind = TiterResult if name == "anti_aav9_titer" else LabValue
    if item is None or isinstance(item, kind):
        return item
    if isinstance(item, Mapping):
        return kind(**item)
    return kind(*item)


@dataclass
class Criterion:
    code: str
    label: str
    passed: bool
    reason: str  # why it passed or failed; kept when a failure is overridden
    overridden_reason: str | None = None  # the written reason a person gave for overriding

    @property
    def overridden(self) -> bool:
        return self.overridden_reason is not None


@dataclass
class Eligibility:
    criteria: list[Criterion] = field(default_factory=list)

    @property
    def failing(self) -> list[Criterion]:
        return [c for c in self.criteria if not c.passed]

    @property
    def ok(self) -> bool:
        return not self.failing

    @property
    def overridden(self) -> list[Criterion]:
        return [c for c in self.criteria if c.overridden]

    def failing_messages(self) -> list[str]:
        """One sentence per failing criterion, for blockers and refusals."""
        return [f"{c.label}: {c.reason}" for c in self.failing]

    def __getitem__(self, code: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.code == code:
                return criterion
        raise KeyError(code)


def _day(day: dt.date) -> str:
    return f"{day:%d %b %Y}"


def lab_validity_days() -> int:
    return int(settings.NPP_LAB_VALIDITY_DAYS)


def uln_limits() -> dict[str, Decimal]:
    return {k: to_decimal(v) for k, v in settings.NPP_ULN.items()}


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later; 29 February falls back to 28 February
    (DOMAIN.md §1.10: a child born on 29 Feb turns 2 on 28 Feb of a non-leap year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def second_birthday(born: dt.date) -> dt.date:
    return add_years(born, 2)


def under_two_problem(born: dt.date, on_date: dt.date) -> str | None:
    """Why a child born ``born`` cannot be infused on ``on_date`` (an India date), or None.

    DOMAIN.md §1.10: under 2 means before the 2nd birthday; a date of birth after the date is
    a data error, never "under 2".
    """
    if born > on_date:
        return (
            f"The date of birth ({_day(born)}) is after {_day(on_date)}: correct the date of "
            "birth before anything else."
        )
    birthday = second_birthday(born)
    if on_date >= birthday:
        return f"Turns 2 on {_day(birthday)}, on or before {_day(on_date)}."
    return None


# DOMAIN.md §1.1 [label] and §1.10: not before full-term corrected age, 37 weeks.
FULL_TERM_WEEKS = 37
# The earliest gestational age at birth the system accepts (a typing error below it). A child
# at least FULL_TERM_WEEKS - MIN_GESTATIONAL_AGE_WEEKS weeks old is past 37 corrected weeks
# whatever the gestational age, so it need not be known for older children.
MIN_GESTATIONAL_AGE_WEEKS = 22
MAX_GESTATIONAL_AGE_WEEKS = 44


def corrected_age_days(gestational_age_weeks: int, born: dt.date, on_date: dt.date) -> int:
    """Gestational age at birth plus the days since birth, in days."""
    return gestational_age_weeks * 7 + (on_date - born).days


def _sample_problem(name: str, result: Any, on_date: dt.date) -> str | None:
    """Why a result cannot be used on ``on_date`` (missing, stale or future), else None."""
    label = _LAB_NAMES[name]
    if result is None:
        return f"{label} result missing."
    days = lab_validity_days()
    earliest = on_date - dt.timedelta(days=days)
    if result.sampled_on < earliest:
        return (
            f"{label} sample of {_day(result.sampled_on)} is more than {days} days before "
            f"{_day(on_date)} (earliest accepted {_day(earliest)}); repeat the test."
        )
    if result.sampled_on > on_date:
        return f"{label} sample is dated {_day(result.sampled_on)}, after {_day(on_date)}."
    return None


def _check_age(patient: Any, on_date: dt.date) -> tuple[bool, str]:
    # DOMAIN.md §1.1 [label]: "less than 2 years old"; on the 2nd birthday itself it is refused.
    problem = under_two_problem(patient.date_of_birth, on_date)
    if problem:
        return False, problem
    return True, f"Turns 2 on {_day(second_birthday(patient.date_of_birth))}, after {_day(on_date)}."


def _check_full_term(patient: Any, on_date: dt.date) -> tuple[bool, str]:
    # DOMAIN.md §1.10: until the corrected age reaches 37 weeks, postpone (not a refusal).
    born = patient.date_of_birth
    weeks_at_birth = getattr(patient, "gestational_age_weeks", None)
    full_term_days = FULL_TERM_WEEKS * 7
    if born > on_date:
        return False, "The date of birth is after the infusion date."
    if weeks_at_birth is None:
        if corrected_age_days(MIN_GESTATIONAL_AGE_WEEKS, born, on_date) >= full_term_days:
            return True, "Old enough to be past 37 weeks corrected age whatever the gestation."
        return False, (
            "Record the gestational age at birth (completed weeks): the child is "
            f"{(on_date - born).days // 7} weeks old, so prematurity could still matter."
        )
    days = corrected_age_days(weeks_at_birth, born, on_date)
    if days >= full_term_days:
        return True, f"Born at {weeks_at_birth} weeks; {days // 7} weeks corrected age."
    reached = born + dt.timedelta(days=full_term_days - weeks_at_birth * 7)
    return False, (
        f"Born at {weeks_at_birth} weeks: {days // 7} weeks {days % 7} days corrected age on "
        f"{_day(on_date)}. Postpone to {_day(reached)} or later (37 weeks corrected)."
    )


def _check_smn1(patient: Any, on_date: dt.date) -> tuple[bool, str]:
    if patient.smn1_biallelic_confirmed:
        return True, "Genetic report confirms bi-allelic SMN1 loss."
    return False, "No genetic report confirming bi-allelic SMN1 loss is recorded."


def _check_titer(labs: Labs, on_date: dt.date) -> tuple[bool, str]:
    titer = labs.anti_aav9_titer
    problem = _sample_problem("anti_aav9_titer", titer, on_date)
    if titer is None or problem:
        return False, problem or ""
    text, limit = titer.text, titer_max_denominator()
    try:
        meets = titer_meets_threshold(text, limit)
    except MalformedTiter as exc:
        return False, str(exc)
    if meets:
        return True, f"Titre {text.strip()} is at or below 1:{limit}."
    # DOMAIN.md §1.6: the label allows a retest when the titre is above 1:50.
    return False, f"Titre {text.strip()} is above 1:{limit}; a retest may be done."


def _check_liver(labs: Labs, on_date: dt.date) -> tuple[bool, str]:
    # DOMAIN.md §1.10: 2 x the ULN printed by the lab that ran the test; the configured default
    # only when the lab printed none, and say so. Equal to 2 x ULN passes; above fails.
    # Neonatal jaundice is the label's exception for bilirubin: record it as an override.
    limits, problems, values = uln_limits(), [], []
    for name in ("alt", "ast", "total_bilirubin"):
        result = getattr(labs, name)
        problem = _sample_problem(name, result, on_date)
        if problem is None:
            uln = result.uln if result.uln is not None else limits[name]
            cap = LIVER_ULN_MULTIPLE * uln
            source = "" if result.uln is not None else " (the lab printed no ULN; default used)"
            values.append(f"{_LAB_NAMES[name]} {result.value} (2 x ULN {cap}{source})")
            if result.value > cap:
                problem = (
                    f"{_LAB_NAMES[name]} {result.value} is above 2 x ULN ({cap}){source}."
                )
        if problem:
            problems.append(problem)
    if problems:
        return False, " ".join(problems)
    return True, f"{', '.join(values)}: none above 2 x ULN."


def _measured(name: str) -> Callable[[Labs, dt.date], tuple[bool, str]]:
    def check(labs: Labs, on_date: dt.date) -> tuple[bool, str]:
        problem = _sample_problem(name, getattr(labs, name), on_date)
        if problem:
            return False, problem
        return True, f"{_LAB_NAMES[name]} sampled on {_day(getattr(labs, name).sampled_on)}."

    return check


def _check_infection(patient: Any, on_date: dt.date) -> tuple[bool, str]:
    # DOMAIN.md §1.6 [label]: postpone while an acute or uncontrolled chronic infection lasts.
    if getattr(patient, "active_infection", False):
        return False, "An active infection is recorded; postpone until it resolves."
    return True, "No active infection recorded."


_PATIENT_CHECKS = {
    "under_two": _check_age,
    "full_term_corrected_age": _check_full_term,
    "smn1_confirmed": _check_smn1,
    "no_active_infection": _check_infection,
}
_LAB_CHECKS = {
    "aav9_titer": _check_titer,
    "liver": _check_liver,
    "platelets_measured": _measured("platelets"),
    "troponin_measured": _measured("troponin_i"),
    "creatinine_measured": _measured("creatinine"),
}


def eligibility(
    patient: Any,
    on: dt.date | None = None,
    labs: Labs | Mapping[str, Any] | None = None,
    overrides: Mapping[str, str] | None = None,
    *,
    on_date: dt.date | None = None,
) -> Eligibility:
    """Each pre-infusion criterion of DOMAIN.md §1.1/§1.6/§1.10 with pass or fail and why.

    ``patient`` needs ``date_of_birth`` and ``smn1_biallelic_confirmed``;
    ``gestational_age_weeks`` and ``active_infection`` are read if present. ``on`` (or
    ``on_date``) is the planned infusion date in India. ``labs`` values may carry the ``uln``
    their lab printed. ``overrides`` maps a criterion code to the written reason a person
    gave: a failing criterion then counts as passed and keeps both its failure reason and
    ``overridden_reason``.
    """
    on = on if on is not None else on_date
    if on is None:
        raise TypeError("eligibility() needs the date it is judged on ('on').")
    if not isinstance(labs, Labs):
        labs = Labs.from_mapping(labs or {})
    overrides = _checked_overrides(overrides or {})
    result = Eligibility()
    for code, label in CRITERIA.items():
        if code in _PATIENT_CHECKS:
            passed, reason = _PATIENT_CHECKS[code](patient, on)
        else:
            passed, reason = _LAB_CHECKS[code](labs, on)
        criterion = Criterion(code=code, label=label, passed=passed, reason=reason)
        if not passed and code in overrides:
            criterion.passed, criterion.overridden_reason = True, overrides[code]
        result.criteria.append(criterion)
    return result


def _checked_overrides(overrides: Mapping[str, str]) -> dict[str, str]:
    unknown = set(overrides) - set(CRITERIA)
    if unknown:
        raise ValueError(f"Unknown eligibility criteria: {', '.join(sorted(unknown))}.")
    blank = [code for code, reason in overrides.items() if not (reason or "").strip()]
    if blank:
        raise ValueError(f"An override needs a written reason: {', '.join(sorted(blank))}.")
    return {code: reason.strip() for code, reason in overrides.items()}


# --- Treatment calendar -------------------------------------------------------------------

# DOMAIN.md §1.7 [label]: prednisolone 1 mg/kg/day from day -1 (infusion is day 0), 30 days in
# total, so day -1 to day 28. The "day-30" liver review is on the course's 30th and last day,
# day 28, so its results decide what happens on day 29: taper over the next 28 days (day 29 to
# day 56) if unremarkable, or continue 1 mg/kg/day (the doctor records that; never stop).
STEROID_START_DAY = -1
STEROID_COURSE_DAYS = 30
LIVER_REVIEW_DAY = STEROID_START_DAY + STEROID_COURSE_DAYS - 1  # 28
TAPER_DAYS = 28

# DOMAIN.md §1.8 [label; HCP site]: test weeks after infusion (week n = day 7n).
# Liver and platelets: weekly in month 1, then every other week to the end of month 3.
# Troponin-I: weekly in month 1, then monthly in months 2-3 (2019 label). Open question
# (DOMAIN.md §8 question 11): the 2025 label or HCP site may differ for months 2-3.
MONITORING_WEEKS: Mapping[str, tuple[int, ...]] = MappingProxyType(
    {
        "liver": (1, 2, 3, 4, 6, 8, 10, 12),
        "platelets": (1, 2, 3, 4, 6, 8, 10, 12),
        "troponin": (1, 2, 3, 4, 8, 12),
    }
)
# A planned test counts as done with a result sampled within this many days of its date.
SLOT_TOLERANCE_DAYS = 3
# DOMAIN.md §1.7: the taper starts the day after the day-30 review and lasts 28 days.
EARLIEST_TAPER_END_DAY = LIVER_REVIEW_DAY + TAPER_DAYS  # day 56
_MONITORING_TITLES = {
    "liver": "Liver function tests (exam, ALT, AST, bilirubin, PT/INR)",
    "platelets": "Platelet count",
    "troponin": "Troponin-I",
}


class EventKind(models.TextChoices):
    STEROID = "steroid", "Steroid"
    LAB = "lab", "Lab test"
    REVIEW = "review", "Review"
    WINDOW = "window", "Deadline"


class EventStatus(models.TextChoices):
    DONE = "done", "Done"
    DUE = "due", "Due"
    OVERDUE = "overdue", "Overdue"
    UPCOMING = "upcoming", "Upcoming"


@dataclass(frozen=True)
class Event:
    code: str  # stable, e.g. "liver_week_6"; safe for reminder dedupe keys
    title: str
    kind: str  # an EventKind value
    date: dt.date  # the day it happens, or the first day of a course
    end_date: dt.date | None = None  # the last day of a course, inclusive


def treatment_calendar(
    infusion_date: dt.date, *, received_on: dt.date | None = None
) -> list[Event]:
    """The steroid course, liver review, taper, monitoring tests and kit deadline, by date."""

    def day(n: int) -> dt.date:
        return infusion_date + dt.timedelta(days=n)

    taper_start = LIVER_REVIEW_DAY + 1
    events = [
        Event(
            "prednisolone_course",
            "Prednisolone 1 mg/kg/day, 30 days (day -1 to day 28)",
            EventKind.STEROID,
            day(STEROID_START_DAY),
            day(LIVER_REVIEW_DAY),
        ),
        Event(
            "liver_review_day30",
            "Day-30 liver review (exam, ALT, AST, bilirubin, PT/INR) and taper decision",
            EventKind.REVIEW,
            day(LIVER_REVIEW_DAY),
        ),
        Event(
            "prednisolone_taper",
            "Prednisolone taper over 28 days if the day-30 review is unremarkable",
            EventKind.STEROID,
            day(taper_start),
            day(taper_start + TAPER_DAYS - 1),
        ),
    ]
    for test, weeks in MONITORING_WEEKS.items():
        for week in weeks:
            title = f"{_MONITORING_TITLES[test]}, week {week}"
            events.append(Event(f"{test}_week_{week}", title, EventKind.LAB, day(7 * week)))
    if received_on is not None:
        days = int(settings.NPP_COLD_CHAIN_DAYS)
        events.append(
            Event(
                "cold_chain_use_by",
                f"Last day to infuse: kit received {_day(received_on)}, use within {days} days",
                EventKind.WINDOW,
                received_on + dt.timedelta(days=days),
            )
        )
    return sorted(events, key=lambda e: e.date)


def calendar_status(event: Event, today: dt.date, done: bool) -> str:
    """done, or overdue once its (last) day has passed, due on its day(s), else upcoming."""
    if done:
        return EventStatus.DONE
    if (event.end_date or event.date) < today:
        return EventStatus.OVERDUE
    if event.date <= today:
        return EventStatus.DUE
    return EventStatus.UPCOMING


def monitoring_gaps(
    infusion_date: dt.date, results: list[tuple[str, dt.date]]
) -> list[str]:
    """The slots of the first 3 months (DOMAIN.md §1.8) with no result of their test sampled
    within ``SLOT_TOLERANCE_DAYS`` of the slot's date, e.g. ``["Troponin-I, week 8"]``."""
    missing = []
    for test, weeks in MONITORING_WEEKS.items():
        days = [taken for name, taken in results if name == test]
        for week in weeks:
            slot = infusion_date + dt.timedelta(days=7 * week)
            if not any(abs((taken - slot).days) <= SLOT_TOLERANCE_DAYS for taken in days):
                missing.append(f"{_MONITORING_TITLES[test].split(' (')[0]}, week {week}")
    return missing


def liver_problems(values: Mapping[str, tuple[Any, Any]]) -> list[str]:
    """Why liver results are not unremarkable (DOMAIN.md §1.7: ALT and AST < 2 x ULN,
    bilirubin normal); ``values`` maps alt/ast/total_bilirubin to (value, the lab's ULN or
    None, in which case the configured default is used)."""
    limits, problems = uln_limits(), []
    for name in ("alt", "ast", "total_bilirubin"):
        value, uln = values.get(name, (None, None))
        label = _LAB_NAMES[name]
        if value is None:
            problems.append(f"{label} not recorded.")
            continue
        uln = to_decimal(uln) if uln is not None else limits[name]
        value = to_decimal(value)
        if name == "total_bilirubin":
            if value > uln:
                problems.append(f"{label} {value} is above the ULN ({uln}).")
        elif value >= LIVER_ULN_MULTIPLE * uln:
            problems.append(f"{label} {value} is not below 2 x ULN ({LIVER_ULN_MULTIPLE * uln}).")
    return problems
