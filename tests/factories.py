"""factory_boy factories. Cases are created through ``case_create`` and moved through
``case_apply`` (see ``walk_to``), never by writing a state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from cases.access import FACILITATORS_GROUP
from cases.models import (
    Consent,
    Doctor,
    Hospital,
    HospitalAdmin,
    Patient,
    PortOffice,
    Product,
    WeightMeasurement,
)
from cases.services import case_apply, case_create
from cases.states import CaseState


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="en_IN")
    last_name = factory.Faker("last_name", locale="en_IN")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.in")
    password = factory.django.Password("demo-pass-2026")


class FacilitatorFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def facilitators_group(self, create, extracted, **kwargs):
        if create:
            self.groups.add(Group.objects.get_or_create(name=FACILITATORS_GROUP)[0])


class HospitalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hospital
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Test Hospital {n}")
    address = "1 Hospital Road"
    city = "Bengaluru"
    state = "Karnataka"
    phone = "+91 80 4000 0000"
    port_office = PortOffice.BENGALURU_AIRPORT


class DoctorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Doctor

    user = factory.SubFactory(UserFactory)
    registration_number = factory.Sequence(lambda n: f"KMC-{100000 + n}")
    council = "Karnataka Medical Council"
    specialty = "Paediatric neurology"
    hospital = factory.SubFactory(HospitalFactory)


class HospitalAdminFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HospitalAdmin

    user = factory.SubFactory(UserFactory)
    hospital = factory.SubFactory(HospitalFactory)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient
        skip_postgeneration_save = True

    full_name = factory.Faker("name", locale="en_IN")
    date_of_birth = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=300))
    sex = "F"
    guardian_name = factory.Faker("name", locale="en_IN")
    guardian_relationship = "Mother"
    guardian_phone = "+91 98450 12345"
    guardian_email = "guardian@example.in"
    city = "Bengaluru"
    state = "Karnataka"
    aadhaar_last4 = "1234"
    sma_type = "1"
    smn1_biallelic_confirmed = True
    smn2_copy_number = 2
    genetic_test_lab = "Strand Life Sciences"
    genetic_test_date = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=40))

    @factory.post_generation
    def consent(self, create, extracted, **kwargs):
        """The guardian's consent, unless ``consent=False`` is passed."""
        if create and extracted is not False:
            Consent.objects.create(
                patient=self,
                given_by=self.guardian_name,
                relationship=self.guardian_relationship,
                verified_how="in_person",
                notice_version="2026-11",
            )

    @factory.post_generation
    def weight(self, create, extracted, **kwargs):
        """A weight measured 2 days ago unless ``weight=False`` is passed (``weight=Decimal(...)``
        sets its value)."""
        if create and extracted is not False:
            WeightMeasurement.objects.create(
                patient=self,
                measured_on=timezone.localdate() - dt.timedelta(days=2),
                weight_kg=extracted or Decimal("8.4"),
            )


class WeightMeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WeightMeasurement

    patient = factory.SubFactory(PatientFactory, weight=False)
    measured_on = factory.LazyFunction(timezone.localdate)
    weight_kg = Decimal("8.4")
    measured_by = "Clinic nurse"


def zolgensma() -> Product:
    return Product.objects.get(name="Zolgensma")


class CaseFactory(factory.Factory):
    """Builds a case through ``case_create`` (reference numbering and validation included),
    opened by ``by`` (default: the assigned facilitator, else the ``reviewer`` facilitator)."""

    class Meta:
        model = dict

    patient = factory.LazyFunction(PatientFactory)
    product = factory.LazyFunction(zolgensma)
    doctor = factory.LazyFunction(DoctorFactory)
    hospital = factory.LazyAttribute(lambda o: o.doctor.hospital)
    facilitator = None

    @classmethod
    def _create(cls, model_class, by=None, **kwargs):
        by = by or kwargs.get("facilitator") or FacilitatorFactory(username="reviewer")
        return case_create(by=by, **kwargs)

    _build = _create


# The facts each main-line transition needs, relative to now. Tests override what they test.
def default_facts(name: str) -> dict:
    now = timezone.now()
    today = timezone.localdate()
    return {
        "record_permit": {
            "permit_number": "12B/BLR/2026/1001",
            "permit_issued_on": today - dt.timedelta(days=1),
            "permit_valid_until": today + dt.timedelta(days=180),
        },
        "record_rejection": {"rejection_reason": "Prescription unsigned."},
        "dispatch": {
            "supplier_order_ref": "NGT-IN-40001",
            "awb_number": "176-12345675",
            "courier": "World Courier",
            "eta": now + dt.timedelta(days=2),
        },
        "clear_customs": {"bill_of_entry_number": "7300001", "duty_exemption_claimed": True},
        "confirm_delivery_and_schedule": {
            "received_at": now - dt.timedelta(hours=2),
            "received_by": "Hospital pharmacy",
            "temperature_ok": True,
            "infusion_scheduled_at": now + dt.timedelta(days=3),
        },
        "record_infusion": {
            "infused_at": now - dt.timedelta(hours=1),
            "kit_lot_numbers": "AVX001A",
        },
        "close": {"close_override_reason": "Family moved abroad; follow-up there."},
        "hold": {"hold_reason": "Titre above 1:50."},
        "cancel": {"cancellation_reason": "Family withdrew."},
    }.get(name, {})


