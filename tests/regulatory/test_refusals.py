"""A packet is refused for each missing fact, naming it, and the rulebook refuses the
transitions the packets serve (``packet_facts_missing``); an open CDSCO query stops the
permit (``cdsco_query_open``); the file's services refuse bad input and change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cases.services import TransitionRefused, case_apply
from cases.states import CaseState
from documents.packets import PacketError
from documents.packets.models import PacketBuild
from documents.packets.services import packet_build, packet_build_request
from regulatory.models import CdscoQuery, ExemptionNotification, RegulatoryFile
from regulatory.packet_facts import APPLICATION_FACTS, CUSTOMS_FACTS
from regulatory.services import cdsco_query_record, cdsco_query_update, regulatory_file_update
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def documents_case(facilitator):
    """A case in documents with every application document accepted and a complete file."""
    case = factories.walk_to(
        factories.CaseFactory(facilitator=facilitator), CaseState.DOCUMENTS, facilitator
    )
    factories.give_documents(case, CaseState.REGULATORY_REVIEW, facilitator)
    return case


def _blank(field: str):
    return None if field in _NULLABLE else ""


_NULLABLE = {
    "invoice_date",
    "invoice_value",
    "tariff_heading",
    "batch_expiry",
    "quantity_kits",
    "quantity_vials",
    "gross_weight_kg",
    "net_weight_kg",
    "dry_ice_kg",
    "certificate_date",
}


@pytest.mark.parametrize(("field", "label"), APPLICATION_FACTS)
def test_application_packet_is_refused_naming_each_missing_fact(
    documents_case, facilitator, field, label
):
    RegulatoryFile.objects.filter(case=documents_case).update(**{field: _blank(field)})
    packets = documents_case.documents.filter(document_type__code="application_packet")
    before = packets.count()

    with pytest.raises(PacketError) as refused:
        packet_build(case=documents_case, kind="application", by=facilitator)

    message = " ".join(refused.value.messages)
    assert f"Form 12A needs {label}:" in message
    assert documents_case.reference in message
    assert packets.count() == before


@pytest.fixture
def customs_case(facilitator):
    case = factories.walk_to(
        factories.CaseFactory(facilitator=facilitator), CaseState.CUSTOMS, facilitator
    )
    factories.give_documents(case, CaseState.DELIVERY, facilitator)
    return case


@pytest.mark.parametrize(("field", "label"), CUSTOMS_FACTS)
def test_customs_packet_is_refused_naming_each_missing_fact(
    customs_case, facilitator, field, label
):
    RegulatoryFile.objects.filter(case=customs_case).update(**{field: _blank(field)})

    with pytest.raises(PacketError) as refused:
        packet_build(case=customs_case, kind="customs", by=facilitator)

    assert f"The customs file needs {label}:" in " ".join(refused.value.messages)
    assert not customs_case.documents.filter(document_type__code="customs_packet").exists()
    # And clearance waits for it too, with the rule's code.
    with pytest.raises(TransitionRefused) as refused_transition:
        case_apply(
            case=customs_case,
            transition="clear_customs",
            by=facilitator,
            **factories.default_facts("clear_customs"),
        )
    assert "packet_facts_missing" in refused_transition.value.codes


def test_a_queued_build_is_refused_before_it_is_queued(customs_case, facilitator):
    RegulatoryFile.objects.filter(case=customs_case).update(batch_number="")
    with pytest.raises(PacketError, match="the batch / lot number"):
        packet_build_request(case=customs_case, kind="customs", by=facilitator)
    assert not PacketBuild.objects.filter(case=customs_case).exists()


def test_customs_packet_is_refused_without_the_exemption_reference_data(customs_case, facilitator):
    ExemptionNotification.objects.filter(levy="bcd").update(active=False)
    with pytest.raises(PacketError, match="No active Basic customs duty"):
        packet_build(case=customs_case, kind="customs", by=facilitator)


def test_submit_to_regulator_waits_for_the_applicant_facts(documents_case, facilitator):
    RegulatoryFile.objects.filter(case=documents_case).update(
        applicant_occupation="", applicant_pin=""
    )

    with pytest.raises(TransitionRefused) as refused:
        case_apply(case=documents_case, transition="submit_to_regulator", by=facilitator)

    assert refused.value.codes == ["packet_facts_missing"]
    assert refused.value.messages == [
        "Form 12A needs the applicant's PIN code and the applicant's occupation: record them in "
        f"the regulatory file of {documents_case.reference}."
    ]
    documents_case.refresh_from_db()
    assert documents_case.state == CaseState.DOCUMENTS


def test_an_open_cdsco_query_stops_the_permit_until_answered(facilitator):
    case = factories.walk_to(
        factories.CaseFactory(facilitator=facilitator), CaseState.REGULATORY_REVIEW, facilitator
    )
    factories.give_documents(case, CaseState.APPROVED, facilitator)
    now = timezone.now()
    query = cdsco_query_record(
        case=case,
        by=facilitator,
        raised_at=now - dt.timedelta(hours=5),
        text="Attach the prescription with the doctor's registration number.",
        due_by=timezone.localdate() + dt.timedelta(days=3),
    )
    facts = factories.default_facts("record_permit")

    with pytest.raises(TransitionRefused) as refused:
        case_apply(case=case, transition="record_permit", by=facilitator, **facts)
    assert refused.value.codes == ["cdsco_query_open"]
    assert "not answered yet" in refused.value.messages[0]

    prescription = case.documents.get(document_type__code="prescription")
    cdsco_query_update(
        query=query,
        by=facilitator,
        answered_at=now - dt.timedelta(hours=1),
        answer="The signed prescription is attached.",
        enclosures=[prescription],
    )
    assert list(query.enclosures.all()) == [prescription]
    assert (
        case_apply(case=case, transition="record_permit", by=facilitator, **facts).state
        == CaseState.APPROVED
    )


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"applicant_pin": "57001"}, "applicant_pin"),
        ({"applicant_pin": "5700123"}, "applicant_pin"),
        ({"applicant_pin": "070012"}, "applicant_pin"),
        ({"applicant_pin": "57OO12"}, "applicant_pin"),
        ({"invoice_currency": "usd"}, "invoice_currency"),
        ({"invoice_value": Decimal("-1")}, "invoice_value"),
    ],
)
def test_bad_values_are_refused_and_change_nothing(documents_case, facilitator, values, field):
    before = RegulatoryFile.objects.get(case=documents_case)
    with pytest.raises(ValidationError) as refused:
        regulatory_file_update(case=documents_case, by=facilitator, **values)
    assert field in refused.value.message_dict
    after = RegulatoryFile.objects.get(case=documents_case)
    assert getattr(after, field) == getattr(before, field)


def test_only_facilitators_keep_the_file(documents_case, hospital_a):
    hospital_admin = factories.HospitalAdminFactory(hospital=documents_case.hospital).user
    for user in (documents_case.doctor.user, hospital_admin):
        with pytest.raises(PermissionDenied):
            regulatory_file_update(case=documents_case, by=user, applicant_occupation="Teacher")
        with pytest.raises(PermissionDenied):
            cdsco_query_record(
                case=documents_case,
                by=user,
                raised_at=timezone.now(),
                text="?",
                due_by=timezone.localdate(),
            )
    assert (
        RegulatoryFile.objects.get(case=documents_case).applicant_occupation == "Software engineer"
    )


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"answered_at": "raised-1h", "answer": "Sent."}, "answered_at"),
        ({"answered_at": "raised+1h", "answer": ""}, "answer"),
        ({"answer": "Sent."}, "answered_at"),
        ({"due_by": "yesterday"}, "due_by"),
    ],
)
def test_inconsistent_query_values_are_refused(documents_case, facilitator, values, field):
    raised = timezone.now() - dt.timedelta(hours=3)
    resolved = {
        "raised-1h": raised - dt.timedelta(hours=1),
        "raised+1h": raised + dt.timedelta(hours=1),
        "yesterday": timezone.localdate(raised) - dt.timedelta(days=1),
    }
    values = {k: resolved.get(v, v) for k, v in values.items()}
    values = {"due_by": timezone.localdate() + dt.timedelta(days=2), **values}
    with pytest.raises(ValidationError) as refused:
        cdsco_query_record(
            case=documents_case, by=facilitator, raised_at=raised, text="Query.", **values
        )
    assert field in refused.value.message_dict
    assert not CdscoQuery.objects.exists()


def test_an_answer_encloses_only_its_own_cases_documents(documents_case, facilitator):
    other = factories.walk_to(
        factories.CaseFactory(facilitator=facilitator), CaseState.DOCUMENTS, facilitator
    )
    foreign = factories.upload_document(other, "prescription", facilitator)
    query = cdsco_query_record(
        case=documents_case,
        by=facilitator,
        raised_at=timezone.now(),
        text="Query.",
        due_by=timezone.localdate(),
    )
    with pytest.raises(ValidationError, match="only documents of its own case"):
        cdsco_query_update(query=query, by=facilitator, enclosures=[foreign])
    assert not query.enclosures.exists()


def test_customs_packet_is_refused_when_a_later_eta_falls_after_the_permit(
    customs_case, facilitator
):
    from cases.services import case_record_eta

    late = timezone.now() + dt.timedelta(days=400)
    assert case_record_eta(case=customs_case, eta=late, source="test courier")
    customs_case.refresh_from_db()
    with pytest.raises(PacketError, match="before the kit's ETA"):
        packet_build(case=customs_case, kind="customs", by=facilitator)


def test_a_packet_built_before_the_applicant_facts_changed_is_outdated(documents_case, facilitator):
    regulatory_file_update(case=documents_case, by=facilitator, applicant_occupation="Farmer")

    with pytest.raises(TransitionRefused) as refused:
        case_apply(case=documents_case, transition="submit_to_regulator", by=facilitator)

    assert refused.value.codes == ["packet_outdated"]
    assert (
        "predates the applicant's facts changed in the regulatory file"
        in (refused.value.messages[0])
    )
    factories.stand_in_application_packet(documents_case, facilitator)
    # Saving the same values again changes nothing the packet prints.
    regulatory_file_update(case=documents_case, by=facilitator, applicant_occupation="Farmer")
    assert (
        case_apply(case=documents_case, transition="submit_to_regulator", by=facilitator).state
        == CaseState.REGULATORY_REVIEW
    )
