"""Every link each demo role can reach answers without a 4xx or 5xx (issue 13).

The demo data is seeded once for the module, as ``make run`` leaves it (``seed_demo``, then
one reminder sweep, here without sending), plus one clinical access grant so the pages that
show a grant (and the hospital admin's clinical documents) are crawled too. For each demo
login the crawl starts from the role's landing pages and follows every same-origin
``<a href>`` breadth-first with Django's test client: no browser is needed, the links are in
the HTML the server sends. Redirects are followed like links. Documents (PDF, PNG) are fetched
and must answer 200 like pages; HTML pages are read for more links.

Left out, each for its reason:
- ``/accounts/logout/`` (``SKIPPED_PATHS``): it would end the session the crawl runs in.
- Query strings beyond a cap: a changelist's filters link to every combination of
  themselves. Each path is fetched with at most ``QUERY_VARIANTS_PER_PATH`` query strings
  (the first found, breadth-first: pagination and each single filter of the list come
  first), and at most ``MAX_QUERY_URLS_PER_ROLE`` query-string URLs per role; what the caps
  leave out is counted. The admin's ``_changelist_filters`` is dropped from links (it only
  says where "Save" returns to; the page is the same).
Pages without a query string are all fetched, with no cap.

What answers 403 or 404 by design is listed with its reason (``designed``). The admin's
delete pages are not linked for a facilitator (records are kept: a case ends closed or
cancelled, document versions and the audit trail are never deleted); the crawl probes the
delete page of the first three change pages of each model it reaches and expects 403, except for a clinical access
grant, whose deletion is its revocation (a confirmation page, 200). History pages are linked
and readable by facilitators (200), so they are crawled like any page.
"""

from __future__ import annotations

import datetime as dt
import html
import importlib
import io
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin, urlsplit

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

pytestmark = pytest.mark.django_db

LANDING = {
    "facilitator": ["/admin/", "/dashboard/"],
    "doctor1": ["/portal/doctor/"],
    "doctor2": ["/portal/doctor/"],
    "hospital1": ["/portal/hospital/"],
    "hospital2": ["/portal/hospital/"],
}
QUERY_VARIANTS_PER_PATH = 12
MAX_QUERY_URLS_PER_ROLE = 400
SKIPPED_PATHS = {"/accounts/logout/": "ends the session the crawl runs in"}
ADMIN_CHANGE = re.compile(r"^/admin/(?P<model>\w+/\w+)/(?P<pk>\d+)/change/$")
# Admin models whose delete page a facilitator may open; every other one answers 403.
DELETABLE = {"documents/clinicalaccessgrant": "deleting a grant revokes it"}
DOWNLOAD = re.compile(r"^/documents/\d+/download/$")
DELETE_PROBES = 3  # per model: the permission is the model admin's, the same for every row
REDIRECTS = (301, 302, 303, 307, 308)
# The rows data migrations seed (as tests/conftest.py's _reference_data).
REFERENCE_DATA = [
    "cases.migrations.0002_seed_product_and_group",
    "documents.migrations.0002_seed_document_types",
    "documents.migrations.0006_review_before_gate",
]


# Our templates and Django's quote every attribute with double quotes; a regular expression
# reads two thousand admin pages several times faster than html.parser.
ANCHOR_HREF = re.compile(r'<a\s[^>]*?\bhref="([^"]*)"', re.IGNORECASE)


def canonical(url: str) -> str:
    parts = urlsplit(url)
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k != "_changelist_filters"
        ]
    )
    return parts.path + (f"?{query}" if query else "")


def same_origin_links(hrefs: list[str], base: str) -> list[str]:
    """Absolute paths (with their query, without the fragment) of the same-origin links."""
    found = []
    for href in hrefs:
        url = urldefrag(urljoin("http://testserver" + base, href.strip()))[0]
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc == "testserver":
            found.append(canonical(url))
    return found


