"""Zolgensma's rules (DOMAIN.md §1.1-1.10): the 2nd birthday, the genetic diagnosis, the
weight and its kit band, the 14-day cold-chain window, pre-infusion eligibility and complete
monitoring before closing. The label's numbers live in ``cases.clinical``; the readings of its
edges (India dates, bands, titres, 14 x 24 hours) follow DOMAIN.md §1.10."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.conf import settings

from .. import clinical
from ..clock import ist_date
from . import Context, rule

if TYPE_CHECKING:
    from ..models import Case, WeightMeasurement

PRODUCT = "Zolgensma"

CONFIRM = "confirm_delivery_and_schedule"
INFUSION = "record_infusion"


def _day(day: dt.date) -> str:
    return f"{day:%d %b %Y}"


def _when(instant: dt.datetime) -> str:
    from django.utils import timezone

    return f"{timezone.localtime(instant):%d %b %Y %H:%M} IST"


# --- 2nd birthday -------------------------------------------------------------------------


def _relevant_instant(case: Case, ctx: Context) -> tuple[dt.datetime | None, str]:
    """The instant the child's age is judged at for this transition, and what it is."""
    if ctx.transition == "dispatch" and case.eta:
        return max(ctx.at, case.eta), "the kit arrives on"
    if ctx.transition == CONFIRM:
        return case.infusion_scheduled_at, "the infusion is scheduled on"
    if ctx.transition == INFUSION:
        return case.infused_at, "the infusion was on"
    return ctx.at, "today is"


@rule(
    code="second_birthday",
    transitions=[
        "start_document_collection",
        "submit_to_regulator",
        "record_permit",
        "resubmit",
        "dispatch",
        "clear_customs",
        CONFIRM,
        INFUSION,
    ],
    product=PRODUCT,
    deviable_on=[INFUSION],
)
def second_birthday(case: Case, ctx: Context) -> Iterator[str]:
    """The child is under 2 (before the 2nd birthday, India date) at the relevant instant:
    now, the kit's arrival for dispatch, the scheduled or the actual infusion."""
    if not case.patient_id:
        return
    instant, what = _relevant_instant(case, ctx)
    if instant is None:
        return
    born = case.patient.date_of_birth
    day = ist_date(instant)
    problem = clinical.under_two_problem(born, day)
    if problem is None:
        return
    if born > day:
        yield problem
    else:
        yield (
            f"The label covers children under 2 years only: the child turns 2 on "
            f"{_day(clinical.second_birthday(born))}, and {what} {_day(day)}."
        )


@rule(code="genetic_diagnosis_missing", transitions=["submit_to_regulator"], product=PRODUCT)
def genetic_diagnosis_missing(case: Case, ctx: Context) -> Iterator[str]:
    """The genetic report's facts are recorded: bi-allelic SMN1 loss, SMN2 copies, lab, date."""
    patient = case.patient
    if not patient.smn1_biallelic_confirmed:
        yield "The genetic diagnosis (bi-allelic SMN1 mutation) is not confirmed."
    if patient.smn2_copy_number is None:
        yield "The SMN2 copy number is not recorded."
    if not patient.genetic_test_lab or not patient.genetic_test_date:
        yield "The genetic test lab and date are not recorded."


# --- Weight and band ----------------------------------------------------------------------

WEIGHT_GATES = ("dispatch", CONFIRM, INFUSION)


def _weight_day(case: Case, ctx: Context) -> dt.date:
    """The India date the weight must be fresh on: the infusion's for record_infusion."""
    if ctx.transition == INFUSION and case.infused_at:
        return ist_date(case.infused_at)
    return ctx.today


def _max_age_days(ctx: Context) -> int:
    # DOMAIN.md §1.3 [default]: within 14 days before the kit order; a re-check on infusion
    # day (NPP_WEIGHT_INFUSION_DAY_MAX_AGE_DAYS, 0: measured on the infusion day itself).
    if ctx.transition == INFUSION:
        return int(settings.NPP_WEIGHT_INFUSION_DAY_MAX_AGE_DAYS)
    return int(settings.NPP_WEIGHT_MAX_AGE_DAYS)


def _latest_weight(case: Case, ctx: Context) -> WeightMeasurement | None:
    day = _weight_day(case, ctx)
    weight: WeightMeasurement | None = ctx.memo(
        f"weight:{day}", lambda: case.patient.latest_weight(on=day)
    )
    return weight


@rule(code="weight_missing", transitions=["submit_to_regulator", *WEIGHT_GATES], product=PRODUCT)
def weight_missing(case: Case, ctx: Context) -> Iterator[str]:
    """A weight is recorded (on or before the day it is needed for)."""
    if _latest_weight(case, ctx) is None:
        yield (
            f"No weight recorded on or before {_day(_weight_day(case, ctx))}: record the "
            "child's weight (the kit is made up for one weight band)."
        )


