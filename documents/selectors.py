"""Reads on documents: the checklist of a case, and documents scoped by who is asking."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from cases import access
from cases.models import Case, today_ist
from cases.states import MAIN_LINE, CaseState

from .models import Document, DocumentType, ReviewStatus


class LineStatus:
    MISSING = "missing"
    PENDING = "pending review"
    REJECTED = "rejected"
    EXPIRED = "expired"
    OK = "ok"


@dataclass(frozen=True)
class ChecklistLine:
    document_type: DocumentType
    status: str
    document: Document | None  # the newest version, if any
    expires_on: dt.date | None = None

    @property
    def ok(self) -> bool:
        return self.status == LineStatus.OK

    @property
    def passes_gate(self) -> bool:
        """Whether the line lets the case through its gate: ok, or uploaded and waiting for a
        review that does not hold the case (``DocumentType.review_before_gate``)."""
        return self.ok or (
            self.status == LineStatus.PENDING and not self.document_type.review_before_gate
        )

    def describe(self) -> str:
        name = self.document_type.name
        if self.status == LineStatus.MISSING:
            return f"{name}: missing."
        assert self.document is not None  # only a missing line has none (``_line``)
        if self.status == LineStatus.PENDING:
            return f"{name}: uploaded (v{self.document.version}) but not yet reviewed."
        if self.status == LineStatus.REJECTED:
            note = f" ({self.document.review_note})" if self.document.review_note else ""
            return f"{name}: v{self.document.version} was rejected{note}."
        if self.status == LineStatus.EXPIRED:
            return f"{name}: the result expired on {self.expires_on:%d %b %Y}; upload a newer one."
        return f"{name}: ok."


_ORDER: dict[str, int] = {state: index for index, state in enumerate(MAIN_LINE)}


CLINICAL_REASONS_HIDDEN = (
    "Some clinical requirements (clinical documents or the eligibility check) are not met "
    "yet; the facilitator and the treating doctor can see which."
)
CLINICAL_REASONS_HIDDEN_CODE = "clinical_reasons_hidden"


def readable_reasons(
    user: Any, case: Case, messages: list[str], codes: list[str] | None = None
) -> tuple[list[str], list[str]]:
    """The refusal reasons (and their rule codes) ``user`` may read on ``case``.

    Rules name clinical documents and quote lab values ("Eligibility: ... ALT 95 is above
    2 x ULN"). For a user who does not see the case's clinical side (a hospital admin without
    a grant) those reasons, and their codes, give way to one sentence. The portals and the API
    both ask here."""
    codes = list(codes) if codes is not None else [""] * len(messages)
    only = visible_types_q(user, case)
    if not only:
        return list(messages), codes
    hidden = DocumentType.objects.exclude(
        **{key.removeprefix("document_type__"): value for key, value in only.items()}
    )
    prefixes = ("Eligibility:", *(f"{doc_type.name}:" for doc_type in hidden))
    kept = [(m, c) for m, c in zip(messages, codes, strict=True) if not m.startswith(prefixes)]
    if len(kept) < len(messages):
        kept.append((CLINICAL_REASONS_HIDDEN, CLINICAL_REASONS_HIDDEN_CODE))
    return [m for m, _ in kept], [c for _, c in kept]


def next_state(case: Case) -> str | None:
    """The main-line state the case is heading for (None when it has nowhere to go)."""
    state = case.state
    if state == CaseState.ON_HOLD:
        state = case.hold_from_state
    if state == CaseState.REJECTED:
        return CaseState.REGULATORY_REVIEW
    if state not in _ORDER or state == CaseState.CLOSED:
        return None
    return MAIN_LINE[_ORDER[state] + 1]


def _line(
    case: Case, doc_type: DocumentType, newest: Document | None, gate_ahead: bool, today: dt.date
) -> ChecklistLine:
    # The newest version decides: a doctor uploads again because something changed.
    if newest is None:
        return ChecklistLine(doc_type, LineStatus.MISSING, None)
    if newest.review_status == ReviewStatus.PENDING:
        return ChecklistLine(doc_type, LineStatus.PENDING, newest)
    if newest.review_status == ReviewStatus.REJECTED:
        return ChecklistLine(doc_type, LineStatus.REJECTED, newest)
    expires_on = None
    if doc_type.validity_days is not None:
        taken = newest.sample_taken_on or newest.uploaded_at.date()
        expires_on = taken + dt.timedelta(days=doc_type.validity_days)
        # Validity is judged at the gate the document is needed for; once the case has
        # passed that gate, an old result no longer blocks anything here.
        if gate_ahead and expires_on < today:
            return ChecklistLine(doc_type, LineStatus.EXPIRED, newest, expires_on)
    return ChecklistLine(doc_type, LineStatus.OK, newest, expires_on)


def _gated_types() -> list[DocumentType]:
    return list(DocumentType.objects.exclude(required_before=""))


def _lines(
    case: Case,
    target: str | None,
    types: list[DocumentType],
    newest: dict[int, Document],
    today: dt.date,
) -> list[ChecklistLine]:
    target = target or next_state(case) or CaseState.CLOSED
    target_index = _ORDER[target]
    return [
        _line(case, t, newest.get(t.pk), gate_ahead=t.required_before == target, today=today)
        for t in types
        if _ORDER.get(t.required_before, 99) <= target_index
    ]


# --- A page that reads a case's documents many times loads them once -----------------------------


def prefetch_case_documents(case: Case) -> Case:
    """Load every version of the case's documents and the document types once, on the case
    object: the checklist, the document list and the lab values of a case page then read them
    without a query each. Only for a page's own case object (an upload after this needs
    ``forget_case_documents``)."""
    case.__dict__["_npp_documents"] = list(
        case.documents.select_related("document_type", "uploaded_by", "reviewed_by").order_by(
            "document_type__sort_order", "document_type_id", "-version"
        )
    )
    case.__dict__["_npp_document_types"] = list(DocumentType.objects.all())
    return case


def forget_case_documents(case: Case) -> None:
    for name in ("_npp_documents", "_npp_document_types"):
        case.__dict__.pop(name, None)


def case_document_types(case: Case) -> list[DocumentType]:
    """Every document type (from the case page's prefetch when there is one)."""
    found = getattr(case, "_npp_document_types", None)
    return list(DocumentType.objects.all()) if found is None else found


def prefetched_documents(case: Case) -> list[Document] | None:
    """Every version of the case's documents, newest first per type, if prefetched."""
    return getattr(case, "_npp_documents", None)


def checklist(
    case: Case, target: str | None = None, *, today: dt.date | None = None
) -> list[ChecklistLine]:
    """Every document required up to and including ``target`` (default: the next state).

    Two queries whatever the number of types: the types, and the case's documents (none when
    the page prefetched them: ``prefetch_case_documents``).
    """
    docs: Iterable[Document] | None = prefetched_documents(case)
    if docs is None:
        types = _gated_types()
        docs = case.documents.filter(document_type__in=types).order_by("document_type", "-version")
    else:
        types = [t for t in case_document_types(case) if t.required_before]
    newest: dict[int, Document] = {}
    for doc in docs:
        newest.setdefault(doc.document_type_id, doc)
    return _lines(case, target, types, newest, today or today_ist())


def checklists_for_cases(
    cases: list[Case], *, target: str | None = None, today: dt.date | None = None
) -> dict[Case, list[ChecklistLine]]:
    """The checklist of many cases in two queries (for lists and reminders), up to ``target``
    (default: each case's next state)."""
    types = _gated_types()
    newest: dict[int, dict[int, Document]] = {case.pk: {} for case in cases}
    docs = Document.objects.filter(case__in=cases, document_type__in=types).order_by(
        "case_id", "document_type_id", "-version"
    )
    for doc in docs:
        newest[doc.case_id].setdefault(doc.document_type_id, doc)
    today = today or today_ist()
    return {case: _lines(case, target, types, newest[case.pk], today) for case in cases}


def checklist_blockers(case: Case, target: str) -> list[str]:
    """The refusals a transition into ``target`` gives while documents are not ``ok``."""
    return [line.describe() for line in checklist(case, target) if not line.passes_gate]


# --- Scope: cases.access decides, these filter ------------------------------------------------


def visible_types_q(user: Any, case: Case) -> dict:
    """Filter kwargs limiting documents to the types ``user`` may see on ``case`` (the same
    answer as ``access.may_see_document``: shipment-side types unless they see clinical ones)."""
    return {} if access.sees_clinical(user, case) else {"document_type__shipment_side": True}


def documents_for(user: Any, case: Case) -> QuerySet[Document]:
    """The documents of ``case`` that ``user`` may see (none when the case is not theirs)."""
    if not access.may_see_case(user, case):
        return Document.objects.none()
    return (
        case.documents.filter(**visible_types_q(user, case))
        .select_related("document_type", "uploaded_by", "reviewed_by")
        .order_by("document_type__sort_order", "-version")
    )


def document_versions_for(user: Any, case: Case) -> list[Document]:
    """``documents_for`` as a list, from the case page's prefetch when there is one."""
    docs = prefetched_documents(case)
    if docs is None:
        return list(documents_for(user, case))
    if not access.may_see_case(user, case):
        return []
    if visible_types_q(user, case):
        return [doc for doc in docs if doc.document_type.shipment_side]
    return list(docs)


def document_for(user: Any, pk: Any) -> Document:
    """One document in ``user``'s scope, or 404: its case must be theirs, then its type."""
    try:
        doc = Document.objects.select_related("document_type", "case").get(pk=pk)
    except (Document.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such document.") from exc
    if not access.may_see_document(user, doc.case, doc.document_type):
        raise Http404("No such document.")
    return doc


def checklist_for(user: Any, case: Case) -> list[ChecklistLine]:
    """The checklist limited to lines ``user`` may see."""
    lines = checklist(case)
    only_shipment = visible_types_q(user, case)
    if only_shipment:
        lines = [line for line in lines if line.document_type.shipment_side]
    return lines
