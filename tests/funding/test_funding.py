"""Funding on a case: the services (facilitators only, bad input refused with nothing saved),
the totals in rupees at the recorded rates, and the ``funds_short`` rule on the kit order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cases import rules
from cases.services import TransitionRefused, case_apply
from funding.models import Quote, Receipt, Source
from funding.selectors import case_funding, waiting_on_money
from funding.services import (
    quote_record,
    receipt_correct,
    receipt_record,
    source_add,
    source_change,
)
from tests.factories import default_facts, give_documents, walk_to

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 10)


def _quote(case, by, **values):
    return quote_record(
        case=case,
        by=by,
        **{
            "amount": D("2125000.00"),
            "currency": "USD",
            "inr_per_unit": D("83.4521"),
            "rate_source": "RBI reference rate",
            "valid_until": timezone.localdate() + dt.timedelta(days=30),
            **values,
        },
    )


def _crowdfunding(case, by, **values):
    return source_add(
        case=case,
        by=by,
        **{
            "kind": "crowdfunding",
            "name": "Help baby walk again",
            "platform": "Milaap",
            "link": "https://milaap.example/fundraisers/help-baby",
            "pledged": D("120000000.00"),
            "fee_percent": D("5"),
            **values,
        },
    )


def test_funding_in_rupees_net_of_fees_at_each_recorded_rate(case_a, facilitator):
    _quote(case_a, facilitator)  # 2,125,000 USD x 83.4521 = 177,335,712.50 INR
    campaign = _crowdfunding(case_a, facilitator)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    receipt_record(source=campaign, by=facilitator, received_on=yesterday, amount=D("10000000"))
    receipt_record(
        source=campaign, by=facilitator, received_on=yesterday, amount=D("999.99"), fee=D("0")
    )
    donor = source_add(
        case=case_a,
        by=facilitator,
        kind="donation",
        name="Gulf diaspora donors",
        currency="AED",
        inr_per_unit=D("22.71"),
        pledged=D("100000"),
    )
    receipt_record(
        source=donor,
        by=facilitator,
        received_on=yesterday,
        amount=D("50000.00"),
        inr_per_unit=D("22.7155"),
    )

    funding = case_funding(case_a)

    assert funding.quote_inr == D("177335712.50")
    campaign_line, donor_line = (s.line for s in funding.sources)
    # 5% of 10,000,000 withheld by the platform; the second receipt says it paid no fee.
    assert campaign_line.received == D("10000999.99")
    assert campaign_line.fees == D("500000.00")
    # 50,000 AED at 22.7155 = 1,135,775.00; the pledge at the pledge's own rate.
    assert donor_line.received == D("1135775.00")
    assert donor_line.pledged == D("2271000.00")
    assert funding.totals.net == D("10636774.99")
    assert funding.totals.short == D("166698937.51")
    assert all(isinstance(v, D) for v in (funding.totals.net, funding.totals.short))


@pytest.fixture
def approved(case_a, facilitator):
    case = walk_to(case_a, "approved", facilitator)
    give_documents(case, "customs", facilitator)
    return case


def _funds_short(case) -> list[str]:
    return [b.message for b in rules.blockers(case, "dispatch") if b.code == "funds_short"]


def _dispatch(case, by):
    return case_apply(case=case, transition="dispatch", by=by, **default_facts("dispatch"))


def test_dispatch_refused_while_the_money_received_does_not_cover_the_quote(approved, facilitator):
    _quote(approved, facilitator, amount=D("100000.00"), currency="INR", inr_per_unit=D("1"))
    family = source_add(case=approved, by=facilitator, kind="family", name="Parents")
    receipt_record(
        source=family, by=facilitator, received_on=timezone.localdate(), amount=D("99999.99")
    )

    with pytest.raises(TransitionRefused) as refused:
        _dispatch(approved, facilitator)

    assert refused.value.codes == ["funds_short"]
    assert refused.value.messages == [
        "Funds received cover ₹99,999.99 (net of ₹0.00 platform fees) of the quote's "
        "₹1,00,000.00: ₹0.01 short. The kit is ordered once the money is in."
    ]
    approved.refresh_from_db()
    assert approved.state == "approved"

    receipt_record(
        source=family, by=facilitator, received_on=timezone.localdate(), amount=D("0.01")
    )
    assert _dispatch(approved, facilitator).state == "customs"


def test_platform_fees_count_against_the_quote(approved, facilitator):
    _quote(approved, facilitator, amount=D("1000.00"), currency="INR", inr_per_unit=D("1"))
    campaign = _crowdfunding(approved, facilitator, fee_percent=D("5"))
    receipt = receipt_record(
        source=campaign, by=facilitator, received_on=timezone.localdate(), amount=D("1000.00")
    )
    (message,) = _funds_short(approved)
    assert "₹50.00 short" in message

    receipt_correct(receipt=receipt, by=facilitator, amount=D("1052.64"))  # fee 52.63
    assert "funds_short" not in {b.code for b in rules.blockers(approved, "dispatch")}


def test_an_expired_quote_blocks_the_order(approved, facilitator):
    _quote(
        approved,
        facilitator,
        amount=D("1.00"),
        currency="INR",
        inr_per_unit=D("1"),
        valid_until=timezone.localdate() - dt.timedelta(days=1),
    )
    family = source_add(case=approved, by=facilitator, kind="family", name="Parents")
    receipt_record(source=family, by=facilitator, received_on=timezone.localdate(), amount=D("5"))

    found = [b for b in rules.blockers(approved, "dispatch") if b.code == "funds_short"]

    assert len(found) == 1
    assert found[0].message.startswith("The manufacturer's quote expired on")


def test_the_newest_quote_is_in_force(approved, facilitator):
    _quote(approved, facilitator, amount=D("10.00"), currency="INR", inr_per_unit=D("1"))
    family = source_add(case=approved, by=facilitator, kind="family", name="Parents")
    receipt_record(source=family, by=facilitator, received_on=timezone.localdate(), amount=D("10"))
    assert "funds_short" not in {b.code for b in rules.blockers(approved, "dispatch")}

    _quote(approved, facilitator, amount=D("12.00"), currency="INR", inr_per_unit=D("1"))

    (message,) = _funds_short(approved)
    assert "₹2.00 short" in message
    assert Quote.objects.filter(case=approved).count() == 2


def test_without_a_quote_the_order_is_blocked_only_when_settings_require_one(
    approved, facilitator, settings
):
    settings.NPP_FUNDING_QUOTE_REQUIRED = False
    assert "funds_short" not in {b.code for b in rules.blockers(approved, "dispatch")}

    settings.NPP_FUNDING_QUOTE_REQUIRED = True
    (found,) = [b for b in rules.blockers(approved, "dispatch") if b.code == "funds_short"]
    assert found.message.startswith("No manufacturer's quote is recorded")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"currency": "INR", "inr_per_unit": D("83")}, "inr_per_unit"),
        ({"currency": "USD", "inr_per_unit": D("1")}, "inr_per_unit"),
        ({"inr_per_unit": D("0")}, "inr_per_unit"),
        ({"amount": D("0")}, "amount"),
        ({"amount": D("-5")}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"valid_until": None}, "valid_until"),
    ],
)
def test_a_bad_quote_is_refused_and_nothing_is_saved(case_a, facilitator, values, field):
    with pytest.raises(ValidationError) as refused:
        _quote(case_a, facilitator, **values)
    assert field in refused.value.message_dict
    assert not Quote.objects.exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"platform": ""}, "platform"),
        ({"link": ""}, "link"),
        ({"link": "javascript:alert(1)"}, "link"),
        ({"fee_percent": D("100")}, "fee_percent"),
        ({"pledged": D("-1")}, "pledged"),
    ],
)
def test_a_bad_source_is_refused_and_nothing_is_saved(case_a, facilitator, values, field):
    with pytest.raises(ValidationError) as refused:
        _crowdfunding(case_a, facilitator, **values)
    assert field in refused.value.message_dict
    assert not Source.objects.exists()


def test_bad_receipts_are_refused_and_nothing_is_saved(case_a, facilitator):
    campaign = _crowdfunding(case_a, facilitator)
    today = timezone.localdate()
    for values, field in [
        ({"received_on": today + dt.timedelta(days=1), "amount": D("5")}, "received_on"),
        ({"received_on": today, "amount": D("5"), "fee": D("6")}, "fee"),
        ({"received_on": today, "amount": D("5"), "inr_per_unit": D("2")}, "inr_per_unit"),
        ({"received_on": today, "amount": D("0")}, "amount"),
    ]:
        with pytest.raises(ValidationError) as refused:
            receipt_record(source=campaign, by=facilitator, **values)
        assert field in refused.value.message_dict
    assert not Receipt.objects.exists()


def test_a_source_with_receipts_keeps_its_currency(case_a, facilitator):
    campaign = _crowdfunding(case_a, facilitator)
    receipt_record(source=campaign, by=facilitator, received_on=timezone.localdate(), amount=D("5"))
    with pytest.raises(ValidationError):
        source_change(source=campaign, by=facilitator, currency="USD", inr_per_unit=D("83"))
    campaign.refresh_from_db()
    assert campaign.currency == "INR"


def test_only_facilitators_record_funding(case_a, doctor1, hospital1, outsider):
    for user in (doctor1, hospital1, outsider, None):
        with pytest.raises(PermissionDenied):
            _quote(case_a, user)
    assert not Quote.objects.exists()


def test_waiting_on_money_lists_cases_before_the_order_with_their_shortfall(
    case_a, case_b, facilitator
):
    from cases.models import Case

    _quote(case_a, facilitator, amount=D("500.00"), currency="INR", inr_per_unit=D("1"))
    _quote(case_b, facilitator, amount=D("100.00"), currency="INR", inr_per_unit=D("1"))
    family = source_add(case=case_b, by=facilitator, kind="family", name="Parents")
    receipt_record(source=family, by=facilitator, received_on=timezone.localdate(), amount=D("100"))

    rows = waiting_on_money(Case.objects.all())

    assert [(row["case"], row["short"]) for row in rows] == [(case_a, D("500.00"))]
