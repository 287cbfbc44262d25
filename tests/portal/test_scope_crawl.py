"""The access rules' core test: crawl everything the portal shows one user, then ask for each
of those URLs as someone who may not see that case. Nothing outside scope comes back.

Two sides: hospital A (doctor1, hospital1) and hospital B (doctor2, hospital2). On each side a
new case (the doctor can start it), a case collecting documents (with a clinical document) and
a case in delivery (with shipment and clinical documents), every patient with a distinct name.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from urllib.parse import urldefrag

import pytest
from django.test import Client
from django.utils import timezone

from cases.models import Case
from documents.models import Document
from documents.services import document_upload
from tests.factories import CaseFactory, PatientFactory, walk_to

from .conftest import close_response, doc_type, parse, pdf_bytes

pytestmark = pytest.mark.django_db

PATIENTS = {
    "A": ("Aarav Kulkarni", "Meera Venkataraman", "Kabir Deshpande"),
    "B": ("Ishaan Bhattacharya", "Zoya Siddiqui", "Anaya Chatterjee"),
}
# An object URL names a case or a document by id; everything else is the user's own view.
OBJECT_URL = re.compile(r"/\d+/")


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
        collecting = CaseFactory(
            doctor=doctor.doctor,
            facilitator=facilitator,
            patient=PatientFactory(full_name=collecting_name),
        )
        collecting = walk_to(collecting, "documents", facilitator)
        document_upload(
            case=collecting,
            document_type=doc_type("liver_function"),
            data=pdf,
            filename="lft.pdf",
            by=doctor,
            sample_taken_on=timezone.localdate() - dt.timedelta(days=2),
            alt=Decimal("31.5"),
            # A value no timestamp can contain (".../31.532184" did): three digits, then ".".
            platelets=Decimal("312.5"),
        )
        delivering = CaseFactory(
            doctor=doctor.doctor,
            facilitator=facilitator,
            patient=PatientFactory(full_name=delivering_name),
        )
        delivering = walk_to(delivering, "delivery", facilitator)
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
    return {"A": (doctor1, hospital1), "B": (doctor2, hospital2)}


def _client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _body(response) -> str:
    if response.streaming:
        content = b"".join(response.streaming_content)
        close_response(response)
        return content.decode("latin-1")
    return response.content.decode()


def crawl(client: Client) -> tuple[set[str], set[str]]:
    """Every URL linked from the portal home onwards (GET), and every form action (POST)."""
    queue, seen, actions = ["/portal/"], set(), set()
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        if response.streaming:  # a download
            _body(response)
            continue
        page = parse(response)
        for href in page.hrefs:
            link = urldefrag(href)[0]
            if link.startswith("/") and not link.startswith("/static/"):
                queue.append(link)
        actions |= {f["action"] for f in page.forms if f["method"] == "post"}
    actions.discard("/accounts/logout/")  # would only sign the intruder out
    actions.discard("/family/language/")  # on every page: sets only the poster's own language
    return seen, actions


def _assert_nothing_leaks(response, url: str, names: tuple[str, ...], anonymous: bool) -> None:
    body = _body(response)
    for name in names:
        assert name not in body, f"{name} leaked at {url}"
    if not OBJECT_URL.search(url):
        return
    if anonymous:
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url
    else:
        assert response.status_code in (403, 404), f"{url} answered {response.status_code}"


@pytest.mark.parametrize("side", ["A", "B"])
@pytest.mark.parametrize("role", [0, 1], ids=["doctor", "hospital_admin"])
def test_nothing_the_portal_shows_one_user_reaches_anyone_outside_scope(
    sides, outsider, side, role
):
    owner = sides[side][role]
    other_side = "B" if side == "A" else "A"
    names = PATIENTS[side]
    urls, actions = crawl(_client(owner))

    # The crawl saw real things: case pages and downloads, and both patients (or, for the
    # hospital admin, both shipment cases).
    assert any("/cases/" in u for u in urls)
    assert any(u.startswith("/documents/") for u in urls)
    assert any("/upload/" in a for a in actions)
    assert any("/actions/" in a or "/confirm-delivery/" in a for a in actions)

    intruders = [*sides[other_side], outsider, None]  # same role, other role, no role, anonymous
    documents_before = Document.objects.count()
    states_before = dict(Case.objects.values_list("pk", "state"))
    for intruder in intruders:
        client = _client(intruder)
        for url in sorted(urls):
            response = client.get(url, follow=not OBJECT_URL.search(url))
            _assert_nothing_leaks(response, url, names, anonymous=intruder is None)
        for url in sorted(actions):
            response = client.post(url, {})
            _assert_nothing_leaks(response, url, names, anonymous=intruder is None)
    assert Document.objects.count() == documents_before
    assert dict(Case.objects.values_list("pk", "state")) == states_before


@pytest.mark.parametrize("side", ["A", "B"])
def test_doctors_and_hospital_admins_cannot_open_each_others_pages(sides, side):
    doctor, admin = sides[side]
    for owner, intruder in ((doctor, admin), (admin, doctor)):
        urls, actions = crawl(_client(owner))
        client = _client(intruder)
        for url in sorted(u for u in urls if u.startswith("/portal/") and OBJECT_URL.search(u)):
            assert client.get(url).status_code == 403, url
        for url in sorted(actions):
            assert client.post(url, {}).status_code == 403, url


SECRETS = ("lft.pdf", "genetics.pdf", "Liver function", "Genetic report", "312.5")


def test_hospital_admin_crawl_never_meets_clinical_documents(sides):
    doctor, admin = sides["A"]
    seen_by_doctor = " ".join(
        _body(_client(doctor).get(url, follow=True)) for url in sorted(crawl(_client(doctor))[0])
    )
    assert all(secret in seen_by_doctor for secret in SECRETS)  # each is there to be hidden
    urls, _ = crawl(_client(admin))
    client = _client(admin)
    for url in sorted(urls):
        body = _body(client.get(url, follow=True))
        for secret in SECRETS:
            assert secret not in body, f"{secret} shown at {url}"
