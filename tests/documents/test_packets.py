"""The application and customs packets, rendered once for the whole module and read back.

WeasyPrint is slow next to everything else in the suite, so ``built`` renders both packets of
one case a single time (inside a transaction rolled back at the end) and hands the tests plain
bytes and text. The helpers at the top are shared with the other packet test modules.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from cases.models import PortOffice
from cases.services import case_apply
from cases.states import CaseState
from documents.demo import simple_pdf, simple_png
from documents.models import DocumentType, ReviewStatus
from documents.packets.services import packet_build
from documents.services import document_review, document_upload
from tests import factories
from tests.factories import stand_in_application_packet

# How many pages each enclosure of the demo case has; anything not named has one.
PAGES = {"medical_report": 2, "genetic_report": 3, "prescription": 2}
IMAGE_CODES = {"patient_id"}
LAB_VALUES = {
    "liver_function": {"alt": Decimal(95), "ast": Decimal(41), "total_bilirubin": Decimal("0.6")},
    "anti_aav9_titer": {"anti_aav9_titer": "1:25"},
    "cbc": {"platelets": Decimal(310)},
    "creatinine": {"creatinine": Decimal("0.30")},
    "troponin": {"troponin_i": Decimal("0.010")},
}
CUSTOMS_CODES = [
    "form_12b_permit",
    "rare_disease_certificate",
    "prescription",
    "patient_id",
    "commercial_invoice",
    "air_waybill",
    "packing_list",
    "certificate_of_analysis",
]

# pytest-django sets up the test database only for tests that ask for it; without this mark
# the module-scoped build below would run against the development database.
pytestmark = pytest.mark.django_db


# --- Shared helpers ---------------------------------------------------------------------------


def marker(code: str, page: int) -> str:
    return f"MARKER-{code.upper()}-P{page}"


@functools.cache
def multipage_pdf(code: str, pages: int) -> bytes:
    writer = PdfWriter()
    for page in range(1, pages + 1):
        writer.append(
            PdfReader(io.BytesIO(simple_pdf(f"{code} page {page}", [marker(code, page)])))
        )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def accept(case, code: str, by, *, pages: int | None = None, **lab_values):
    """Upload an accepted version of ``code`` (an image for IMAGE_CODES, else a PDF)."""
    document_type = DocumentType.objects.get(code=code)
    if code in IMAGE_CODES:
        data, name = simple_png(f"{code}\n{marker(code, 1)}"), f"{code}.png"
    else:
        data, name = multipage_pdf(code, pages or PAGES.get(code, 1)), f"{code}.pdf"
    if document_type.is_lab:
        lab_values = {
            "sample_taken_on": timezone.localdate() - dt.timedelta(days=3),
            **LAB_VALUES.get(code, {}),
            **lab_values,
        }
    document = document_upload(
        case=case, document_type=document_type, data=data, filename=name, by=by, **lab_values
    )
    return document_review(document=document, by=by, status=ReviewStatus.ACCEPTED)


def accept_all_for(case, target: str, by, **lab_values_by_code) -> None:
    """An accepted version of every document required before ``target`` the case lacks."""
    for document_type in DocumentType.objects.filter(required_before=target):
        if not case.documents.filter(document_type=document_type).exists():
            accept(case, document_type.code, by, **lab_values_by_code.get(document_type.code, {}))


def demo_case(facilitator, *, weight=Decimal("8.4")):
    """A case in document collection with every application document accepted."""
    hospital = factories.HospitalFactory(
        name="Kaveri Children's Hospital", port_office=PortOffice.BENGALURU_AIRPORT
    )
    doctor = factories.DoctorFactory(
        hospital=hospital,
        registration_number="KMC-104233",
        user__first_name="Arjun",
        user__last_name="Rao",
    )
    patient = factories.PatientFactory(
        full_name="Aarav Sharma",
        guardian_name="Rohit Sharma",
        guardian_relationship="Father",
        city="Mysuru",
        state="Karnataka",
        weight=weight,
    )
    case = factories.CaseFactory(patient=patient, doctor=doctor, facilitator=facilitator)
    case = factories.walk_to(case, CaseState.DOCUMENTS, facilitator)
    accept_all_for(case, CaseState.REGULATORY_REVIEW, facilitator)
    factories.give_regulatory_file(case, facilitator)
    return case


def customs_case(facilitator):
    """A case of another patient, eligible, walked to customs with the customs documents accepted."""
    patient = factories.PatientFactory(
        full_name="Myra Nair",
        guardian_name="Anjali Nair",
        guardian_relationship="Mother",
        weight=Decimal("8.4"),
    )
    doctor = factories.DoctorFactory(
        hospital=factories.HospitalFactory(
            name="Kaveri Children's Hospital", port_office=PortOffice.BENGALURU_AIRPORT
        )
    )
    case = factories.CaseFactory(patient=patient, doctor=doctor, facilitator=facilitator)
    case = factories.walk_to(case, CaseState.DOCUMENTS, facilitator)
    accept_all_for(
        case, CaseState.REGULATORY_REVIEW, facilitator, liver_function={"alt": Decimal(30)}
    )
    factories.give_regulatory_file(case, facilitator)
    stand_in_application_packet(case, facilitator)
    case = walk_with_documents(case, CaseState.CUSTOMS, facilitator)
    for code in CUSTOMS_CODES:
        if not case.documents.filter(document_type__code=code).exists():
            accept(case, code, facilitator)
    return case


def walk_with_documents(case, state: str, by):
    """Walk along the main line, uploading what each gate needs first."""
    states = [target for _, target in factories.MAIN_LINE_TRANSITIONS]
    for name, target in factories.MAIN_LINE_TRANSITIONS:
        if case.state == state:
            break
        if states.index(target) <= states.index(case.state):
            continue
        accept_all_for(case, target, by)
        case = case_apply(case=case, transition=name, by=by, **factories.default_facts(name))
    assert case.state == state
    return case


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def flat(text: str) -> str:
    """Text with every run of white space (table cells wrap) as one space."""
    return " ".join(text.split())


def index_ranges(text: str, sha_prefixes: dict[str, str]) -> dict[str, tuple[int, int]]:
    """The page range the index gives on the row holding each SHA-256 prefix."""
    ranges = {}
    for code, prefix in sha_prefixes.items():
        line = next(line for line in text.splitlines() if prefix in line)
        first, last = re.search(r"(\d+)(?:\s*–\s*(\d+))?\s*$", line).groups()
        ranges[code] = (int(first), int(last or first))
    return ranges


# --- The module's one build -------------------------------------------------------------------


@dataclass
class Built:
    reference: str
    pdf: bytes
    texts: list[str]
    document: dict
    enclosures: list[dict] = field(default_factory=list)  # code, pages, sha, version, is_image


@dataclass
class Packets:
    application: Built
    customs: Built
    facilitator_name: str


def _built(document, enclosure_documents) -> Built:
    with document.file.open("rb") as handle:
        data = handle.read()
    return Built(
        reference=document.case.reference,
        pdf=data,
        texts=page_texts(data),
        document={
            "code": document.document_type.code,
            "version": document.version,
            "sha256": document.sha256,
            "page_count": document.page_count,
            "review_status": document.review_status,
            "filename": document.original_filename,
        },
        enclosures=[
            {
                "code": d.document_type.code,
                "pages": d.page_count,
                "sha": d.sha256[:12],
                "version": d.version,
                "is_image": d.content_type != "application/pdf",
            }
            for d in enclosure_documents
        ],
    )


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker, tmp_path_factory) -> Packets:
    storage = tmp_path_factory.mktemp("packets-private")
    with (
        django_db_blocker.unblock(),
        override_settings(
            PRIVATE_STORAGE_ROOT=storage,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ),
        transaction.atomic(),
    ):
        facilitator = factories.FacilitatorFactory(
            username="packet-facilitator", first_name="Priya", last_name="Menon"
        )
        # ALT 95 U/L is above 2 x ULN: the summary flags it (and the case cannot go further).
        case = demo_case(facilitator)
        application_docs = list(
            case.documents.filter(document_type__required_before=CaseState.REGULATORY_REVIEW)
            .select_related("document_type")
            .order_by("document_type__sort_order")
        )
        application = _built(
            packet_build(case=case, kind="application", by=facilitator), application_docs
        )
        # A second case, eligible, walked to customs for the customs packet.
        case = customs_case(facilitator)
        customs_docs = [case.documents.get(document_type__code=code) for code in CUSTOMS_CODES]
        customs = _built(packet_build(case=case, kind="customs", by=facilitator), customs_docs)
        packets = Packets(application, customs, "Priya Menon")
        if folder := os.environ.get("NPP_PACKET_DUMP"):  # look at them: NPP_PACKET_DUMP=/tmp
            for kind in ("application", "customs"):
                (Path(folder) / f"{kind}.pdf").write_bytes(getattr(packets, kind).pdf)
        transaction.set_rollback(True)
    return packets


def _own_pages(packet: Built) -> int:
    """Pages without an enclosure label in their top margin."""
    return sum(1 for text in packet.texts if not re.search(r"^Enclosure \d+: ", text, re.MULTILINE))


def _where(packet: Built, text: str) -> list[int]:
    return [number for number, page in enumerate(packet.texts, start=1) if text in page]


# --- The stored document ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["application", "customs"])
def test_packet_is_stored_as_an_accepted_version_with_its_own_hash(built, kind):
    packet = getattr(built, kind)
    assert packet.document["code"] == f"{kind}_packet"
    assert packet.document["version"] == 1
    assert packet.document["review_status"] == ReviewStatus.ACCEPTED
    assert packet.document["sha256"] == hashlib.sha256(packet.pdf).hexdigest()
    assert packet.document["page_count"] == len(packet.texts)
    assert packet.document["filename"] == f"{packet.reference}-{kind}-packet.pdf"


# --- Form 12A, summary, letter ----------------------------------------------------------------


def test_form_12a_carries_the_cases_values(built):
    form = flat(next(text for text in built.application.texts if "FORM 12A" in text))
    for expected in [
        "Rohit Sharma",
        "Father of the patient, Aarav Sharma",  # applicant, on whose behalf
        "Mysuru, Karnataka",  # residence
        "Occupation of the applicant",
        "Country from which the drug is imported",
        "Zolgensma (onasemnogene abeparvovec)",
        "Novartis Gene Therapies",
        "6 vials (1 x 5.5 mL and 5 x 8.3 mL)",
        "47.0 mL filled volume",
        "8.1-8.5 kg",
        "A prescription from a registered medical practitioner is attached",
        "KMC-104233",
        "Dr Arjun Rao",
        "Signature of the applicant",
    ]:
        assert expected in form, expected


def test_summary_gives_the_dose_plan_for_the_weight(built):
    summary = flat(next(text for text in built.application.texts if "Case summary" in text))
    assert "8.40 kg, measured" in summary  # weights are kept to 0.01 kg
    assert "8.1-8.5 kg" in summary
    assert "46.8 mL" in summary  # 5.5 mL/kg x 8.5 kg, the band's upper limit
    assert "6 vials: 1 x 5.5 mL and 5 x 8.3 mL (47.0 mL filled)" in summary
    assert "SMN2 copy number 2" in summary


def test_summary_flags_liver_values_above_twice_the_uln_and_shows_the_titre(built):
    summary = flat(
        " ".join(
            t for t in built.application.texts if "Baseline tests" in t or "Test Value" in flat(t)
        )
    )
    assert re.search(r"ALT 95(\.0)? U/L .*FLAG: above 2 x ULN \(80(\.0)? U/L\)", summary)
    assert re.search(r"AST 41(\.0)? U/L .*within 2 x ULN", summary)
    assert "Anti-AAV9 antibody titre 1:25" in summary
    assert "at or below 1:50" in summary
    sample_day = (timezone.localdate() - dt.timedelta(days=3)).strftime("%d %b %Y")
    assert sample_day in summary


def test_cover_letter_is_addressed_to_the_hospitals_port_office(built):
    letter = flat(built.application.texts[0])
    assert "CDSCO Port Office, Bengaluru Airport" in letter
    assert "Demo Named-Patient Imports Pvt Ltd" in letter
    assert "Licence no. DEMO-LICENCE-0000" in letter
    assert built.application.reference in letter
    assert built.facilitator_name in letter
    assert "Genetic report v1 (pages" in letter


def test_customs_letter_claims_the_rare_disease_exemption_with_shipment_facts(built):
    at = next(i for i, text in enumerate(built.customs.texts) if "Shipment facts" in text)
    letter, facts = flat(" ".join(built.customs.texts[:at])), flat(built.customs.texts[at])
    assert "Bengaluru Airport" in letter
    assert "exempts from basic customs duty" in letter
    assert "National Policy for Rare Diseases 2021" in letter
    assert "176-12345675" in letter
    for expected in [
        "176-12345675",
        "World Courier",
        "Frozen at or below -60 °C",
        "12B/BLR/2026/1001",
        "Kaveri Children's Hospital",
        "6 vials",
    ]:
        assert expected in facts, expected
    assert "ALT" not in " ".join(built.customs.texts)  # no clinical values in a shipment document


# --- Structure --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["application", "customs"])
def test_page_count_is_own_pages_plus_every_enclosures_pages(built, kind):
    packet = getattr(built, kind)
    own = _own_pages(packet)
    assert own >= (4 if kind == "application" else 3)  # letter, (form, summary,) facts, index
    assert len(packet.texts) == own + sum(e["pages"] for e in packet.enclosures)


@pytest.mark.parametrize("kind", ["application", "customs"])
def test_index_page_ranges_match_where_each_enclosure_appears(built, kind):
    packet = getattr(built, kind)
    index = next(text for text in packet.texts if "Index of enclosed documents" in text)
    ranges = index_ranges(index, {e["code"]: e["sha"] for e in packet.enclosures})
    expected_first = _own_pages(packet) + 1
    for enclosure in packet.enclosures:
        code = enclosure["code"]
        first, last = ranges[code]
        assert first == expected_first, code
        assert last - first + 1 == enclosure["pages"], code
        for page in range(1, enclosure["pages"] + 1):
            # An image's text is pixels; its page is found by the label above it instead.
            text = f"SHA-256 {enclosure['sha']}" if enclosure["is_image"] else marker(code, page)
            assert _where(packet, text) == [first + page - 1], (code, page)
        expected_first = last + 1
    assert expected_first - 1 == len(packet.texts)


def test_images_appear_as_pages_of_their_own(built):
    packet = built.application
    image = next(e for e in packet.enclosures if e["is_image"])
    index = next(text for text in packet.texts if "Index of enclosed documents" in text)
    first, last = index_ranges(index, {"image": image["sha"]})["image"]
    assert first == last
    page = PdfReader(io.BytesIO(packet.pdf)).pages[first - 1]
    xobjects = page["/Resources"]["/XObject"]
    assert any(xobject.get_object()["/Subtype"] == "/Image" for xobject in xobjects.values())
    assert "Enclosure" in packet.texts[first - 1]
    assert "Patient ID v1" in packet.texts[first - 1]


@pytest.mark.parametrize("kind", ["application", "customs"])
def test_every_page_has_the_footer_with_page_n_of_m(built, kind):
    packet = getattr(built, kind)
    total = len(packet.texts)
    for number, text in enumerate(packet.texts, start=1):
        assert f"page {number} of {total}" in text, number
        assert packet.reference in text, number
        assert re.search(r"Generated \d\d \w{3} \d{4}, \d\d:\d\d IST", text), number
