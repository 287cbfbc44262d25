"""Every app that holds a patient's data declares its part once (``cases.privacy.register_part``):
an access request exports it, and anonymising a long-closed case removes its identifiers while
the figures the statistics need stay."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from cases.privacy import parts
from clinical.models import AdverseEvent
from clinical.services import adverse_event_forward, adverse_event_report
from family.models import GuardianLink
from family.services import guardian_link_create, guardian_link_send
from funding.models import Receipt, Source
from funding.services import receipt_record, source_add
from regulatory.models import RegulatoryFile
from tests.factories import CaseFactory, walk_to

pytestmark = pytest.mark.django_db

CAMPAIGN = "Help baby Aarav walk"


def test_every_app_holding_patient_data_declares_its_part():
    assert {part.name for part in parts()} == {"clinical", "regulatory", "funding", "family"}
    assert all(part.anonymise is not None for part in parts())


@pytest.fixture
def closed_long_ago(facilitator, doctor1):
    """A case closed 500 days ago with a funding campaign, a guardian link sent by email and
    an adverse event; its regulatory file comes with the walk."""
    with time_machine.travel(timezone.now() - dt.timedelta(days=500)):
        case = CaseFactory(doctor=doctor1.doctor, facilitator=facilitator)
        source = source_add(
            case=case,
            by=facilitator,
            kind="crowdfunding",
            name=CAMPAIGN,
            platform="Milaap",
            link="https://milaap.example/fundraisers/aarav",
            pledged=Decimal("1000000"),
            fee_percent=Decimal("5"),
        )
        receipt_record(
            source=source,
            by=facilitator,
            received_on=timezone.localdate(),
            amount=Decimal("250000"),
            reference="UTR123456789",
        )
        link = guardian_link_create(case=case, by=facilitator)
        guardian_link_send(link=link, by=facilitator, to="parent@example.com")
        case = walk_to(case, "closed", facilitator)
        event = adverse_event_report(
            case=case,
            by=doctor1,
            onset_on=timezone.localdate(),
            aware_at=timezone.now(),
            description="Aarav's mother reported vomiting.",
            outcome="recovered",
        )
        adverse_event_forward(event=event, by=facilitator, sent_to="safety@manufacturer.example")
    return case


def test_an_access_request_exports_every_apps_part(closed_long_ago, tmp_path):
    case = closed_long_ago
    out = tmp_path / "export.json"

    call_command("export_patient_data", case.reference, out=str(out))

    data = json.loads(out.read_text())
    (regulatory,) = data["regulatory_files"]
    assert (
        regulatory["file"]["applicant_pin"] == RegulatoryFile.objects.get(case=case).applicant_pin
    )
    (funding,) = data["funding"]
    (source,) = funding["sources"]
    assert (source["name"], source["receipts"][0]["reference"]) == (CAMPAIGN, "UTR123456789")
    assert data["guardian_links"][0]["sent_to"] == "parent@example.com"
    (clinical,) = data["clinical"]
    assert clinical["adverse_events"][0]["description"] == "Aarav's mother reported vomiting."


def test_anonymising_removes_every_apps_identifiers_and_keeps_the_figures(closed_long_ago):
    case = closed_long_ago

    call_command("anonymise_closed_cases", "--older-than-days", "365", stdout=io.StringIO())

    regulatory = RegulatoryFile.objects.get(case=case)
    assert (regulatory.applicant_address, regulatory.applicant_pin) == ("", "")
    assert (regulatory.importer_name, regulatory.certificate_number) == ("Anonymised", "")
    assert regulatory.invoice_value is not None  # the shipment's figures stay
    source = Source.objects.get(case=case)
    assert (source.name, source.link) == ("Anonymised", "")
    assert source.pledged == Decimal("1000000")
    receipt = Receipt.objects.get(source=source)
    assert (receipt.reference, receipt.amount) == ("", Decimal("250000"))
    assert GuardianLink.objects.get(case=case).sent_to == ""
    event = AdverseEvent.objects.get(case=case)
    assert event.description == "(anonymised)"
    assert event.onset_on is not None
    (forwarded,) = event.forwards.all()  # what the manufacturer was sent keeps no identifier
    assert (forwarded.payload["description"], forwarded.payload["patient_initials"]) == (
        "(anonymised)",
        "",
    )
    assert forwarded.payload["patient_date_of_birth"].endswith("-01")
    assert forwarded.payload["outcome"]  # the clinical facts stay
