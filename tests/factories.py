"""factory_boy factories. Cases are created through ``case_create`` and moved through
``case_apply`` (see ``walk_to``), never by writing a state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from cases.models import Doctor, Hospital, HospitalAdmin, Patient, PortOffice, Product, WeightMeasurement
from cases.permissions import FACILITATORS_GROUP
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
    def weight(self, create, extracted, **kwargs):
        """A recent weight unless ``weight=None`` is passed."""
        if create and extracted is not False:
            WeightMeasurement.objects.create(
                patient=self,
                measured_on=timezone.localdate() - dt.timedelta(days=2),
                weight_kg=extracted or Decimal("8.4"),
            )


def zolgensma() -> Product:
    return Product.objects.get(name="Zolgensma")


class CaseFactory(factory.Factory):
    """Builds a case through ``case_create`` (reference numbering and validation included)."""

    class Meta:
        model = dict

    patient = factory.LazyFunction(PatientFactory)
    product = factory.LazyFunction(zolgensma)
    doctor = factory.LazyFunction(DoctorFactory)
    hospital = factory.LazyAttribute(lambda o: o.doctor.hospital)
    facilitator = None

    @classmethod
    def _create(cls, model_class, **kwargs):
        return case_create(**kwargs)

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


def walk_to(case, state: str, by):
    """Move ``case`` along the main line to ``state`` through ``case_apply`` as ``by``."""
    for name, target in MAIN_LINE_TRANSITIONS:
        if case.state == state:
            break
        case = case_apply(case=case, transition=name, by=by, **default_facts(name))
    assert case.state == state, f"could not walk to {state}; stopped at {case.state}"
    return case
