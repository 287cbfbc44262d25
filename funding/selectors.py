"""Funding reads: a case's quote, sources and totals in rupees, and the cases waiting on
money for the dashboard. Facilitators only (``cases.access.may_see_funding``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet

from cases.clock import today_ist
from cases.models import Case
from cases.states import CaseState

from .models import Quote, Receipt, Source
from .money import Line, Totals, add_lines, to_inr

# A case waits on money until its kit is ordered (``dispatch``: DOMAIN.md §9, "the kit is
# ordered only when the money is there"); on hold it still does.
BEFORE_ORDER = (
    CaseState.APPLICATION,
    CaseState.DOCUMENTS,
    CaseState.REGULATORY_REVIEW,
    CaseState.APPROVED,
    CaseState.REJECTED,
)


@dataclass
class SourceLine:
    source: Source
    line: Line
    receipts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class CaseFunding:
    quote: Quote | None
    quote_inr: Decimal | None
    quote_expired: bool
    sources: list[SourceLine]
    totals: Totals


def _receipt_row(receipt: Receipt, source: Source) -> dict[str, Any]:
    receipt.source = source  # loaded already: fee_withheld reads its fee percent
    fee = receipt.fee_withheld
    return {
        "receipt": receipt,
        "fee": fee,
        "net": receipt.amount - fee,
        "gross_inr": to_inr(receipt.amount, receipt.inr_per_unit),
        "fee_inr": to_inr(fee, receipt.inr_per_unit),
    }


def source_line(source: Source) -> SourceLine:
    """One source's pledge and receipts in rupees, each receipt at its own recorded rate."""
    rows = [_receipt_row(r, source) for r in source.receipts.all()]
    line = Line(
        pledged=to_inr(source.pledged, source.inr_per_unit),
        received=sum((row["gross_inr"] for row in rows), Decimal("0.00")),
        fees=sum((row["fee_inr"] for row in rows), Decimal("0.00")),
    )
    return SourceLine(source=source, line=line, receipts=rows)


def case_funding(case: Case, *, today: dt.date | None = None) -> CaseFunding:
    """The quote in force (the newest), each source and the totals, in rupees."""
    today = today or today_ist()
    quotes = getattr(case, "prefetched_quotes", None)
    if quotes is None:
        quotes = list(case.funding_quotes.all()[:1])
    quote = quotes[0] if quotes else None
    sources = getattr(case, "prefetched_sources", None)
    if sources is None:
        sources = list(case.funding_sources.prefetch_related("receipts"))
    lines = [source_line(s) for s in sources]
    quote_inr = to_inr(quote.amount, quote.inr_per_unit) if quote else None
    return CaseFunding(
        quote=quote,
        quote_inr=quote_inr,
        quote_expired=bool(quote and quote.valid_until < today),
        sources=lines,
        totals=add_lines(quote_inr, [s.line for s in lines]),
    )


def with_funding(cases: QuerySet[Case]) -> QuerySet[Case]:
    """``cases`` with their quotes and sources fetched in three queries for ``case_funding``."""
    return cases.prefetch_related(
        Prefetch("funding_quotes", queryset=Quote.objects.all(), to_attr="prefetched_quotes"),
        Prefetch(
            "funding_sources",
            queryset=Source.objects.prefetch_related("receipts"),
            to_attr="prefetched_sources",
        ),
    )


def _largest_first(row: dict[str, Any]) -> tuple[Decimal, str]:
    return (-row["short"], row["case"].reference)


def waiting_on_money(cases: QuerySet[Case], *, today: dt.date | None = None) -> list[dict]:
    """Cases not yet ordered whose net received money does not cover their quote in force
    (or whose quote has expired), the largest shortfall first."""
    rows: list[dict[str, Any]] = []
    candidates = cases.filter(state__in=(*BEFORE_ORDER, CaseState.ON_HOLD))
    candidates = candidates.filter(funding_quotes__isnull=False).distinct()
    for case in with_funding(candidates.select_related("patient")):
        if case.state == CaseState.ON_HOLD and case.hold_from_state not in BEFORE_ORDER:
            continue
        funding = case_funding(case, today=today)
        if funding.totals.short > 0 or funding.quote_expired:
            rows.append({"case": case, "funding": funding, "short": funding.totals.short})
    rows.sort(key=_largest_first)
    return rows
