"""Funding on the facilitators' desk: the case page's panel and chart, recording a quote and a
source with receipts through the admin, and the dashboard's "waiting on money" figure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from funding.models import Quote, Receipt, Source
from funding.services import quote_record, receipt_record, source_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, facilitator):
    client.force_login(facilitator)
    return client


def _fund(case, by, received="40000000"):
    quote_record(
        case=case,
        by=by,
        amount=D("2000000.00"),
        currency="USD",
        inr_per_unit=D("83.5"),
        valid_until=timezone.localdate() + dt.timedelta(days=60),
    )
    campaign = source_add(
        case=case,
        by=by,
        kind="crowdfunding",
        name="Save baby",
        platform="ImpactGuru",
        link="https://impactguru.example/fundraiser/save-baby",
        pledged=D("100000000"),
        fee_percent=D("5"),
    )
    receipt_record(source=campaign, by=by, received_on=timezone.localdate(), amount=D(received))


def test_the_case_page_shows_the_funding_panel_and_its_chart(desk, case_a, facilitator):
    _fund(case_a, facilitator)

    body = desk.get(reverse("admin:cases_case_change", args=[case_a.pk])).content.decode()

    assert 'id="npp-funding"' in body
    assert "Funding against the manufacturer&#x27;s quote" in body
    # 2,000,000 USD x 83.5; 40,000,000 less 5% = 38,000,000 net.
    assert "Quote: ₹16,70,00,000.00" in body
    assert "Platform fees: ₹20,00,000.00" in body
    assert "Received (net): ₹3,80,00,000.00" in body
    assert "Still short: ₹12,90,00,000.00" in body
    assert "https://impactguru.example/fundraiser/save-baby" in body


def test_a_case_without_funding_says_so(desk, case_a):
    body = desk.get(reverse("admin:cases_case_change", args=[case_a.pk])).content.decode()
    assert "No manufacturer's quote is recorded yet." in body
    assert "Quote: not recorded" in body


def test_a_facilitator_records_a_quote_and_a_source_with_receipts_in_the_admin(
    desk, case_a, facilitator
):
    add_quote = desk.get(reverse("admin:funding_quote_add") + f"?case={case_a.pk}")
    assert add_quote.status_code == 200
    response = desk.post(
        reverse("admin:funding_quote_add"),
        {
            "case": case_a.pk,
            "amount": "2125000.00",
            "currency": "USD",
            "inr_per_unit": "83.4521",
            "rate_source": "RBI",
            "valid_until": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
            "quote_reference": "NGT-Q-77",
        },
    )
    assert response.status_code == 302
    quote = Quote.objects.get()
    assert (quote.case, quote.recorded_by, quote.amount) == (case_a, facilitator, D("2125000"))

    response = desk.post(
        reverse("admin:funding_source_add"),
        {
            "case": case_a.pk,
            "kind": "donation",
            "name": "Employees' fund",
            "platform": "",
            "link": "",
            "currency": "INR",
            "inr_per_unit": "1",
            "pledged": "500000",
            "fee_percent": "0",
            "note": "",
            "receipts-TOTAL_FORMS": "1",
            "receipts-INITIAL_FORMS": "0",
            "receipts-0-received_on": timezone.localdate().isoformat(),
            "receipts-0-amount": "250000",
            "receipts-0-fee": "",
            "receipts-0-inr_per_unit": "1",
            "receipts-0-reference": "UTR123",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    source = Source.objects.get()
    assert source.recorded_by == facilitator
    receipt = Receipt.objects.get()
    assert (receipt.source, receipt.amount, receipt.recorded_by) == (
        source,
        D("250000"),
        facilitator,
    )


def test_a_bad_quote_in_the_admin_is_refused_with_the_reason(desk, case_a):
    response = desk.post(
        reverse("admin:funding_quote_add"),
        {
            "case": case_a.pk,
            "amount": "100",
            "currency": "INR",
            "inr_per_unit": "83",
            "valid_until": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    assert "the rate must be 1" in response.content.decode()
    assert not Quote.objects.exists()


def test_others_cannot_open_the_funding_pages(client, doctor1, case_a, facilitator):
    _fund(case_a, facilitator)
    client.force_login(doctor1)
    for url in (
        reverse("admin:funding_quote_changelist"),
        reverse("admin:funding_source_change", args=[Source.objects.get().pk]),
    ):
        assert client.get(url).status_code in (302, 403)


def test_the_dashboard_shows_the_cases_waiting_on_money(desk, case_a, case_b, facilitator):
    _fund(case_a, facilitator)

    body = desk.get(reverse("dashboard")).content.decode()

    assert "Cases waiting on money" in body
    assert "1 case waiting on money, ₹12,90,00,000.00 short in all" in body
    assert f"{case_a.reference}" in body
    assert "1290.0 lakh" in body
    assert reverse("admin:cases_case_change", args=[case_a.pk]) + "#npp-funding" in body


def test_the_dashboard_says_when_no_case_waits_on_money(desk, case_a, facilitator):
    _fund(case_a, facilitator, received="50000000")  # net 4.75 crore > 1.67 crore? no: short
    quote_record(
        case=case_a,
        by=facilitator,
        amount=D("40000000"),
        currency="INR",
        inr_per_unit=D("1"),
        valid_until=timezone.localdate() + dt.timedelta(days=60),
    )
    body = desk.get(reverse("dashboard")).content.decode()
    assert "No case before its kit order is short of money." in body


def test_a_closed_case_takes_no_new_funding_in_the_admin(desk, case_a, facilitator):
    from tests.factories import bring_to

    case = bring_to(case_a, "cancelled", facilitator)
    response = desk.post(
        reverse("admin:funding_quote_add"),
        {
            "case": case.pk,
            "amount": "100",
            "currency": "INR",
            "inr_per_unit": "1",
            "valid_until": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    assert "is cancelled: its funding is kept as it is" in response.content.decode()
    assert not Quote.objects.exists()


def _source_post(case, **changes) -> dict:
    data = {
        "case": case.pk,
        "kind": "donation",
        "name": "Gulf diaspora donors",
        "platform": "",
        "link": "",
        "currency": "AED",
        "inr_per_unit": "22.71",
        "pledged": "100000",
        "fee_percent": "0",
        "note": "",
        "receipts-TOTAL_FORMS": "1",
        "receipts-INITIAL_FORMS": "0",
        "receipts-0-received_on": timezone.localdate().isoformat(),
        "receipts-0-amount": "50000",
        "receipts-0-fee": "",
        "receipts-0-inr_per_unit": "1",  # the default, wrong for dirhams
        "receipts-0-reference": "",
    }
    data.update(changes)
    return data


def test_a_new_foreign_source_with_a_receipt_at_rate_1_is_refused_on_the_form(desk, case_a):
    response = desk.post(reverse("admin:funding_source_add"), _source_post(case_a))

    assert response.status_code == 200  # the form again, not a 500
    assert "AED" in response.content.decode()
    assert not Source.objects.exists()
    assert not Receipt.objects.exists()


def test_a_sources_currency_cannot_change_once_money_came_in_the_admin(desk, case_a, facilitator):
    desk.post(
        reverse("admin:funding_source_add"),
        _source_post(case_a, **{"receipts-0-inr_per_unit": "22.71"}),
    )
    source = Source.objects.get()
    data = _source_post(
        case_a,
        currency="USD",
        **{"receipts-TOTAL_FORMS": "0", "receipts-INITIAL_FORMS": "0"},
    )
    data.pop("case")

    response = desk.post(reverse("admin:funding_source_change", args=[source.pk]), data)

    assert response.status_code == 200
    assert "Receipts are recorded in this source&#x27;s currency" in response.content.decode()
    source.refresh_from_db()
    assert source.currency == "AED"
