"""The access rules' core test for the API, as for the portals (tests/portal/test_scope_crawl.py):
crawl every link the API gives the facilitator, then ask for each as every demo persona. Each
answer is what ``cases.access`` decides: 200 in scope, 404 outside it, 403 for an action in
scope that is not theirs; nothing outside a user's scope appears in any answer, and hospital
admins never meet clinical data.

Two sides: hospital A (doctor1, hospital1) and hospital B (doctor2, hospital2). On each side a
new case, a case collecting documents (with a lab report) and a case in delivery (with a
shipment document and a clinical one), every patient with a distinct name, and reminders.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases import access
from cases.models import Case, Channel, Notification
from documents.models import Document, DocumentType
from documents.services import case_grant_clinical_access, document_upload
from tests.factories import CaseFactory, PatientFactory, walk_to
from tests.portal.conftest import doc_type, pdf_bytes

from .conftest import streamed, token_client

pytestmark = pytest.mark.django_db

PATIENTS = {
    "A": ("Aarav Kulkarni", "Meera Venkataraman", "Kabir Deshpande"),
    "B": ("Ishaan Bhattacharya", "Zoya Siddiqui", "Anaya Chatterjee"),
}
PERSONAS = ["facilitator", "doctor1", "doctor2", "hospital1", "hospital2", "outsider"]
CLINICAL = ("lft.pdf", "genetics.pdf", "Liver function", "Genetic report", "312.5")
HOST = "http://testserver"
CASE_URL = re.compile(r"^/api/v1/cases/(NPP-\d{4}-\d{4})/")
DOCUMENT_URL = re.compile(r"^/api/v1/documents/(\d+)/")


@pytest.fixture
def sides(facilitator, doctor1, doctor2, hospital1, hospital2):
    pdf = pdf_bytes()
    for side, doctor, admin in (("A", doctor1, hospital1), ("B", doctor2, hospital2)):
        collecting_name, delivering_name, new_name = PATIENTS[side]
        CaseFactory(
            doctor=doctor.doctor,
            facilitator=facilitator,
            patient=PatientFactory(full_name=new_name),
        )
        collecting = walk_to(
            CaseFactory(
                doctor=doctor.doctor,
                facilitator=facilitator,
                patient=PatientFactory(full_name=collecting_name),
            ),
            "documents",
            facilitator,
        )
        document_upload(
            case=collecting,
            document_type=doc_type("liver_function"),
            data=pdf,
            filename="lft.pdf",
            by=doctor,
            alt=Decimal("31.5"),
            # A value no timestamp can contain (".../31.532184" did): three digits, then ".".
            platelets=Decimal("312.5"),
            sample_taken_on=timezone.localdate() - dt.timedelta(days=2),
        )
        delivering = walk_to(
            CaseFactory(
                doctor=doctor.doctor,
                facilitator=facilitator,
                patient=PatientFactory(full_name=delivering_name),
            ),
            "delivery",
            facilitator,
        )
        document_upload(
            case=delivering,
            document_type=doc_type("delivery_receipt"),
            data=pdf,
            filename="receipt.pdf",
            by=admin,
        )
        document_upload(
            case=delivering,
            document_type=doc_type("genetic_report"),
            data=pdf,
            filename="genetics.pdf",
            by=doctor,
        )
        for user in (doctor, admin):
            Notification.objects.create(
                case=delivering,
                recipient=user,
                kind="cold_chain",
                channel=Channel.IN_APP,
                due_at=timezone.now(),
                subject=f"{delivering.reference}: use the kit soon",
                body=f"{delivering_name}'s kit must be infused soon.",
                dedupe_key=f"test:{user.pk}",
                sent_at=timezone.now(),
            )
    return {"A": (doctor1, hospital1), "B": (doctor2, hospital2)}


def _links(value) -> list[str]:
    """Every API URL in a JSON answer, as a path (with its query)."""
    if isinstance(value, dict):
        return [link for item in value.values() for link in _links(item)]
    if isinstance(value, list):
        return [link for item in value for link in _links(item)]
    if isinstance(value, str) and value.startswith(f"{HOST}/api/v1/"):
        return [value.removeprefix(HOST)]
    return []


def _body(response) -> str:
    if response.streaming:
        return streamed(response).decode("latin-1")
    return response.content.decode()


def crawl(client, start=("/api/v1/cases/",)) -> tuple[dict[str, str], set[str], set[str]]:
    """GET every API link reachable from ``start``: {url: body}, the transition URLs and the
    upload URLs (documents lists) met on the way, to POST to."""
    queue, seen, transitions, uploads = list(start), {}, set(), set()
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        seen[url] = _body(response)
        if response.streaming:
            continue
        if url.endswith("/documents/"):
            uploads.add(url)
        for link in _links(response.json()):
            if "/transitions/" in link:
                transitions.add(link)
            else:
                queue.append(link)
    return seen, transitions, uploads


def _in_scope(user, url: str) -> bool:
    if match := CASE_URL.match(url):
        return access.may_see_case(user, Case.objects.get(reference=match[1]))
    if match := DOCUMENT_URL.match(url):
        document = Document.objects.select_related("case", "document_type").get(pk=match[1])
        return access.may_see_document(user, document.case, document.document_type)
    return True  # a list: the user's own


def _hidden_names(user) -> list[str]:
    visible = set(access.cases_visible_to(user).values_list("pk", flat=True))
    return [
        case.patient.full_name
        for case in Case.objects.select_related("patient")
        if case.pk not in visible
    ]


def test_the_crawl_reaches_every_kind_of_endpoint(sides, facilitator):
    urls, transitions, uploads = crawl(token_client(facilitator))

    kinds = {re.sub(r"NPP-\d{4}-\d{4}|(?<=/)\d+(?=/)", "X", url.split("?")[0]) for url in urls}
    assert kinds >= {
        "/api/v1/cases/",
        "/api/v1/cases/X/",
        "/api/v1/cases/X/blockers/",
        "/api/v1/cases/X/timeline/",
        "/api/v1/cases/X/deadlines/",
        "/api/v1/cases/X/documents/",
        "/api/v1/cases/X/lab-values/",
        "/api/v1/documents/X/",
        "/api/v1/documents/X/download/",
    }
    assert len([u for u in urls if CASE_URL.match(u) and u.count("/") == 5]) == 6  # every case
    assert len(transitions) >= 6
    assert len(uploads) == 6
    everything = " ".join(urls.values())
    assert all(secret in everything for secret in CLINICAL)  # each is there to be hidden


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_endpoint_answers_each_persona_exactly_as_access_decides(
    sides, facilitator, request, persona
):
    user = request.getfixturevalue(persona)
    urls, transitions, uploads = crawl(token_client(facilitator))
    client = token_client(user)
    check_reads(client, user, persona, urls)
    check_actions(client, user, persona, transitions | uploads)


def check_reads(client, user, persona: str, urls) -> None:
    """Each GET: 200 in scope, 404 outside; no hidden patient's name anywhere; a list lists
    exactly the user's cases."""
    hidden_names = _hidden_names(user)
    visible = set(access.cases_visible_to(user).values_list("reference", flat=True))
    for url in sorted(urls):
        response = client.get(url)
        expected = 200 if _in_scope(user, url) else 404
        if expected == 200 and url.endswith("/lab-values/"):  # the clinical side, if shared
            case = Case.objects.get(reference=CASE_URL.match(url)[1])
            expected = 200 if access.sees_clinical(user, case) else 403
        assert response.status_code == expected, f"{persona} {url}"
        body = _body(response)
        for name in hidden_names:
            assert name not in body, f"{name} leaked to {persona} at {url}"
        if url.split("?")[0] == "/api/v1/cases/":
            assert {row["reference"] for row in json.loads(body)["results"]} == visible


