"""Writes on a case's funding: the manufacturer's quote, sources and receipts. Facilitators
only (``cases.access.may_manage_funding``); every row is validated whole before it is saved
and django-auditlog records each change. Raises ``PermissionDenied`` or ``ValidationError``,
and then nothing is saved."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from cases import access
from cases.models import Case
from cases.services import refuse_unknown, save_validated
from cases.states import CaseState

from .models import Quote, Receipt, Source

QUOTE_FIELDS = (
    "amount",
    "currency",
    "inr_per_unit",
    "rate_source",
    "valid_until",
    "quote_reference",
)
SOURCE_FIELDS = (
    "kind",
    "name",
    "platform",
    "link",
    "currency",
    "inr_per_unit",
    "pledged",
    "fee_percent",
    "note",
)
RECEIPT_FIELDS = ("received_on", "amount", "fee", "inr_per_unit", "reference")

ENDED = (CaseState.CLOSED, CaseState.CANCELLED)


def _check(by: Any, case: Case) -> None:
    if not access.may_manage_funding(by, case):
        raise PermissionDenied("Only a facilitator records a case's funding.")
    if case.state in ENDED:
        raise ValidationError(
            f"{case.reference} is {case.get_state_display().lower()}: its funding is kept as it "
            "is and takes no new entries."
        )


def _save(obj: Any, values: dict[str, Any]) -> Any:
    """``cases.services.save_validated`` with the text stripped."""
    return save_validated(
        obj, {k: v.strip() if isinstance(v, str) else v for k, v in values.items()}
    )


def quote_record(*, case: Case, by: Any, **values: Any) -> Quote:
    """Record the manufacturer's quote with the exchange rate used; it replaces the one in
    force (earlier quotes are kept)."""
    refuse_unknown("A quote records", values, QUOTE_FIELDS)
    _check(by, case)
    return _save(Quote(case=case, recorded_by=by), values)


def quote_correct(*, quote: Quote, by: Any, **values: Any) -> Quote:
    """Correct a quote typed wrong (django-auditlog keeps what it said)."""
    refuse_unknown("A quote records", values, QUOTE_FIELDS)
    _check(by, quote.case)
    return _save(quote, values)


def source_add(*, case: Case, by: Any, **values: Any) -> Source:
    refuse_unknown("A funding source records", values, SOURCE_FIELDS)
    _check(by, case)
    return _save(Source(case=case, recorded_by=by), values)


def currency_change_problems(source: Source, currency: str) -> dict[str, str]:
    """Why ``source`` cannot change to ``currency`` ({} when it can): the services refuse
    with it, the admin's form shows it."""
    if source.pk and currency != source.currency and source.receipts.exists():
        return {
            "currency": "Receipts are recorded in this source's currency; add a new source for "
            "money in another currency."
        }
    return {}


def source_change(*, source: Source, by: Any, **values: Any) -> Source:
    refuse_unknown("A funding source records", values, SOURCE_FIELDS)
    _check(by, source.case)
    with transaction.atomic():
        if "currency" in values and (
            problems := currency_change_problems(source, values["currency"])
        ):
            raise ValidationError(problems)
        return _save(source, values)


def receipt_record(*, source: Source, by: Any, **values: Any) -> Receipt:
    """Money received from ``source`` on a date, with the fee withheld and the rate used."""
    refuse_unknown("A receipt records", values, RECEIPT_FIELDS)
    _check(by, source.case)
    return _save(Receipt(source=source, recorded_by=by), values)


def receipt_correct(*, receipt: Receipt, by: Any, **values: Any) -> Receipt:
    refuse_unknown("A receipt records", values, RECEIPT_FIELDS)
    _check(by, receipt.source.case)
    return _save(receipt, values)


def receipt_delete(*, receipt: Receipt, by: Any) -> None:
    """Remove a receipt entered in error (django-auditlog keeps what it said)."""
    _check(by, receipt.source.case)
    receipt.delete()