MAIN_LINE_TRANSITIONS = [
    ("start_document_collection", CaseState.DOCUMENTS),
    ("submit_to_regulator", CaseState.REGULATORY_REVIEW),
    ("record_permit", CaseState.APPROVED),
    ("dispatch", CaseState.CUSTOMS),
    ("clear_customs", CaseState.DELIVERY),
    ("confirm_delivery_and_schedule", CaseState.INFUSION_SCHEDULED),
    ("record_infusion", CaseState.MONITORING),
    ("close", CaseState.CLOSED),
]


# Baseline lab values within every limit (DOMAIN.md §1.6), keyed by document type code.
GOOD_LAB_VALUES = {
    "anti_aav9_titer": {"anti_aav9_titer": "1:25"},
    "liver_function": {
        "alt": Decimal("28"),
        "ast": Decimal("35"),
        "total_bilirubin": Decimal("0.6"),
    },
    "cbc": {"platelets": Decimal("310")},
    "creatinine": {"creatinine": Decimal("0.3")},
    "troponin": {"troponin_i": Decimal("0.01")},
}


def upload_document(
    case,
    code: str,
    by,
    *,
    accept: bool = True,
    sample_days_ago: int = 2,
    data: bytes | None = None,
    filename: str | None = None,
    **values,
):
    """Store a small real PDF of type ``code`` on ``case`` (accepted unless told otherwise)."""
    from documents.demo import simple_pdf
    from documents.models import DocumentType, ReviewStatus
    from documents.services import document_review, document_upload

    doc_type = DocumentType.objects.get(code=code)
    if doc_type.is_lab:
        values = {
            "sample_taken_on": timezone.localdate() - dt.timedelta(days=sample_days_ago),
            **GOOD_LAB_VALUES.get(code, {}),
            **values,
        }
    document = document_upload(
        case=case,
        document_type=doc_type,
        by=by,
        data=data or simple_pdf(doc_type.name, [case.reference, case.patient.full_name]),
        filename=filename or f"{code}.pdf",
        **values,
    )
    if accept:
        facilitator = by if by.is_staff else FacilitatorFactory(username="reviewer")
        document_review(document=document, by=facilitator, status=ReviewStatus.ACCEPTED)
    return document


# What a complete regulatory file records (regulatory.models.RegulatoryFile), relative to now.
def regulatory_file_values(case) -> dict:
    from regulatory.models import TariffHeading

    now = timezone.now()
    today = timezone.localdate()
    return {
        "applicant_address": "14, 2nd Cross, Jayalakshmipuram",
        "applicant_city": "Mysuru",
        "applicant_district": "Mysuru",
        "applicant_state": "Karnataka",
        "applicant_pin": "570012",
        "applicant_occupation": "Software engineer",
        "importer_name": f"{case.patient.guardian_name}, for the patient's personal use",
        "importer_address": "14, 2nd Cross, Jayalakshmipuram, Mysuru 570012",
        "consignee_name": f"{case.patient.guardian_name}, care of {case.hospital.name}",
        "consignee_address": f"{case.hospital.address}, {case.hospital.city}",
        "sugam_application_number": "SUGAM-12A-2026-000417",
        "sugam_submitted_at": now - dt.timedelta(days=1),
        "permit_received_at": now - dt.timedelta(hours=20),
        "certificate_authority": "dmo",
        "certificate_office": "District Health Office, Mysuru",
        "certificate_number": "DHO/MYS/RD/2026/088",
        "certificate_date": today - dt.timedelta(days=3),
        "consignor_name": "Novartis Gene Therapies, Inc.",
        "consignor_address": "2275 Half Day Road, Bannockburn, IL 60015, USA",
        "country_of_origin": "United States of America",
        "country_of_export": "United States of America",
        "invoice_number": "NGT-INV-2026-5521",
        "invoice_date": today - dt.timedelta(days=2),
        "invoice_value": Decimal("2125000.00"),
        "invoice_currency": "USD",
        "tariff_heading": TariffHeading.objects.get(heading="3002"),
        "batch_number": "AVXB2611",
        "batch_expiry": today + dt.timedelta(days=180),
        "quantity_kits": 1,
        "quantity_vials": 6,
        "gross_weight_kg": Decimal("38.50"),
        "net_weight_kg": Decimal("0.310"),
        "dry_ice_kg": Decimal("30.00"),
        "bill_of_entry_number": "7300001",
        "bill_of_entry_date": today,
        "broker_name": "Skyline Customs Brokers",
        "broker_licence": "CB/BLR/1187",
        "duty_assessed_inr": Decimal("0"),
        "out_of_charge_at": now - dt.timedelta(hours=1),
    }


