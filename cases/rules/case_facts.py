"""Rules every named-patient import needs, whatever the product: the facts each transition
records, the guardian's consent and the Form 12B permit (DOMAIN.md §2.1, §4, §1.10)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..clock import ist_date
from . import Context, rule

if TYPE_CHECKING:
    from ..models import Case


def _day(day: dt.date) -> str:
    return f"{day:%d %b %Y}"


@rule(code="case_parties_missing", transitions=["start_document_collection"])
def case_parties_missing(case: Case, ctx: Context) -> Iterator[str]:
    """The case names its patient, treating doctor, hospital and product."""
    for name, label in (
        ("patient", "patient"),
        ("doctor", "treating doctor"),
        ("hospital", "hospital"),
        ("product", "product"),
    ):
        if getattr(case, f"{name}_id") is None:
            yield f"The case has no {label}."


@rule(code="consent_missing", transitions=["submit_to_regulator"])
def consent_missing(case: Case, ctx: Context) -> Iterator[str]:
    """The guardian's verifiable consent is on record before data goes to the regulator."""
    if case.patient.current_consent() is None:
        yield (
            "Record the guardian's consent to processing the child's data (DPDP Act): "
            "the data goes to the regulator with the application."
        )


@rule(code="permit_details_missing", transitions=["record_permit"])
def permit_details_missing(case: Case, ctx: Context) -> Iterator[str]:
    """The Form 12B permit's number, issue date and validity are recorded and consistent."""
    if not case.permit_number.strip():
        yield "Enter the Form 12B permit number."
    if not case.permit_issued_on:
        yield "Enter the permit's issue date."
    elif case.permit_issued_on > ctx.today:
        yield "The permit's issue date cannot be in the future."
    if not case.permit_valid_until:
        yield "Enter the date the permit is valid until."
    elif case.permit_issued_on and case.permit_valid_until < case.permit_issued_on:
        yield "The permit cannot expire before it was issued."


@rule(code="rejection_reason_missing", transitions=["record_rejection"])
def rejection_reason_missing(case: Case, ctx: Context) -> Iterator[str]:
    """The regulator's reason for rejecting is recorded."""
    if not case.rejection_reason.strip():
        yield "Give the regulator's reason for rejection."


@rule(code="order_details_missing", transitions=["dispatch"])
def order_details_missing(case: Case, ctx: Context) -> Iterator[str]:
    """The supplier order, the air waybill and the ETA are recorded."""
    if not case.supplier_order_ref.strip():
        yield "Enter the supplier order reference."
    if not case.awb_number.strip():
        yield "Enter the air waybill (AWB) number."
    if not case.eta:
        yield "Enter the ETA."


@rule(code="permit_expired", transitions=["dispatch", "clear_customs"])
def permit_expired(case: Case, ctx: Context) -> Iterator[str]:
    """The Form 12B permit is valid on the day the kit is dispatched and on the day customs
    clears it (valid through its last day, India time)."""
    if not case.permit_valid_until:
        yield "The Form 12B permit has no validity date."
    elif case.permit_expired_on(ctx.today):
        yield (
            f"The Form 12B permit expired on {_day(case.permit_valid_until)}; "
            f"{'customs cannot clear' if ctx.transition == 'clear_customs' else 'the kit cannot be dispatched'} "
            "on it. Apply for a new permit."
        )


@rule(code="permit_expires_before_eta", transitions=["dispatch"])
def permit_expires_before_eta(case: Case, ctx: Context) -> Iterator[str]:
    """The permit does not expire before the kit's ETA (India date)."""
    if case.permit_valid_until and case.eta and case.permit_valid_until < ist_date(case.eta):
        yield (
            f"The Form 12B permit expires on {_day(case.permit_valid_until)}, before the "
            f"kit's ETA of {_day(ist_date(case.eta))}: it would arrive on an expired permit."
        )


@rule(code="bill_of_entry_missing", transitions=["clear_customs"])
def bill_of_entry_missing(case: Case, ctx: Context) -> Iterator[str]:
    """The bill of entry number is recorded."""
    if not case.bill_of_entry_number.strip():
        yield "Enter the bill of entry number."


@rule(code="receipt_not_recorded", transitions=["confirm_delivery_and_schedule"])
def receipt_not_recorded(case: Case, ctx: Context) -> Iterator[str]:
    """The instant the hospital received the kit is recorded, and is not in the future."""
    if not case.received_at:
        yield "Record when the kit was received."
    elif case.received_at > ctx.at:
        yield "The receipt time cannot be in the future."


@rule(code="temperature_not_confirmed", transitions=["confirm_delivery_and_schedule"])
def temperature_not_confirmed(case: Case, ctx: Context) -> Iterator[str]:
    """The temperature on arrival is confirmed OK (an excursion needs a manufacturer
    decision, DOMAIN.md §1.5)."""
    if case.temperature_ok is not True:
        yield (
            "The temperature on arrival is not confirmed OK; an excursion needs a "
            "manufacturer decision (put the case on hold)."
        )


@rule(code="infusion_not_scheduled", transitions=["confirm_delivery_and_schedule"])
def infusion_not_scheduled(case: Case, ctx: Context) -> Iterator[str]:
    """The scheduled infusion date and time are recorded."""
    if not case.infusion_scheduled_at:
        yield "Enter the scheduled infusion date and time."


@rule(code="infusion_details_missing", transitions=["record_infusion"])
def infusion_details_missing(case: Case, ctx: Context) -> Iterator[str]:
    """The actual infusion time (not in the future) and the kit lot numbers are recorded."""
    if not case.infused_at:
        yield "Enter the actual infusion date and time."
    elif case.infused_at > ctx.at:
        yield "The infusion time cannot be in the future."
    if not case.kit_lot_numbers.strip():
        yield "Enter the kit lot number(s)."


@rule(code="close_reason_missing", transitions=["close"])
def close_reason_missing(case: Case, ctx: Context) -> Iterator[str]:
    """A close for "other" reasons says what the reason is."""
    from ..models import CloseReason

    if case.close_reason == CloseReason.OTHER and not case.close_override_reason.strip():
        yield "Say in words why the case closes (reason: other)."


@rule(code="hold_reason_missing", transitions=["hold"])
def hold_reason_missing(case: Case, ctx: Context) -> Iterator[str]:
    """A hold has a reason."""
    if not case.hold_reason.strip():
        yield "Give a reason for the hold."


@rule(code="cancellation_reason_missing", transitions=["cancel"])
def cancellation_reason_missing(case: Case, ctx: Context) -> Iterator[str]:
    """A cancellation has a reason."""
    if not case.cancellation_reason.strip():
        yield "Give a reason for cancelling."
