"""Amounts as people read them: digits grouped, two decimals."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def group_digits(amount: Decimal, *, indian: bool = False) -> str:
    """``amount`` to two decimals with its digits grouped: in thousands (2,125,000.00), or the
    Indian way, lakh and crore (21,25,000.00)."""
    sign = "-" if amount < 0 else ""
    whole, _, cents = f"{abs(amount.quantize(CENT, rounding=ROUND_HALF_UP)):.2f}".partition(".")
    head, tail = whole[:-3], whole[-3:]
    size = 2 if indian else 3
    groups: list[str] = []
    while len(head) > size:
        groups.insert(0, head[-size:])
        head = head[:-size]
    if head:
        groups.insert(0, head)
    return f"{sign}{','.join([*groups, tail])}.{cents}"


def amount_in(currency: str, amount: Decimal) -> str:
    """``USD 2,125,000.00``; rupees grouped the Indian way (``INR 21,25,000.00``)."""
    return f"{currency} {group_digits(amount, indian=currency.upper() == 'INR')}"