def check_actions(client, user, persona: str, actions) -> None:
    """Each POST the facilitator may make: 404 outside the user's scope, 403 in scope when not
    theirs; nothing changes."""
    documents_before = Document.objects.count()
    states_before = dict(Case.objects.values_list("pk", "state"))
    facilitator_only = DocumentType.objects.get(code="form_12a")
    for url in sorted(actions):
        case = Case.objects.get(reference=CASE_URL.match(url)[1])
        is_transition = "/transitions/" in url
        if not access.may_see_case(user, case):
            expected = 404
        elif not (
            access.may_run(user, case, url.rstrip("/").rsplit("/", 1)[1])
            if is_transition
            else access.may_upload(user, case, facilitator_only)
        ):
            expected = 403
        else:
            continue  # theirs to run: tests/api/test_transitions.py and test_documents.py
        if is_transition:
            response = client.post(url, {})
        else:
            response = client.post(
                url,
                {
                    "document_type": facilitator_only.code,
                    "file": SimpleUploadedFile("f.pdf", pdf_bytes()),
                },
                format="multipart",
            )
        assert response.status_code == expected, f"{persona} {url}"
    assert Document.objects.count() == documents_before
    assert dict(Case.objects.values_list("pk", "state")) == states_before


@pytest.mark.parametrize("persona", PERSONAS)
def test_reminders_are_each_users_own(sides, request, persona):
    user = request.getfixturevalue(persona)

    response = token_client(user).get("/api/v1/notifications/")

    if not access.may_read_portal_reminders(user):
        assert response.status_code == 403
        return
    (reminder,) = response.json()["results"]
    assert reminder["case"] in set(
        access.cases_visible_to(user).values_list("reference", flat=True)
    )
    for name in _hidden_names(user):
        assert name not in response.content.decode()


