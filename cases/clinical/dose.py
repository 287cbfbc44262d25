"""Dose and kit for a measured weight (DOMAIN.md §1.2-1.3, §1.10)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from types import MappingProxyType

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
