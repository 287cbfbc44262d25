"""The funding chart of one case: the quote against the money pledged, received, withheld
as fees and still short, in ₹ lakh, drawn by ``templates/charts/hbar.svg.html`` like the
dashboard's charts (server-side SVG with text labels; no script)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from .money import format_inr
from .selectors import CaseFunding

LABEL_WIDTH = 170
ROW = 24
LAKH = Decimal(100_000)


@dataclass
class FundingChart:
    title: str
    description: str
    width: int
    height: int
    bars: list[dict] = field(default_factory=list)
    legend: list[dict] = field(default_factory=list)
    label_width: int = LABEL_WIDTH


def funding_chart(funding: CaseFunding, *, width: int = 640) -> FundingChart:
    totals = funding.totals
    rows = [
        (_("Quote"), funding.quote_inr, "npp-fund-quote"),
        (_("Pledged"), totals.pledged, "npp-fund-pledged"),
        (_("Received (gross)"), totals.received, "npp-fund-received"),
        (_("Platform fees"), totals.fees, "npp-fund-fees"),
        (_("Received (net)"), totals.net, "npp-fund-net"),
        (_("Still short"), totals.short if funding.quote else None, "npp-fund-short"),
    ]
    biggest = max([row[1] for row in rows if row[1] is not None] + [Decimal(1)])
    plot = width - LABEL_WIDTH - 150
    chart = FundingChart(
        title=_("Funding against the manufacturer's quote"),
        description=_(
            "Rupees at the exchange rates recorded with each amount: the quote in force, the "
            "money pledged, received, withheld as platform fees, received net, and still short."
        ),
        width=width,
        height=6 + len(rows) * ROW,
    )
    for index, (label, value, css) in enumerate(rows):
        bar_width = 0.0 if value is None else round(float(plot * value / biggest), 1)
        chart.bars.append(
            {
                "label": label,
                "value": value,
                "text": _("not recorded") if value is None else format_inr(value),
                "href": "",
                "x": LABEL_WIDTH,
                "y": 6 + index * ROW,
                "w": max(bar_width, 1.0 if value else 0.0),
                "css": css,
                "text_x": LABEL_WIDTH + bar_width + 6,
                "legend": "",
            }
        )
    return chart


def in_lakh(amount: Decimal) -> Decimal:
    """Rupees in lakh with one decimal, for the dashboard's bars."""
    return (amount / LAKH).quantize(Decimal("0.1"))
