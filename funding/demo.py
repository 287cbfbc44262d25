"""Demo funding for ``seed_demo``: a case fully funded (Aarav Sharma, whose kit the README's
demo script orders), one already ordered (Myra Nair) and one approved but short of money
(Kabir Singh), so the dashboard's "waiting on money" figure has a bar. Creates nothing twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

from django.utils import timezone

from cases.models import Case

from .models import Quote
from .services import quote_record, receipt_record, source_add

# The quote's rate and the receipts' rates differ, as they do over weeks (made-up figures).
QUOTE = {"amount": D("2125000.00"), "currency": "USD", "inr_per_unit": D("83.4500")}


def _case(patient: str) -> Case | None:
    return Case.objects.filter(patient__full_name=patient).first()


def _quote(case: Case, by: Any, today: dt.date) -> None:
    quote_record(
        case=case,
        by=by,
        **QUOTE,
        rate_source="RBI reference rate (demo)",
        valid_until=today + dt.timedelta(days=60),
        quote_reference=f"NGT-IN-Q-{case.reference[-4:]}",
    )


def _funded(case: Case, by: Any, today: dt.date, campaign_received: D) -> None:
    """Crowdfunding (5% fee), NPRD support, an employer's help and the family."""
    campaign = source_add(
        case=case,
        by=by,
        kind="crowdfunding",
        name=f"Help {case.patient.full_name.split()[0]} beat SMA",
        platform="Milaap",
        link=f"https://milaap.example/fundraisers/{case.reference.lower()}",
        pledged=D("165000000.00"),
        fee_percent=D("5"),
    )
    for weeks_ago, share in ((6, D("0.5")), (3, D("0.3")), (1, D("0.2"))):
        receipt_record(
            source=campaign,
            by=by,
            received_on=today - dt.timedelta(weeks=weeks_ago),
            amount=(campaign_received * share).quantize(D("0.01")),
            reference=f"MLP-PAYOUT-{weeks_ago}",
        )
    nprd = source_add(
        case=case,
        by=by,
        kind="nprd",
        name="NPRD 2021 support, Centre of Excellence",
        pledged=D("5000000.00"),
    )
    receipt_record(
        source=nprd, by=by, received_on=today - dt.timedelta(weeks=2), amount=D("5000000")
    )
    employer = source_add(
        case=case,
        by=by,
        kind="employer_insurer",
        name="Father's employer (overseas parent company)",
        currency="USD",
        inr_per_unit=D("83.40"),
        pledged=D("100000.00"),
    )
    receipt_record(
        source=employer,
        by=by,
        received_on=today - dt.timedelta(weeks=4),
        amount=D("100000.00"),
        inr_per_unit=D("83.3125"),
    )
    source_add(case=case, by=by, kind="family", name="Parents' savings", pledged=D("1500000"))


def seed(by: Any) -> None:
    today = timezone.localdate()
    for patient, received in (
        ("Aarav Sharma", D("175000000.00")),  # covers the quote: the demo script orders it
        ("Myra Nair", D("175000000.00")),
        ("Kabir Singh", D("62000000.00")),  # approved, about ₹10.4 crore short
    ):
        case = _case(patient)
        if case is None or Quote.objects.filter(case=case).exists():
            continue
        _quote(case, by, today)
        _funded(case, by, today, received)
