"""The lab values recorded on documents (baseline) and on results after infusion, defined once.

The bounds are the physiological ranges a form accepts (a value outside is a typing error,
not a result); they are not clinical thresholds, which live in ``cases.clinical``.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

# name: (label, max_digits, decimal_places, highest value accepted)
LAB_VALUES = {
    "alt": ("ALT (U/L)", 7, 1, Decimal(5000)),
    "ast": ("AST (U/L)", 7, 1, Decimal(5000)),
    "total_bilirubin": ("total bilirubin (mg/dL)", 5, 2, Decimal(50)),
    "platelets": ("platelets (x10^3/µL)", 6, 1, Decimal(2000)),
    "troponin_i": ("troponin-I (ng/mL)", 7, 3, Decimal(100)),
    "creatinine": ("creatinine (mg/dL)", 5, 2, Decimal(20)),
}


def lab_value_field(name: str) -> models.DecimalField:
    label, digits, places, highest = LAB_VALUES[name]
    return models.DecimalField(
        label,
        max_digits=digits,
        decimal_places=places,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(highest)],
    )


def uln_field(name: str) -> models.DecimalField:
    """The upper limit of normal the lab printed for ``name`` (DOMAIN.md §1.10: liver values
    are compared with 2 x the ULN of the lab that ran the test). Blank: the lab printed none."""
    label, digits, places, highest = LAB_VALUES[name]
    return models.DecimalField(
        f"{label.split(' (')[0]} ULN printed by the lab",
        max_digits=digits,
        decimal_places=places,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(Decimal("0.01"), "An upper limit of normal must be above 0."),
            MaxValueValidator(highest),
        ],
    )
