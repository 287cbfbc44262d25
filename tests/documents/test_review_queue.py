"""The facilitators' review queue in the admin's Documents list: pending first, oldest first,
and bulk actions that report what they did."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from documents.models import Document, ReviewStatus
from tests.factories import upload_document, walk_to

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:documents_document_changelist")


@pytest.fixture
def pending(case_a, facilitator):
    case = walk_to(case_a, "documents", facilitator)
    docs = [
        upload_document(case, code, facilitator, accept=False)
        for code in ("medical_report", "genetic_report", "prescription")
    ]
    # Uploaded a day apart: the medical report three days ago, the prescription one day ago.
    for days, doc in zip((3, 2, 1), docs, strict=True):
        Document.objects.filter(pk=doc.pk).update(
            uploaded_at=doc.uploaded_at - dt.timedelta(days=days)
        )
    upload_document(case, "patient_id", facilitator)  # accepted: not in the queue
    return docs


def test_bulk_accept_from_the_pending_filter_reports_how_many_it_accepted(
    client, facilitator, pending
):
    client.force_login(facilitator)

    response = client.post(
        f"{CHANGELIST}?review_status__exact=pending",
        {"action": "accept_selected", "_selected_action": [d.pk for d in pending]},
        follow=True,
    )

    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Accepted 3 document(s)."]
    assert set(
        Document.objects.filter(pk__in=[d.pk for d in pending]).values_list(
            "review_status", flat=True
        )
    ) == {ReviewStatus.ACCEPTED}


def test_bulk_reject_reports_its_count_too(client, facilitator, pending):
    client.force_login(facilitator)

    response = client.post(
        f"{CHANGELIST}?review_status__exact=pending",
        {"action": "reject_selected", "_selected_action": [pending[0].pk]},
        follow=True,
    )

    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Rejected 1 document(s)."]


def test_the_list_puts_the_review_queue_first_oldest_first(client, facilitator, pending):
    client.force_login(facilitator)

    rows = list(client.get(CHANGELIST).context["cl"].result_list)

    assert [d.pk for d in rows[:3]] == [d.pk for d in pending]  # the oldest upload first
    assert all(d.review_status != ReviewStatus.PENDING for d in rows[3:])
