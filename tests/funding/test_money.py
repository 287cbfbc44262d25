"""Funding arithmetic: Decimal throughout, each amount converted at the rate recorded with it,
platform fees withheld, paise rounded half up once per converted amount."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from funding.money import Line, add_lines, fee_for, format_inr, to_inr


@pytest.mark.parametrize(
    ("amount", "rate", "rupees"),
    [
        (D("2125000.00"), D("83.4521"), D("177335712.50")),
        (D("0.01"), D("83.455"), D("0.83")),  # 0.83455 -> 0.83
        (D("0.01"), D("83.5"), D("0.84")),  # 0.835 -> 0.84: half up, not half even
        (D("1000.00"), D("1"), D("1000.00")),
    ],
)
def test_to_inr_converts_at_the_recorded_rate_and_rounds_paise_half_up(amount, rate, rupees):
    assert to_inr(amount, rate) == rupees


def test_fee_for_a_percentage_in_the_amounts_currency():
    assert fee_for(D("1234567.89"), D("5")) == D("61728.39")  # 61728.3945
    assert fee_for(D("100.10"), D("2.5")) == D("2.50")  # 2.5025


def test_floats_never_enter_the_sum():
    # 0.1 + 0.2 would be 0.30000000000000004 in floats.
    totals = add_lines(
        D("0.30"), [Line(D("0"), D("0.10"), D("0")), Line(D("0"), D("0.20"), D("0"))]
    )
    assert totals.net == D("0.30")
    assert totals.short == D("0.00")
    assert totals.covered


def test_totals_net_of_fees_and_the_shortfall():
    lines = [
        Line(pledged=D("50000000.00"), received=D("40000000.00"), fees=D("2000000.00")),
        Line(pledged=D("5000000.00"), received=D("5000000.00"), fees=D("0.00")),
    ]
    totals = add_lines(D("177335712.50"), lines)
    assert totals.pledged == D("55000000.00")
    assert totals.received == D("45000000.00")
    assert totals.fees == D("2000000.00")
    assert totals.net == D("43000000.00")
    assert totals.short == D("134335712.50")
    assert not totals.covered


def test_more_than_the_quote_is_not_a_negative_shortfall():
    totals = add_lines(D("100.00"), [Line(D("0"), D("150.00"), D("10.00"))])
    assert totals.short == D("0.00")
    assert totals.covered


def test_without_a_quote_nothing_is_covered():
    totals = add_lines(None, [Line(D("0"), D("150.00"), D("0"))])
    assert not totals.covered
    assert totals.short == D("0.00")


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (D("160000000"), "₹16,00,00,000.00"),
        (D("5000000.5"), "₹50,00,000.50"),
        (D("999.999"), "₹1,000.00"),
        (D("12"), "₹12.00"),
        (D("-123456.7"), "-₹1,23,456.70"),
    ],
)
def test_rupees_are_grouped_in_lakh_and_crore(amount, text):
    assert format_inr(amount) == text