def links_of(response, url: str) -> list[str]:
    if response.status_code in REDIRECTS:
        return same_origin_links([response["Location"]], url)
    if response.get("Content-Type", "").startswith("text/html"):
        hrefs = [html.unescape(href) for href in ANCHOR_HREF.findall(response.content.decode())]
        return same_origin_links(hrefs, url)
    return []


@dataclass
class Crawl:
    role: str
    statuses: dict[str, int] = field(default_factory=dict)
    linked_from: dict[str, str] = field(default_factory=dict)
    kinds: Counter = field(default_factory=Counter)
    skipped: dict[str, str] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)
    designed: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # url: expected, got

    def errors(self) -> list[str]:
        return [
            f"{status} {url} (linked from {self.linked_from.get(url, 'the start')})"
            for url, status in self.statuses.items()
            if status >= 400
        ]

    def designed_failures(self) -> list[str]:
        return [
            f"{got} {url}, expected {expected}: {reason}"
            for url, (expected, got, reason) in self.designed.items()
            if got != expected
        ]

    def summary(self) -> str:
        query = sum("?" in url for url in self.statuses)
        return (
            f"{self.role}: {len(self.statuses)} URLs ({len(self.statuses) - query} pages "
            f"without a query string, {query} with one), by type {dict(self.kinds)}; "
            f"{len(self.left_out)} query-string links left out by the caps; "
            f"{len(self.designed)} designed answers probed; skipped {sorted(self.skipped)}"
        )


def crawl(client: Client, role: str, starts: list[str], depth: int | None = None) -> Crawl:
    """Breadth-first from ``starts``; with ``depth``, no further than that many links away."""
    result = Crawl(role)
    queue: deque[str] = deque(starts)
    distance = dict.fromkeys(starts, 0)
    seen: set[str] = set(starts)
    variants: Counter = Counter()
    probed: Counter = Counter()
    while queue:
        url = queue.popleft()
        response = client.get(url)
        result.statuses[url] = response.status_code
        result.kinds[response.get("Content-Type", "").split(";")[0] or "none"] += 1
        match = ADMIN_CHANGE.match(url)
        if match and response.status_code == 200 and probed[match["model"]] < DELETE_PROBES:
            probed[match["model"]] += 1
            probe_delete_page(client, result, match)
        if depth is not None and distance[url] >= depth:
            continue
        for link in links_of(response, url):
            if link in seen:
                continue
            seen.add(link)
            path = urlsplit(link).path
            if path in SKIPPED_PATHS:
                result.skipped[link] = SKIPPED_PATHS[path]
                continue
            if "?" in link:
                if (
                    variants[path] >= QUERY_VARIANTS_PER_PATH
                    or variants.total() >= MAX_QUERY_URLS_PER_ROLE
                ):
                    result.left_out.append(link)
                    continue
                variants[path] += 1
            result.linked_from[link] = url
            distance[link] = distance[url] + 1
            queue.append(link)
    return result


def probe_delete_page(client: Client, result: Crawl, match: re.Match) -> None:
    url = f"/admin/{match['model']}/{match['pk']}/delete/"
    reason = DELETABLE.get(match["model"])
    expected = 200 if reason else 403
    reason = (
        reason or "records are kept; only a superuser deletes (cases.access.may_delete_records)"
    )
    result.designed[url] = (expected, client.get(url).status_code, reason)