def give_regulatory_file(case, by, **overrides):
    """A complete regulatory file on ``case`` (applicant, SUGAM, certificate, shipment, Bill
    of Entry), recorded by a facilitator through the service."""
    from regulatory.services import regulatory_file_update

    facilitator = by if by.is_staff else FacilitatorFactory(username="reviewer")
    return regulatory_file_update(
        case=case, by=facilitator, **{**regulatory_file_values(case), **overrides}
    )


def give_documents(case, target: str, by) -> None:
    """Accepted documents for everything ``case`` needs before entering ``target`` (and, for
    the regulator, an application packet newer than them), and from the regulator on a
    complete regulatory file."""
    from documents.models import DocumentType
    from documents.packets.services import packet_blockers
    from regulatory.models import RegulatoryFile

    if target != CaseState.DOCUMENTS and not RegulatoryFile.objects.filter(case=case).exists():
        give_regulatory_file(case, by)
    for doc_type in DocumentType.objects.filter(required_before=target):
        if not case.documents.filter(document_type=doc_type).exists():
            upload_document(case, doc_type.code, by)
    if target == CaseState.REGULATORY_REVIEW and packet_blockers(case):
        stand_in_application_packet(case, by)


def stand_in_application_packet(case, by):
    """A cheap accepted application packet, to walk past the submit guard without rendering
    one with WeasyPrint (the packet tests render real ones)."""
    from documents.demo import simple_pdf
    from documents.models import DocumentType, ReviewStatus
    from documents.services import document_upload

    facilitator = by if by.is_staff else FacilitatorFactory(username="reviewer")
    return document_upload(
        case=case,
        document_type=DocumentType.objects.get(code="application_packet"),
        data=simple_pdf("Application packet (stand-in)"),
        filename="packet.pdf",
        by=facilitator,
        review_status=ReviewStatus.ACCEPTED,
    )


def step(case, name: str, target: str, by):
    """One main-line transition with what it needs: the documents of its gate, the
    infusion-day weight for ``record_infusion``, and the default facts."""
    give_documents(case, target, by)
    facts = default_facts(name)
    if name == "record_infusion":
        reweigh_on_infusion_day(case, facts["infused_at"])
    return case_apply(case=case, transition=name, by=by, **facts)


def walk_to(case, state: str, by):
    """Move ``case`` along the main line to ``state`` through ``case_apply`` as ``by``,
    uploading accepted documents for each gate on the way (``by`` must be a facilitator)."""
    order = [CaseState.APPLICATION] + [target for _, target in MAIN_LINE_TRANSITIONS]
    for name, target in MAIN_LINE_TRANSITIONS:
        if case.state == state:
            break
        if case.state in order and order.index(target) <= order.index(case.state):
            continue  # already past this step
        case = step(case, name, target, by)
    assert case.state == state, f"could not walk to {state}; stopped at {case.state}"
    return case


def reweigh_on_infusion_day(case, infused_at, weight_kg=None):
    """The re-check weight on the infusion day the label asks for (DOMAIN.md §1.3), in the
    kit's band unless ``weight_kg`` says otherwise."""
    from cases.clock import ist_date

    latest = case.patient.latest_weight()
    return WeightMeasurement.objects.create(
        patient=case.patient,
        measured_on=ist_date(infused_at),
        measured_by="Ward nurse",
        weight_kg=weight_kg or (latest.weight_kg if latest else Decimal("8.4")),
    )


# How to reach each side state from the main line: (main-line state, transition).
SIDE_STATE_ROUTES = {
    CaseState.REJECTED: (CaseState.REGULATORY_REVIEW, "record_rejection"),
    CaseState.ON_HOLD: (CaseState.APPROVED, "hold"),
    CaseState.CANCELLED: (CaseState.DOCUMENTS, "cancel"),
}


def bring_to(case, state: str, by):
    """Like ``walk_to``, but also reaches the side states (through ``case_apply``)."""
    if state not in SIDE_STATE_ROUTES:
        return walk_to(case, state, by)
    via, name = SIDE_STATE_ROUTES[state]
    case = walk_to(case, via, by)
    return case_apply(case=case, transition=name, by=by, **default_facts(name))


def state_logs(case):
    """The case's transition history (django-fsm-log), oldest first."""
    from django_fsm_log.models import StateLog

    return list(StateLog.objects.for_(case).select_related("by").order_by("timestamp", "pk"))