def test_anonymous_requests_reach_nothing(sides, facilitator):
    from rest_framework.test import APIClient

    urls, transitions, _ = crawl(token_client(facilitator))
    client = APIClient()

    for url in sorted({*urls, *transitions, "/api/v1/notifications/"}):
        response = client.get(url) if url not in transitions else client.post(url, {})
        assert response.status_code == 401, url
        assert "NPP-" not in response.content.decode()


@pytest.mark.parametrize("admin", ["hospital1", "hospital2"])
def test_hospital_admins_never_meet_clinical_data(sides, request, admin):
    user = request.getfixturevalue(admin)
    urls, _, _ = crawl(token_client(user), start=("/api/v1/cases/", "/api/v1/notifications/"))

    assert any("/download/" in url for url in urls)  # they do see shipment documents
    for url, body in urls.items():
        for secret in CLINICAL:
            assert secret not in body, f"{secret} shown to {admin} at {url}"
        if CASE_URL.match(url) and url.count("/") == 5:
            assert json.loads(body)["clinical"] is None, url


def test_a_clinical_grant_opens_that_case_only(sides, facilitator, hospital1):
    granted, other = (
        Case.objects.filter(hospital=hospital1.hospital_admin.hospital, documents__isnull=False)
        .distinct()
        .order_by("pk")
    )
    case_grant_clinical_access(case=granted, by=facilitator, reason="Infusion team.")
    client = token_client(hospital1)

    urls, _, _ = crawl(client)

    assert json.loads(urls[f"/api/v1/cases/{granted.reference}/"])["clinical"] is not None
    assert json.loads(urls[f"/api/v1/cases/{other.reference}/"])["clinical"] is None
    granted_docs = urls[f"/api/v1/cases/{granted.reference}/documents/"]
    other_docs = urls[f"/api/v1/cases/{other.reference}/documents/"]
    assert "Liver function" in granted_docs or "Genetic report" in granted_docs
    assert "Liver function" not in other_docs
    assert "Genetic report" not in other_docs
