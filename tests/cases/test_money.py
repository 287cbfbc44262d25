"""Amounts printed with their digits grouped (the customs packet's invoice value, the funding
figures)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cases.money import amount_in, group_digits


@pytest.mark.parametrize(
    ("amount", "indian", "printed"),
    [
        ("2125000", False, "2,125,000.00"),
        ("2125000", True, "21,25,000.00"),
        ("160000000", True, "16,00,00,000.00"),
        ("999.995", False, "1,000.00"),  # half up, then grouped
        ("12.5", False, "12.50"),
        ("0", True, "0.00"),
        ("-1234567.891", False, "-1,234,567.89"),
        ("100000", True, "1,00,000.00"),
    ],
)
def test_digits_are_grouped_in_thousands_or_the_indian_way(amount, indian, printed):
    assert group_digits(Decimal(amount), indian=indian) == printed


def test_rupees_are_grouped_the_indian_way_other_currencies_in_thousands():
    assert amount_in("USD", Decimal("2125000.00")) == "USD 2,125,000.00"
    assert amount_in("INR", Decimal("2125000.00")) == "INR 21,25,000.00"
