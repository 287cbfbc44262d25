"""The portal case pages make the same few queries however many documents, versions and lab
results a case has: the page reads them once (``portals.common.load_case_page``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.services import case_record_lab_result
from documents.models import ReviewStatus
from documents.services import document_review
from tests.factories import upload_document, walk_to

pytestmark = pytest.mark.django_db

# Of these, 6 are the session, the user, their role and the session's save; 1 is the
# adverse events behind the clinical app's forwarding clock (ae_forward), once infused; 1 is
# the hospital page's cold-chain panel (its logger records, however many: coldchain).
MAX_QUERIES = 17


def page_queries(client, user, url: str) -> int:
    client.force_login(user)
    client.get(url)  # warm: content types and the like are cached after the first request
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def more_of_everything(case, doctor, facilitator):
    """New versions of every lab report (one rejected) and a dozen results."""
    for code in ("liver_function", "cbc", "creatinine", "troponin", "anti_aav9_titer"):
        upload_document(case, code, doctor)
        upload_document(case, code, doctor, accept=False)
    rejected = upload_document(case, "prescription", doctor, accept=False)
    document_review(document=rejected, by=facilitator, status=ReviewStatus.REJECTED, note="No")
    for days in range(12):
        case_record_lab_result(
            case=case,
            by=doctor,
            test="liver",
            taken_on=timezone.localdate() - dt.timedelta(days=days % 2),
        )


@pytest.mark.parametrize("state", ["documents", "infusion_scheduled", "monitoring"])
def test_the_doctor_and_hospital_case_pages_do_not_grow_with_documents_or_results(
    client, case_a, facilitator, doctor1, hospital1, state
):
    case = walk_to(case_a, state, facilitator)
    pages = [
        (doctor1, reverse("portal:doctor_case", args=[case.pk])),
        (hospital1, reverse("portal:hospital_case", args=[case.pk])),
    ]
    before = [page_queries(client, user, url) for user, url in pages]

    more_of_everything(case, doctor1, facilitator)
    after = [page_queries(client, user, url) for user, url in pages]

    assert after == before
    assert max(after) <= MAX_QUERIES


def test_a_blank_line_form_renders_as_it_would_fresh(client, case_a, facilitator, doctor1):
    from django.template.loader import render_to_string

    from portals.common import _blank_form_fields, checklist_with_forms
    from portals.forms import PortalUploadForm, uploadable_types

    case = walk_to(case_a, "documents", facilitator)
    items, _ = checklist_with_forms(doctor1, case, None)
    for item in (i for i in items if i["form"] is not None):
        fresh = PortalUploadForm(document_types=uploadable_types(doctor1, case)).place(
            item["line"].document_type
        )
        expected = render_to_string(
            "portals/includes/form_fields.html", {"form": fresh, "fields": fresh.shown_fields()}
        )
        assert item["form_html"] == expected == _blank_form_fields(fresh)
