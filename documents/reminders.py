"""The documents' reminder: ``documents_missing``. ``DocumentsConfig.ready()`` adds it to the
sweep in ``cases.reminders`` (first, where it ran before it moved here) and its text's context
to ``cases.reminders.texts``; the sweep keeps the promises: the notification kind, dedupe key
and email templates are the sweep's.

Every N days in ``documents`` while a document is missing, rejected or expired: the doctor. A
document waiting for the facilitator's review is not the doctor's to chase. The checklist of
``documents.selectors`` decides a line's status in Python for one case; ``to_act`` is the same
decision in SQL for all of them, and ``tests/documents/test_reminder_rule.py`` holds the two
together.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import DateField, Exists, F, OuterRef, Q
from django.db.models.functions import Cast, Coalesce

from cases.clock import today_ist
from cases.deadlines import DOCTOR
from cases.deadlines.sql import AddDays, PeriodStart, india_day_text
from cases.models import Case
from cases.reminders import ReminderRule, annotated, setting
from cases.states import MAIN_LINE, CaseState

from .models import Document, DocumentType, ReviewStatus
from .selectors import LineStatus, checklists_for_cases

TO_ACT = (LineStatus.MISSING, LineStatus.REJECTED, LineStatus.EXPIRED)
# The checklist of a case in documents: every type required up to the regulator's gate.
TARGET = CaseState.REGULATORY_REVIEW
UP_TO_TARGET = MAIN_LINE[: MAIN_LINE.index(TARGET) + 1]


def _in_order(today: dt.date) -> Exists:
    """The newest version of the outer type on the outer-outer case is pending review, or
    accepted and not expired before the gate (``selectors._line`` in SQL)."""
    newer = Document.objects.filter(
        case=OuterRef("case"),
        document_type=OuterRef("document_type"),
        version__gt=OuterRef("version"),
    )
    taken = Coalesce("sample_taken_on", Cast("uploaded_at", DateField()))
    expired = Q(
        document_type__validity_days__isnull=False,
        document_type__required_before=TARGET,
        expires_on__lt=today,
    )
    return Exists(
        Document.objects.filter(case=OuterRef(OuterRef("pk")), document_type=OuterRef("pk"))
        .exclude(Exists(newer))
        .alias(expires_on=AddDays(taken, "document_type__validity_days"))
        .filter(
            Q(review_status=ReviewStatus.PENDING)
            | (Q(review_status=ReviewStatus.ACCEPTED) & ~expired)
        )
    )


def to_act(today: dt.date) -> Exists:
    """A line of the outer case's checklist is missing, rejected or expired on ``today``."""
    lines = DocumentType.objects.filter(required_before__in=UP_TO_TARGET)
    return Exists(lines.exclude(_in_order(today)))


def _due(now: dt.datetime) -> list:
    every = dt.timedelta(days=setting("NPP_REMINDER_DOCUMENTS_EVERY_DAYS"))
    # Judged on the sweep's day, so `send_reminders --now` sees expiry as of that day.
    due = (
        Case.objects.filter(state=CaseState.DOCUMENTS, state_changed_at__lte=now - every)
        .filter(to_act(today_ist(now)))
        .alias(period=PeriodStart("state_changed_at", now, every))
    )
    return [
        annotated(due, kind="documents_missing", due_at=F("period"), day=india_day_text("period"))
    ]


documents_missing = ReminderRule("documents_missing", "", _due, roles=(DOCTOR,))


def lines_context(notifications: list) -> list[dict]:
    """The lines still to act on of each reminder's case, as the email lists them (judged
    when it goes out)."""
    cases = {n.case_id: n.case for n in notifications}
    checklists = checklists_for_cases(list(cases.values()), target=TARGET, today=today_ist())
    lines = {
        case.pk: [line for line in found if line.status in TO_ACT]
        for case, found in checklists.items()
    }
    return [{"lines": lines[n.case_id]} for n in notifications]