@rule(code="weight_stale", transitions=WEIGHT_GATES, product=PRODUCT)
def weight_stale(case: Case, ctx: Context) -> Iterator[str]:
    """The latest weight is recent: within 14 days for the kit order and scheduling, and
    re-checked on the infusion day for the infusion [default, settings]."""
    weight = _latest_weight(case, ctx)
    if weight is None:
        return
    day, max_age = _weight_day(case, ctx), _max_age_days(ctx)
    if weight.measured_on >= day - dt.timedelta(days=max_age):
        return
    if ctx.transition == INFUSION and max_age == 0:
        yield (
            f"Weigh the child on the infusion day ({_day(day)}): the latest weight is of "
            f"{_day(weight.measured_on)}."
        )
    else:
        yield (
            f"The latest weight is of {_day(weight.measured_on)}, more than {max_age} days "
            f"before {_day(day)}: weigh the child again (the kit is made up for one band)."
        )


@rule(code="weight_out_of_range", transitions=WEIGHT_GATES, product=PRODUCT)
def weight_out_of_range(case: Case, ctx: Context) -> Iterator[str]:
    """The latest weight falls in one of the label's bands (2.6-21.0 kg); otherwise there is
    no kit for it and the case goes to manual review."""
    weight = _latest_weight(case, ctx)
    if weight is None:
        return
    try:
        clinical.weight_band(weight.weight_kg)
    except clinical.WeightOutOfRange as exc:
        yield str(exc)


@rule(
    code="weight_band_changed",
    transitions=[CONFIRM, INFUSION],
    product=PRODUCT,
    deviable_on=[INFUSION],
)
def weight_band_changed(case: Case, ctx: Context) -> Iterator[str]:
    """The latest weight is in the band the kit was made up for. Scheduling waits for a
    facilitator to record the manufacturer's decision; an infusion with another band is a
    protocol deviation."""
    weight = _latest_weight(case, ctx)
    if weight is None or case.kit_band_high_kg is None:
        return
    try:
        low, high = clinical.weight_band(weight.weight_kg)
    except clinical.WeightOutOfRange:
        return  # weight_out_of_range says so
    if (low, high) == (case.kit_band_low_kg, case.kit_band_high_kg):
        return
    change = (
        f"The weight of {weight.weight_kg} kg on {_day(weight.measured_on)} is in band "
        f"{low}-{high} kg, but the kit was ordered for {case.kit_band_label}."
    )
    if ctx.transition == CONFIRM:
        if not case.band_change_decision.strip():
            yield f"{change} A facilitator must record the manufacturer's decision first."
    else:
        yield change


# --- Cold chain ---------------------------------------------------------------------------


@rule(
    code="cold_chain_window",
    transitions=[CONFIRM, INFUSION],
    product=PRODUCT,
    deviable_on=[INFUSION],
)
def cold_chain_window(case: Case, ctx: Context) -> Iterator[str]:
    """The infusion (scheduled, then actual) falls within 14 x 24 hours of the recorded
    receipt instant, and not before receipt (DOMAIN.md §1.5, §1.10)."""
    instant = case.infusion_scheduled_at if ctx.transition == CONFIRM else case.infused_at
    if not case.received_at or not instant:
        return
    what = "scheduled" if ctx.transition == CONFIRM else "given"
    ends_at = case.cold_chain_ends_at()
    assert ends_at is not None  # received_at is set
    if instant < case.received_at:
        yield (
            f"The infusion cannot be {what} before the kit was received "
            f"({_when(case.received_at)})."
        )
    elif instant > ends_at:
        yield (
            f"The kit must be used within {settings.NPP_COLD_CHAIN_DAYS} x 24 hours of "
            f"receipt ({_when(case.received_at)}), that is by "
            f"{_when(ends_at)}; the infusion is {what} for "
            f"{_when(instant)}."
        )


@rule(code="syringe_window", transitions=[INFUSION], product=PRODUCT, deviable_on=[INFUSION])
def syringe_window(case: Case, ctx: Context) -> Iterator[str]:
    """The infusion starts within 8 hours of drawing the dose up into the syringes, and not
    before (DOMAIN.md §1.5); checked when the drawing time is recorded."""
    drawn, given = case.syringe_drawn_at, case.infused_at
    if not drawn or not given:
        return
    hours = settings.NPP_SYRINGE_HOURS
    if given < drawn:
        yield (
            f"The infusion ({_when(given)}) cannot start before the syringes were drawn up "
            f"({_when(drawn)})."
        )
    elif given > drawn + dt.timedelta(hours=hours):
        yield (
            f"A drawn syringe must be infused within {hours} hours: drawn up at "
            f"{_when(drawn)}, so by {_when(drawn + dt.timedelta(hours=hours))}; the "
            f"infusion was at {_when(given)}."
        )


# --- Eligibility --------------------------------------------------------------------------


# --- Eligibility --------------------------------------------------------------------------


@rule(code="eligibility", transitions=["dispatch", CONFIRM], product=PRODUCT)
def eligibility(case: Case, ctx: Context) -> Iterator[str]:
    """Pre-infusion eligibility (DOMAIN.md §1.6, §1.10) on the planned infusion date, with
    the facilitators' recorded overrides: the kit is ordered for, and given to, an eligible
    child only."""
    from ..selectors import case_eligibility, case_planned_infusion_date

    on = case_planned_infusion_date(case, at=ctx.at)
    for message in case_eligibility(case, on_date=on).failing_messages():
        yield f"Eligibility: {message}"
