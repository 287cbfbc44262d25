"""The funding app's part of the case rulebook (imported from ``FundingConfig.ready()``):
the kit is ordered only when the money is there (DOMAIN.md §9 "Funding")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.conf import settings

from cases.rules import Context, rule

from .money import format_inr

if TYPE_CHECKING:
    from cases.models import Case


@rule(code="funds_short", transitions=["dispatch"])
def funds_short(case: Case, ctx: Context) -> Iterator[str]:
    """The money received, net of platform fees and in rupees at the rates recorded, covers the
    manufacturer's quote in force, and that quote has not expired."""
    from .selectors import case_funding

    if case.pk is None:
        return
    funding = case_funding(case, today=ctx.today)
    if funding.quote is None:
        if settings.NPP_FUNDING_QUOTE_REQUIRED:
            yield (
                "No manufacturer's quote is recorded, so nobody can tell whether the money for "
                "the kit is there; record the quote and the funding received."
            )
        return
    if funding.quote_expired:
        yield (
            f"The manufacturer's quote expired on {funding.quote.valid_until:%d %b %Y}; record "
            "the current quote before ordering the kit."
        )
    totals = funding.totals
    if totals.short > 0:
        yield (
            f"Funds received cover {format_inr(totals.net)} (net of "
            f"{format_inr(totals.fees)} platform fees) of the quote's "
            f"{format_inr(funding.quote_inr or totals.net)}: {format_inr(totals.short)} short. The kit is "
            "ordered once the money is in."
        )
