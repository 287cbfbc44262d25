"""The rulebook, rule by rule: one table row per edge DOMAIN.md §1.10 implies (exactly at a
limit, one unit past, around midnight in India, leap days), each asserting the rule's code.

Rows build their facts on a real case (database rows for patient, weights, results) and ask
``cases.rules.blockers`` directly, at a fixed instant; the transitions' own tests go through
``case_apply``. ``test_every_registered_rule_has_a_row_expecting_it`` walks the registry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from cases import rules
from cases.models import Case, LabResult, Patient, WeightMeasurement
from tests.factories import (
    CaseFactory,
    PatientFactory,
    stand_in_application_packet,
    upload_document,
)

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Asia/Kolkata")
UTC = dt.UTC


def ist(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=IST)


AT = ist(2026, 6, 10, 12, 0)  # "now" for every row unless it says otherwise
TODAY = AT.date()
BORN = dt.date(2025, 9, 1)  # 9 months old on AT; turns 2 on 1 Sep 2027


@dataclass(frozen=True)
class Row:
    id: str
    code: str
    transition: str
    build: Callable[[Case], None]
    blocked: bool
    at: dt.datetime = AT

    def __str__(self) -> str:
        return self.id


def weigh(case: Case, day: dt.date, kg: str) -> None:
    WeightMeasurement.objects.create(patient=case.patient, measured_on=day, weight_kg=D(kg))


def funded(received: str) -> Callable[[Case], None]:
    """A quote of ₹1,00,000 valid past AT, and ``received`` rupees from the family."""

    def build(case: Case) -> None:
        from funding.services import quote_record, receipt_record, source_add
        from tests.factories import FacilitatorFactory

        by = FacilitatorFactory(username="funding-desk")
        quote_record(
            case=case,
            by=by,
            amount=D("100000.00"),
            currency="INR",
            inr_per_unit=D("1"),
            valid_until=TODAY + dt.timedelta(days=30),
        )
        family = source_add(case=case, by=by, kind="family", name="Parents")
        receipt_record(source=family, by=by, received_on=BORN, amount=D(received))

    return build


def logged(excursions: int, decision: str = "") -> Callable[[Case], None]:
    """A logger record of the kit with ``excursions`` excursions and that decision."""

    def build(case: Case) -> None:
        from coldchain.models import LoggerRecord
        from tests.factories import FacilitatorFactory

        document = upload_document(case, "temperature_log", FacilitatorFactory(username="cc"))
        LoggerRecord.objects.create(
            case=case,
            document=document,
            layout="test",
            limit_celsius=D("-60"),
            started_at=AT - dt.timedelta(days=2),
            ended_at=AT - dt.timedelta(days=1),
            reading_count=2,
            min_celsius=D("-70"),
            max_celsius=D("-50") if excursions else D("-65"),
            seconds_above_limit=600 * excursions,
            excursion_count=excursions,
            decision=decision,
        )

    return build


def facts(**values) -> Callable[[Case], None]:
    def build(case: Case) -> None:
        for name, value in values.items():
            setattr(case, name, value)

    return build


def both(*builders) -> Callable[[Case], None]:
    def build(case: Case) -> None:
        for builder in builders:
            builder(case)

    return build


def patient(**values) -> Callable[[Case], None]:
    def build(case: Case) -> None:
        Patient.objects.filter(pk=case.patient_id).update(**values)
        case.patient.refresh_from_db()

    return build


def born(day: dt.date) -> Callable[[Case], None]:
    return patient(date_of_birth=day)


def weights(*pairs) -> Callable[[Case], None]:
    def build(case: Case) -> None:
        WeightMeasurement.objects.filter(patient=case.patient).delete()
        for day, kg in pairs:
            weigh(case, day, kg)

    return build


def kit_band(low: str, high: str) -> Callable[[Case], None]:
    return facts(kit_band_low_kg=D(low), kit_band_high_kg=D(high))


RECEIVED = ist(2026, 6, 1, 10, 0)
received = facts(received_at=RECEIVED, temperature_ok=True)

ROWS: list[Row] = [
    # --- second_birthday: the instant in India, 29 Feb, a date of birth after the date -----
    Row(
        "2nd-bday-day-before",
        "second_birthday",
        "confirm_delivery_and_schedule",
        both(born(dt.date(2024, 6, 20)), facts(infusion_scheduled_at=ist(2026, 6, 19, 23, 59))),
        False,
    ),
    Row(
        "2nd-bday-on-the-day",
        "second_birthday",
        "confirm_delivery_and_schedule",
        both(born(dt.date(2024, 6, 20)), facts(infusion_scheduled_at=ist(2026, 6, 20, 0, 0))),
        True,
    ),
    Row(
        "2nd-bday-00:30-IST-is-still-the-19th-in-UTC",
        "second_birthday",
        "confirm_delivery_and_schedule",
        both(
            born(dt.date(2024, 6, 20)),
            facts(infusion_scheduled_at=dt.datetime(2026, 6, 19, 19, 0, tzinfo=UTC)),
        ),
        True,
    ),
    Row(
        "2nd-bday-23:59-IST-on-the-19th",
        "second_birthday",
        "confirm_delivery_and_schedule",
        both(
            born(dt.date(2024, 6, 20)),
            facts(infusion_scheduled_at=dt.datetime(2026, 6, 19, 18, 29, tzinfo=UTC)),
        ),
        False,
    ),
    Row(
        "leap-day-child-turns-2-on-28-feb",
        "second_birthday",
        "confirm_delivery_and_schedule",
        both(born(dt.date(2024, 2, 29)), facts(infusion_scheduled_at=ist(2026, 2, 28, 9, 0))),
        True,
    ),
    Row(
        "leap-day-child-under-2-on-27-feb",
        "second_birthday",
        "confirm_delivery_and_schedule",
        both(born(dt.date(2024, 2, 29)), facts(infusion_scheduled_at=ist(2026, 2, 27, 23, 59))),
        False,
    ),
    Row(
        "born-after-the-infusion-is-a-data-error",
        "second_birthday",
        "confirm_delivery_and_schedule",
        both(born(dt.date(2026, 7, 1)), facts(infusion_scheduled_at=ist(2026, 6, 30, 9, 0))),
        True,
    ),
    Row(
        "start-on-the-2nd-birthday",
        "second_birthday",
        "start_document_collection",
        born(dt.date(2024, 6, 10)),
        True,
    ),
    Row(
        "start-the-day-before",
        "second_birthday",
        "start_document_collection",
        born(dt.date(2024, 6, 11)),
        False,
    ),
    Row(
        "dispatch-judged-at-the-eta",
        "second_birthday",
        "dispatch",
        both(born(dt.date(2024, 6, 12)), facts(eta=ist(2026, 6, 12, 8, 0))),
        True,
    ),
    Row(
        "actual-infusion-after-the-birthday",
        "second_birthday",
        "record_infusion",
        both(born(dt.date(2024, 6, 10)), facts(infused_at=ist(2026, 6, 10, 9, 0))),
        True,
    ),
    # --- genetic diagnosis, consent ------------------------------------------------------------
    Row(
        "smn1-not-confirmed",
        "genetic_diagnosis_missing",
        "submit_to_regulator",
        patient(smn1_biallelic_confirmed=False),
        True,
    ),
    Row(
        "genetics-complete",
        "genetic_diagnosis_missing",
        "submit_to_regulator",
        lambda c: None,
        False,
    ),
    Row(
        "no-consent",
        "consent_missing",
        "submit_to_regulator",
        lambda c: c.patient.consents.all().delete(),
        True,
    ),
    Row("consent-given", "consent_missing", "submit_to_regulator", lambda c: None, False),
    # --- weight ---------------------------------------------------------------------------
    Row("no-weight-at-all", "weight_missing", "dispatch", weights(), True),
    Row(
        "only-a-weight-after-the-day",
        "weight_missing",
        "dispatch",
        weights((TODAY + dt.timedelta(days=1), "8.40")),
        True,
    ),
    Row("weight-on-the-day", "weight_missing", "dispatch", weights((TODAY, "8.40")), False),
    Row("no-weight-for-the-regulator", "weight_missing", "submit_to_regulator", weights(), True),
    Row(
        "weight-14-days-old",
        "weight_stale",
        "dispatch",
        weights((TODAY - dt.timedelta(days=14), "8.40")),
        False,
    ),
    Row(
        "weight-15-days-old",
        "weight_stale",
        "dispatch",
        weights((TODAY - dt.timedelta(days=15), "8.40")),
        True,
    ),
    Row(
        "weight-14-days-old-at-00:30-IST",
        "weight_stale",
        "dispatch",
        weights((TODAY - dt.timedelta(days=14), "8.40")),
        False,
        at=ist(2026, 6, 10, 0, 30),
    ),  # still 9 June in UTC: 15 days by the UTC date
    Row(
        "weight-15-days-old-when-scheduling",
        "weight_stale",
        "confirm_delivery_and_schedule",
        weights((TODAY - dt.timedelta(days=15), "8.40")),
        True,
    ),
    Row(
        "weighed-on-the-infusion-day",
        "weight_stale",
        "record_infusion",
        both(weights((dt.date(2026, 6, 9), "8.40")), facts(infused_at=ist(2026, 6, 9, 0, 30))),
        False,
    ),
    Row(
        "weighed-the-day-before-the-infusion",
        "weight_stale",
        "record_infusion",
        both(weights((dt.date(2026, 6, 8), "8.40")), facts(infused_at=ist(2026, 6, 9, 0, 30))),
        True,
    ),
    Row("2.59-kg", "weight_out_of_range", "dispatch", weights((TODAY, "2.59")), True),
    Row("2.60-kg", "weight_out_of_range", "dispatch", weights((TODAY, "2.60")), False),
    Row("21.00-kg", "weight_out_of_range", "dispatch", weights((TODAY, "21.00")), False),
    Row(
        "21.01-kg",
        "weight_out_of_range",
        "record_infusion",
        both(weights((TODAY, "21.01")), facts(infused_at=AT)),
        True,
    ),
    Row(
        "same-band-at-its-top",
        "weight_band_changed",
        "confirm_delivery_and_schedule",
        both(kit_band("8.1", "8.5"), weights((TODAY, "8.50"))),
        False,
    ),
    Row(
        "one-hundredth-above-the-band",
        "weight_band_changed",
        "confirm_delivery_and_schedule",
        both(kit_band("8.1", "8.5"), weights((TODAY, "8.51"))),
        True,
    ),
    Row(
        "just-into-the-band-from-below",
        "weight_band_changed",
        "confirm_delivery_and_schedule",
        both(kit_band("8.1", "8.5"), weights((TODAY, "8.01"))),
        False,
    ),
    Row(
        "one-band-down",
        "weight_band_changed",
        "confirm_delivery_and_schedule",
        both(kit_band("8.1", "8.5"), weights((TODAY, "8.00"))),
        True,
    ),
    Row(
        "band-change-with-the-manufacturers-decision",
        "weight_band_changed",
        "confirm_delivery_and_schedule",
        both(
            kit_band("8.1", "8.5"),
            weights((TODAY, "8.60")),
            facts(band_change_decision="Manufacturer: use the kit as ordered."),
        ),
        False,
    ),
    Row(
        "infused-with-another-band",
        "weight_band_changed",
        "record_infusion",
        both(kit_band("8.1", "8.5"), weights((TODAY, "8.60")), facts(infused_at=AT)),
        True,
    ),
    # --- permit ---------------------------------------------------------------------------
    Row(
        "permit-valid-through-today",
        "permit_expired",
        "dispatch",
        facts(permit_valid_until=TODAY),
        False,
    ),
    Row(
        "permit-expired-yesterday",
        "permit_expired",
        "dispatch",
        facts(permit_valid_until=TODAY - dt.timedelta(days=1)),
        True,
    ),
    Row(
        "permit-expired-yesterday-at-00:30-IST",
        "permit_expired",
        "clear_customs",
        facts(permit_valid_until=dt.date(2026, 6, 9)),
        True,
        at=ist(2026, 6, 10, 0, 30),
    ),
    Row(
        "customs-on-the-last-day",
        "permit_expired",
        "clear_customs",
        facts(permit_valid_until=TODAY),
        False,
    ),
    Row(
        "eta-on-the-last-valid-day",
        "permit_expires_before_eta",
        "dispatch",
        facts(permit_valid_until=dt.date(2026, 6, 12), eta=ist(2026, 6, 12, 23, 59)),
        False,
    ),
    Row(
        "eta-a-day-after",
        "permit_expires_before_eta",
        "dispatch",
        facts(permit_valid_until=dt.date(2026, 6, 12), eta=ist(2026, 6, 13, 0, 1)),
        True,
    ),
    Row(
        "eta-00:30-IST-next-day-is-still-the-12th-in-UTC",
        "permit_expires_before_eta",
        "dispatch",
        facts(
            permit_valid_until=dt.date(2026, 6, 12), eta=dt.datetime(2026, 6, 12, 19, 0, tzinfo=UTC)
        ),
        True,
    ),
    # --- 14 x 24 hours --------------------------------------------------------------------
    Row(
        "scheduled-exactly-14x24h-after-receipt",
        "cold_chain_window",
        "confirm_delivery_and_schedule",
        both(received, facts(infusion_scheduled_at=RECEIVED + dt.timedelta(days=14))),
        False,
    ),
    Row(
        "scheduled-a-minute-later",
        "cold_chain_window",
        "confirm_delivery_and_schedule",
        both(received, facts(infusion_scheduled_at=RECEIVED + dt.timedelta(days=14, minutes=1))),
        True,
        at=ist(2026, 6, 1, 12, 0),
    ),
    Row(
        "scheduled-before-receipt",
        "cold_chain_window",
        "confirm_delivery_and_schedule",
        both(received, facts(infusion_scheduled_at=RECEIVED - dt.timedelta(minutes=1))),
        True,
    ),
    Row(
        "given-on-the-15th-date-but-within-14x24h",
        "cold_chain_window",
        "record_infusion",
        both(facts(received_at=ist(2026, 5, 27, 23, 0), infused_at=ist(2026, 6, 10, 9, 0))),
        False,
    ),
    Row(
        "given-after-the-window",
        "cold_chain_window",
        "record_infusion",
        both(facts(received_at=ist(2026, 5, 27, 9, 0), infused_at=ist(2026, 6, 10, 9, 1))),
        True,
    ),
    # --- 8 hours from drawing the syringes up ---------------------------------------------
    Row(
        "given-exactly-8h-after-drawing",
        "syringe_window",
        "record_infusion",
        facts(syringe_drawn_at=ist(2026, 6, 10, 1, 0), infused_at=ist(2026, 6, 10, 9, 0)),
        False,
    ),
    Row(
        "given-a-minute-past-8h",
        "syringe_window",
        "record_infusion",
        facts(syringe_drawn_at=ist(2026, 6, 10, 1, 0), infused_at=ist(2026, 6, 10, 9, 1)),
        True,
    ),
    Row(
        "given-before-drawing",
        "syringe_window",
        "record_infusion",
        facts(syringe_drawn_at=ist(2026, 6, 10, 9, 0), infused_at=ist(2026, 6, 10, 8, 59)),
        True,
    ),
    Row(
        "drawing-time-not-recorded",
        "syringe_window",
        "record_infusion",
        facts(infused_at=ist(2026, 6, 10, 9, 0)),
        False,
    ),
    # --- eligibility ----------------------------------------------------------------------
    Row("active-infection", "eligibility", "dispatch", patient(active_infection=True), True),
    # --- facts of each transition ---------------------------------------------------------
    Row(
        "a-case-without-parties",
        "case_parties_missing",
        "start_document_collection",
        lambda c: None,
        True,
    ),
    Row(
        "permit-issued-tomorrow",
        "permit_details_missing",
        "record_permit",
        facts(
            permit_number="12B/1",
            permit_issued_on=TODAY + dt.timedelta(days=1),
            permit_valid_until=TODAY + dt.timedelta(days=180),
        ),
        True,
    ),
    Row(
        "permit-valid-before-issue",
        "permit_details_missing",
        "record_permit",
        facts(
            permit_number="12B/1",
            permit_issued_on=TODAY,
            permit_valid_until=TODAY - dt.timedelta(days=1),
        ),
        True,
    ),
    Row(
        "permit-complete",
        "permit_details_missing",
        "record_permit",
        facts(permit_number="12B/1", permit_issued_on=TODAY, permit_valid_until=TODAY),
        False,
    ),
    Row(
        "rejection-without-reason",
        "rejection_reason_missing",
        "record_rejection",
        facts(rejection_reason="  "),
        True,
    ),
    Row(
        "dispatch-without-awb",
        "order_details_missing",
        "dispatch",
        facts(supplier_order_ref="NGT-1", awb_number="", eta=AT),
        True,
    ),
    Row(
        "customs-without-bill-of-entry",
        "bill_of_entry_missing",
        "clear_customs",
        facts(bill_of_entry_number=""),
        True,
    ),
    Row(
        "received-in-the-future",
        "receipt_not_recorded",
        "confirm_delivery_and_schedule",
        facts(received_at=AT + dt.timedelta(minutes=5)),
        True,
    ),
    Row(
        "received-just-now",
        "receipt_not_recorded",
        "confirm_delivery_and_schedule",
        facts(received_at=AT),
        False,
    ),
    Row(
        "temperature-unknown",
        "temperature_not_confirmed",
        "confirm_delivery_and_schedule",
        facts(temperature_ok=None),
        True,
    ),
    Row(
        "not-scheduled",
        "infusion_not_scheduled",
        "confirm_delivery_and_schedule",
        facts(infusion_scheduled_at=None),
        True,
    ),
    Row(
        "infused-in-the-future",
        "infusion_details_missing",
        "record_infusion",
        facts(infused_at=AT + dt.timedelta(minutes=1), kit_lot_numbers="AVX1"),
        True,
    ),
    Row(
        "other-close-reason-without-words",
        "close_reason_missing",
        "close",
        facts(close_reason="other", close_override_reason=""),
        True,
    ),
    Row("hold-without-reason", "hold_reason_missing", "hold", facts(hold_reason=""), True),
    Row(
        "cancel-without-reason",
        "cancellation_reason_missing",
        "cancel",
        facts(cancellation_reason=""),
        True,
    ),
    # --- closing --------------------------------------------------------------------------
    Row(
        "close-with-no-follow-up-results",
        "monitoring_incomplete",
        "close",
        facts(infused_at=AT - dt.timedelta(days=100)),
        True,
    ),
    Row(
        "close-lost-to-follow-up",
        "monitoring_incomplete",
        "close",
        facts(infused_at=AT - dt.timedelta(days=100), close_reason="lost_to_follow_up"),
        False,
    ),
    # --- documents (registered by the documents app) ------------------------------------
    Row(
        "submit-without-documents", "documents_missing", "submit_to_regulator", lambda c: None, True
    ),
    Row("submit-without-a-packet", "packet_outdated", "submit_to_regulator", lambda c: None, True),
    # --- consent (registered by the family app) -------------------------------------------
    Row(
        "resume-after-consent-withdrawn",
        "consent_withdrawn",
        "resume",
        lambda c: c.patient.consents.update(withdrawn_at=AT),
        True,
    ),
    Row("resume-with-consent", "consent_withdrawn", "resume", lambda c: None, False),
    # --- the regulatory file (registered by the regulatory app) ---------------------------
    Row(
        "submit-without-applicant-facts",
        "packet_facts_missing",
        "submit_to_regulator",
        lambda c: None,
        True,
    ),
    Row(
        "submit-without-a-pin-code",
        "packet_facts_missing",
        "submit_to_regulator",
        lambda c: regulatory_file(c, applicant_pin=""),
        True,
    ),
    Row(
        "submit-with-applicant-facts",
        "packet_facts_missing",
        "submit_to_regulator",
        lambda c: regulatory_file(c),
        False,
    ),
    Row(
        "clear-without-customs-facts",
        "packet_facts_missing",
        "clear_customs",
        lambda c: regulatory_file(c, invoice_currency=""),
        True,
    ),
    Row(
        "clear-with-customs-facts",
        "packet_facts_missing",
        "clear_customs",
        lambda c: regulatory_file(c),
        False,
    ),
    Row(
        "permit-without-sugam-number",
        "sugam_application_missing",
        "record_permit",
        lambda c: regulatory_file(c, sugam_application_number=""),
        True,
    ),
    Row(
        "permit-with-sugam-submission",
        "sugam_application_missing",
        "record_permit",
        lambda c: regulatory_file(c),
        False,
    ),
    Row(
        "permit-with-an-open-query",
        "cdsco_query_open",
        "record_permit",
        lambda c: cdsco_query(c, answered=False),
        True,
    ),
    Row(
        "permit-with-the-query-answered",
        "cdsco_query_open",
        "record_permit",
        lambda c: cdsco_query(c, answered=True),
        False,
    ),
    Row(
        "clear-without-out-of-charge",
        "bill_of_entry_incomplete",
        "clear_customs",
        lambda c: regulatory_file(c, out_of_charge_at=None),
        True,
    ),
    Row(
        "clear-out-of-charge-tomorrow",
        "bill_of_entry_incomplete",
        "clear_customs",
        lambda c: regulatory_file(c, out_of_charge_at=AT + dt.timedelta(days=1)),
        True,
    ),
    Row(
        "clear-with-the-bill-of-entry",
        "bill_of_entry_incomplete",
        "clear_customs",
        lambda c: (regulatory_file(c), facts(bill_of_entry_number="7300001")(c)),
        False,
    ),
    # --- funding (registered by the funding app) ----------------------------------------
    Row("quote-one-paisa-short", "funds_short", "dispatch", funded("99999.99"), True),
    Row("quote-covered-exactly", "funds_short", "dispatch", funded("100000.00"), False),
    # --- cold chain (registered by the coldchain app) -----------------------------------
    Row(
        "logger-excursion-undecided",
        "cold_chain_excursion",
        "confirm_delivery_and_schedule",
        logged(excursions=1),
        True,
    ),
    Row(
        "logger-excursion-use-allowed",
        "cold_chain_excursion",
        "confirm_delivery_and_schedule",
        logged(excursions=1, decision="use"),
        False,
    ),
    Row(
        "logger-clean",
        "cold_chain_excursion",
        "confirm_delivery_and_schedule",
        logged(excursions=0),
        False,
    ),
]


def regulatory_file(case: Case, **overrides) -> None:
    from regulatory.models import RegulatoryFile
    from tests.factories import regulatory_file_values

    values = {**regulatory_file_values(case), "out_of_charge_at": AT - dt.timedelta(hours=2)}
    values["sugam_submitted_at"] = AT - dt.timedelta(days=2)
    RegulatoryFile.objects.create(case=case, **{**values, **overrides})


def cdsco_query(case: Case, *, answered: bool) -> None:
    from regulatory.models import CdscoQuery, RegulatoryFile

    regulatory_file(case)
    CdscoQuery.objects.create(
        file=RegulatoryFile.objects.get(case=case),
        raised_at=AT - dt.timedelta(days=1),
        text="Attach the prescription signed with the registration number.",
        due_by=TODAY + dt.timedelta(days=2),
        answered_at=AT - dt.timedelta(hours=3) if answered else None,
        answer="Signed prescription attached." if answered else "",
    )


@pytest.fixture
def case(doctor1):
    patient = PatientFactory(date_of_birth=BORN, weight=False)
    return CaseFactory(patient=patient, doctor=doctor1.doctor)


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_rule_edges(row: Row, case: Case):
    if row.id == "a-case-without-parties":
        case = Case()
    else:
        row.build(case)

    found = rules.blockers(case, row.transition, at=row.at)

    codes = {b.code for b in found}
    assert (row.code in codes) is row.blocked, [b.message for b in found]
    assert all(b.message.strip() for b in found)


def test_every_registered_rule_has_a_row_expecting_it():
    expected = {row.code for row in ROWS if row.blocked}
    missing = {r.code for r in rules.registry()} - expected
    assert not missing, f"rule codes no test expects: {sorted(missing)}"


def test_rule_codes_are_declared_once_per_product():
    with pytest.raises(ValueError, match="already declared"):
        rules.register(
            rules.Rule(
                "weight_stale", frozenset({"dispatch"}), lambda c, x: [], product="Zolgensma"
            )
        )


def test_a_rule_for_another_product_does_not_gate_zolgensma(case):
    rules.register(
        rules.Rule(
            "other_medicine_check",
            frozenset({"dispatch"}),
            lambda c, ctx: ["Another medicine's rule."],
            product="Other",
        )
    )
    try:
        assert "other_medicine_check" not in {b.code for b in rules.blockers(case, "dispatch")}
    finally:
        rules._REGISTRY.pop(("other_medicine_check", "Other"))


def test_eligibility_passes_with_good_labs_and_fails_on_one_above_2_x_the_labs_own_uln(
    case, facilitator
):
    weigh(case, TODAY, "8.40")
    for code in ("anti_aav9_titer", "cbc", "creatinine", "troponin"):
        upload_document(case, code, facilitator)
    liver = upload_document(case, "liver_function", facilitator, alt=D("60"), alt_uln=D("30"))
    assert "eligibility" not in {b.code for b in rules.blockers(case, "dispatch")}

    liver.alt = D("60.1")
    liver.save()
    found = [b for b in rules.blockers(case, "dispatch") if b.code == "eligibility"]
    assert [b.message for b in found] == [
        "Eligibility: ALT, AST and total bilirubin not above 2 x ULN: ALT 60.1 is above "
        "2 x ULN (60.0)."
    ]


def test_a_titre_as_labs_print_it_is_accepted_and_judged(case, facilitator):
    upload_document(case, "anti_aav9_titer", facilitator, anti_aav9_titer="<1:25")
    from cases.selectors import case_eligibility

    assert case_eligibility(case)["aav9_titer"].passed


def test_packet_gate_refuses_submission_without_a_fresh_packet(case, facilitator):
    """Removing the packet gate from submit_to_regulator must fail this test."""
    from cases.services import TransitionRefused, case_apply
    from tests.factories import give_documents, walk_to

    weigh(case, TODAY, "8.40")
    case = walk_to(case, "documents", facilitator)
    from documents.models import DocumentType
    from tests.factories import give_regulatory_file

    give_regulatory_file(case, facilitator)
    for doc_type in DocumentType.objects.filter(required_before="regulatory_review"):
        upload_document(case, doc_type.code, facilitator)
    with pytest.raises(TransitionRefused) as refused:
        case_apply(case=case, transition="submit_to_regulator", by=facilitator)
    assert refused.value.messages == ["Build the application packet first."]

    stand_in_application_packet(case, facilitator)
    give_documents(case, "regulatory_review", facilitator)
    assert case_apply(case=case, transition="submit_to_regulator", by=facilitator).state == (
        "regulatory_review"
    )


def test_monitoring_slot_results_count_within_3_days(case, facilitator):
    infused = ist(2026, 3, 2, 11, 0)
    case.infused_at = infused
    from cases.clinical import MONITORING_WEEKS

    for test, weeks in MONITORING_WEEKS.items():
        for week in weeks:
            LabResult.objects.create(
                case=case,
                test=test,
                alt=D(30),
                ast=D(30),
                total_bilirubin=D("0.5"),
                taken_on=infused.date() + dt.timedelta(days=7 * week + 3),
            )
    case.steroid_taper_ended_on = infused.date() + dt.timedelta(days=56)
    # The clinical app's monitoring_incomplete also reads the steroid course's decision.
    from clinical.models import SteroidCourse

    SteroidCourse.objects.create(
        case=case,
        started_on=infused.date() - dt.timedelta(days=1),
        weight_kg=D("8.4"),
        dose_mg=D("8.4"),
        decision="taper",
        taper_started_on=infused.date() + dt.timedelta(days=29),
    )
    assert rules.blockers(case, "close", at=AT) == []
    LabResult.objects.filter(test="troponin").order_by("-taken_on").first().delete()
    assert [b.code for b in rules.blockers(case, "close", at=AT)] == ["monitoring_incomplete"]
