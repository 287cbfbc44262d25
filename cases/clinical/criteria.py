"""Pre-infusion eligibility, criterion by criterion (DOMAIN.md §1.1, §1.6, §1.10)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from django.conf import settings

from .dose import to_decimal
from .titre import MalformedTiter, titer_max_denominator, titer_meets_threshold

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
        items: dict[str, Any] = {name: _lab_item(name, item) for name, item in data.items()}
        return cls(**items)


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
    return (
        True,
        f"Turns 2 on {_day(second_birthday(patient.date_of_birth))}, after {_day(on_date)}.",
    )


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
                problem = f"{_LAB_NAMES[name]} {result.value} is above 2 x ULN ({cap}){source}."
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
