"""documents_missing lives in documents and joins the sweep through cases.reminders' registry."""

from __future__ import annotations

import pytest
from django.apps import apps

from cases import reminders
from documents.reminders import documents_missing


def test_documents_missing_is_registered_once_and_runs_first_as_before_it_moved():
    apps.get_app_config("documents").ready()  # a second ready() adds nothing

    assert reminders.RULES[0] is documents_missing
    assert reminders.RULES.count(documents_missing) == 1


def test_a_registered_rule_runs_last_unless_asked_first_and_only_once():
    def extra_rule(now):
        return []

    try:
        reminders.register_rule(extra_rule)
        reminders.register_rule(extra_rule, first=True)
        assert reminders.RULES[-1] is extra_rule
        assert reminders.RULES.count(extra_rule) == 1
    finally:
        reminders.RULES.remove(extra_rule)


@pytest.mark.django_db
def test_the_sql_and_the_checklist_agree_on_which_cases_have_something_to_act_on(
    facilitator, doctor1
):
    """``documents.reminders.to_act`` (SQL, for the sweep) against the checklist (Python, the
    case page): every line ok or pending review, one missing, one rejected, one expired."""
    import datetime as dt

    from django.utils import timezone

    from cases.models import Case
    from documents.models import DocumentType, ReviewStatus
    from documents.reminders import TARGET, TO_ACT, to_act
    from documents.selectors import checklists_for_cases
    from documents.services import document_review
    from tests.factories import CaseFactory, upload_document, walk_to

    def in_documents():
        return walk_to(
            CaseFactory(doctor=doctor1.doctor, facilitator=facilitator), "documents", facilitator
        )

    def complete(case, skip=()):
        for doc_type in DocumentType.objects.filter(required_before=TARGET):
            if doc_type.code not in skip:
                upload_document(case, doc_type.code, facilitator)

    all_ok, missing, rejected, expired, pending = (in_documents() for _ in range(5))
    complete(all_ok)
    complete(missing, skip={"cbc"})
    complete(rejected)
    document_review(
        document=upload_document(rejected, "prescription", facilitator, accept=False),
        by=facilitator,
        status=ReviewStatus.REJECTED,
        note="Unsigned",
    )
    complete(expired, skip={"troponin"})
    upload_document(expired, "troponin", facilitator, sample_days_ago=31)
    complete(pending)
    upload_document(pending, "liver_function", doctor1, accept=False)  # v2 waits for review
    today = timezone.localdate()

    for day in (today, today + dt.timedelta(days=40)):  # in 40 days every result has expired
        by_sql = set(Case.objects.filter(to_act(day)).values_list("pk", flat=True))
        by_checklist = {
            case.pk
            for case, lines in checklists_for_cases(
                list(Case.objects.all()), target=TARGET, today=day
            ).items()
            if any(line.status in TO_ACT for line in lines)
        }
        assert by_sql == by_checklist
    assert {c.pk for c in (missing, rejected, expired)} == set(
        Case.objects.filter(to_act(today)).values_list("pk", flat=True)
    )
