"""Money arithmetic, pure: amounts are ``Decimal`` in a currency, converted to rupees at the
exchange rate recorded with each amount (never a float, never today's rate for yesterday's
money). Paise are rounded half up once per converted amount, as a bank statement does."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from cases.money import group_digits

PAISE = Decimal("0.01")
HUNDRED = Decimal(100)


def round_paise(amount: Decimal) -> Decimal:
    return amount.quantize(PAISE, rounding=ROUND_HALF_UP)


def to_inr(amount: Decimal, inr_per_unit: Decimal) -> Decimal:
    """``amount`` of a currency worth ``inr_per_unit`` rupees each, in rupees and paise."""
    return round_paise(amount * inr_per_unit)


def fee_for(amount: Decimal, percent: Decimal) -> Decimal:
    """A platform's fee of ``percent`` on ``amount``, in the amount's currency."""
    return round_paise(amount * percent / HUNDRED)


def format_inr(amount: Decimal) -> str:
    """Rupees grouped the Indian way (lakh, crore): ₹16,00,00,000.00."""
    sign = "-" if amount < 0 else ""
    return f"{sign}₹{group_digits(abs(round_paise(amount)), indian=True)}"


@dataclass(frozen=True)
class Line:
    """One source's money in rupees: pledged, received gross, fees withheld, received net."""

    pledged: Decimal
    received: Decimal
    fees: Decimal

    @property
    def net(self) -> Decimal:
        return self.received - self.fees


@dataclass(frozen=True)
class Totals:
    quote: Decimal | None  # the quote in force, in rupees; None: no quote recorded
    pledged: Decimal
    received: Decimal
    fees: Decimal

    @property
    def net(self) -> Decimal:
        return self.received - self.fees

    @property
    def short(self) -> Decimal:
        """What the net received still lacks to cover the quote (0 when covered)."""
        if self.quote is None:
            return Decimal("0.00")
        return max(self.quote - self.net, Decimal("0.00"))

    @property
    def covered(self) -> bool:
        return self.quote is not None and self.short == 0


def add_lines(quote: Decimal | None, lines: list[Line]) -> Totals:
    zero = Decimal("0.00")
    return Totals(
        quote=quote,
        pledged=sum((line.pledged for line in lines), zero),
        received=sum((line.received for line in lines), zero),
        fees=sum((line.fees for line in lines), zero),
    )