@pytest.fixture(scope="module")
def demo_site(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo as ``make run`` leaves it, seeded once for the module in a transaction that
    is rolled back after it (each test runs in a savepoint inside it), as the reference data
    the other modules need must stay."""
    from cases.models import Case
    from cases.reminders import reminders_sweep
    from documents.services import case_grant_clinical_access

    store = tmp_path_factory.mktemp("crawl-private")
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(
            DEBUG=True,
            PRIVATE_STORAGE_ROOT=store,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        ):
            for module in REFERENCE_DATA:  # gone if a transactional test ran first
                importlib.import_module(module).seed(apps, None)
            call_command("seed_demo", stdout=io.StringIO())
            reminders_sweep(enqueue=False)
            case_grant_clinical_access(
                case=Case.objects.get(patient__full_name="Saanvi Joshi"),
                by=get_user_model().objects.get(username="facilitator"),
                reason="Pharmacy prepares the infusion; needs the latest labs.",
            )
        yield store
        transaction.set_rollback(True)


@pytest.mark.parametrize("role", list(LANDING))
def test_every_link_a_demo_role_reaches_answers_without_an_error(role, demo_site, settings):
    settings.PRIVATE_STORAGE_ROOT = demo_site
    client = Client()
    client.force_login(get_user_model().objects.get(username=role))

    result = crawl(client, role, LANDING[role])

    print(result.summary())
    assert not result.errors(), f"{role}, errors:\n" + "\n".join(result.errors())
    assert not result.designed_failures(), "\n".join(result.designed_failures())
    assert result.kinds["text/html"] > len(LANDING[role])
    if role == "facilitator":
        assert not admin_pages_not_reached(result, role)
    # Every document version the role may see was linked, fetched and answered 200.
    downloads = {url for url in result.statuses if DOWNLOAD.match(url)}
    assert downloads == {f"/documents/{pk}/download/" for pk in visible_documents(role)}


def admin_pages_not_reached(result: Crawl, username: str) -> list[str]:
    """Each model the admin index lists for the user: its list, and a row's page when it has
    rows. (A crawl that silently stopped short would otherwise pass.)"""
    from django.contrib import admin
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = get_user_model().objects.get(username=username)
    models = [entry for app in admin.site.get_app_list(request) for entry in app["models"]]
    assert len(models) >= 10, models  # the desk's models, not an empty index
    missing = []
    for entry in models:
        url = entry["admin_url"]
        if url not in result.statuses:
            missing.append(url)
        elif entry["model"]._default_manager.exists() and not any(
            re.match(re.escape(url) + r"\d+/change/$", crawled) for crawled in result.statuses
        ):
            missing.append(url + "<pk>/change/")
    return missing


def visible_documents(username: str) -> set[int]:
    from cases.selectors import cases_for
    from documents.selectors import documents_for

    user = get_user_model().objects.get(username=username)
    return {
        pk
        for case in cases_for(user)
        for pk in documents_for(user, case).values_list("pk", flat=True)
    }


def test_a_safety_follow_up_page_links_only_where_a_facilitator_may_go(demo_site, settings):
    """The demo has no protocol deviation; one is recorded here (rolled back after the test):
    the demo's scheduled infusion given with a weight in another band than the kit's."""
    from cases.models import Case, SafetyFollowUp
    from cases.services import case_apply
    from tests.factories import reweigh_on_infusion_day

    settings.PRIVATE_STORAGE_ROOT = demo_site
    facilitator = get_user_model().objects.get(username="facilitator")
    case = Case.objects.get(patient__full_name="Saanvi Joshi")
    infused_at = timezone.now() - dt.timedelta(hours=1)
    reweigh_on_infusion_day(case, infused_at, weight_kg=Decimal(case.kit_band_high_kg) + 1)
    case_apply(
        case=case,
        transition="record_infusion",
        by=facilitator,
        infused_at=infused_at,
        kit_lot_numbers="AVX009A",
        infusion_deviation_note="Weight gain; kit approved.",
    )
    follow_up = SafetyFollowUp.objects.get(case=case)
    client = Client()
    client.force_login(facilitator)

    result = crawl(client, "facilitator", ["/admin/cases/safetyfollowup/"], depth=2)

    assert f"/admin/cases/safetyfollowup/{follow_up.pk}/change/" in result.statuses
    assert not result.errors(), "\n".join(result.errors())
    assert not result.designed_failures(), "\n".join(result.designed_failures())
