"""The tests a value can be entered for, their units and the range a typed value must fall in.

Canonical units are those of the baseline lab fields (``cases.lab_fields``), so a value is
compared with a baseline after converting it with the factor of its unit. The factors are unit
arithmetic (µmol/L of bilirubin = mg/dL x 17.1, of creatinine = mg/dL x 88.4; g/L = g/dL x 10;
µg/L = ng/mL; 10^9/L = 10^3/µL), not clinical facts. The bounds are what a form accepts (a
value outside is a typing error, not a result); they are not thresholds, which live in
``clinical.thresholds`` and ``cases.clinical`` (DOMAIN.md §1.7-1.10).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Unit:
    code: str  # as stored and typed, e.g. "U/L"
    factor: Decimal  # canonical value = value / factor


@dataclass(frozen=True)
class Test:
    code: str
    name: str
    units: tuple[Unit, ...]  # the first is the canonical unit
    highest: Decimal  # in the canonical unit; values must be >= 0 and <= highest
    uln_applies: bool = True  # the lab prints an upper limit of normal for it

    @property
    def canonical(self) -> Unit:
        return self.units[0]

    def unit(self, code: str) -> Unit | None:
        wanted = code.strip().replace("μ", "µ").lower()
        return next((u for u in self.units if u.code.lower() == wanted), None)

    def unit_codes(self) -> list[str]:
        return [u.code for u in self.units]


ONE = Decimal(1)

TESTS: dict[str, Test] = {
    t.code: t
    for t in (
        Test("alt", "ALT", (Unit("U/L", ONE), Unit("IU/L", ONE)), Decimal(5000)),
        Test("ast", "AST", (Unit("U/L", ONE), Unit("IU/L", ONE)), Decimal(5000)),
        Test(
            "total_bilirubin",
            "Total bilirubin",
            (Unit("mg/dL", ONE), Unit("µmol/L", Decimal("17.1"))),
            Decimal(50),
        ),
        Test("pt", "Prothrombin time (PT)", (Unit("s", ONE),), Decimal(200)),
        Test("inr", "INR", (Unit("ratio", ONE),), Decimal(20)),
        Test(
            "platelets",
            "Platelet count",
            (Unit("x10^3/µL", ONE), Unit("x10^9/L", ONE), Unit("lakh/µL", Decimal("0.01"))),
            Decimal(2000),
        ),
        Test(
            "haemoglobin", "Haemoglobin", (Unit("g/dL", ONE), Unit("g/L", Decimal(10))), Decimal(30)
        ),
        Test(
            "creatinine",
            "Creatinine",
            (Unit("mg/dL", ONE), Unit("µmol/L", Decimal("88.4"))),
            Decimal(20),
        ),
        Test("troponin_i", "Troponin-I", (Unit("ng/mL", ONE), Unit("µg/L", ONE)), Decimal(100)),
        Test(
            "anti_aav9",
            "Anti-AAV9 titre (1:N, the N)",
            (Unit("1:N", ONE),),
            Decimal(1_000_000),
            uln_applies=False,
        ),
    )
}
OTHER = "other"  # any other test, by name: unit free text, only the bounds of a number

# Which tests each panel of DOMAIN.md §1.8 expects at a slot ("Liver (exam, ALT, AST,
# bilirubin, PT)"; platelet count; troponin-I); INR is printed with the PT and recorded when
# given.
PANELS: dict[str, tuple[str, ...]] = {
    "liver": ("alt", "ast", "total_bilirubin", "pt"),
    "platelets": ("platelets",),
    "troponin": ("troponin_i",),
}
# Shown in every slot's grid, expected in none: the TMA watch (DOMAIN.md §1.8: haemolytic
# anaemia and kidney function) and the INR.
OPTIONAL = ("inr", "haemoglobin", "creatinine")

OTHER_HIGHEST = Decimal("1000000")


class LabInputError(ValueError):
    """A value that cannot be saved; the message says why, for the person typing."""


def check_value(test: str, value: Decimal | None, unit: str, *, name: str = "") -> Decimal:
    """``value`` in the canonical unit of ``test``, or ``LabInputError`` saying what is wrong
    (no value, no unit, a unit the test is not measured in, outside what the form accepts)."""
    label = TESTS[test].name if test in TESTS else (name or _("This test"))
    if value is None:
        raise LabInputError(_("%(test)s: enter a value.") % {"test": label})
    if not (unit or "").strip():
        raise LabInputError(_("%(test)s: enter the unit the lab printed.") % {"test": label})
    if test not in TESTS:
        if value < 0 or value > OTHER_HIGHEST:
            raise LabInputError(
                _("%(test)s: %(value)s is not a plausible value.") % {"test": label, "value": value}
            )
        return value
    spec = TESTS[test]
    found = spec.unit(unit)
    if found is None:
        raise LabInputError(
            _("%(test)s is not measured in %(unit)s; use %(units)s.")
            % {"test": label, "unit": unit, "units": _(" or ").join(spec.unit_codes())}
        )
    canonical = value / found.factor
    if value < 0 or canonical > spec.highest:
        highest = spec.highest * found.factor
        raise LabInputError(
            _(
                "%(test)s %(value)s %(unit)s is outside the physiological range (0 to %(highest)s %(unit)s); check the report."
            )
            % {"test": label, "value": value, "unit": found.code, "highest": highest.normalize()}
        )
    return canonical


def to_canonical(test: str, value: Decimal, unit: str) -> Decimal:
    """A stored value in its test's canonical unit (stored values passed ``check_value``)."""
    spec = TESTS.get(test)
    found = spec.unit(unit) if spec else None
    return value / found.factor if found else value


def label_of(test: str, name: str = "") -> str:
    return TESTS[test].name if test in TESTS else name or str(_("Other test"))
