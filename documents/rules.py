"""The documents app's part of the case rulebook, registered from ``DocumentsConfig.ready()``:
the document checklist of each gate (DOMAIN.md §4), the application packet's freshness, and
the accepted lab reports as the source of baseline lab values for eligibility. ``cases`` knows
none of this module; it only runs what is registered."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from cases.rules import Context, rule
from cases.selectors import register_baseline_labs_source
from cases.states import CaseState

if TYPE_CHECKING:
    from cases.models import Case

    from .models import Document

# The state whose required documents a transition checks (DOMAIN.md §4, documents issue).
DOCUMENT_GATES = {
    "submit_to_regulator": CaseState.REGULATORY_REVIEW,
    "record_permit": CaseState.APPROVED,
    "dispatch": CaseState.CUSTOMS,
    "clear_customs": CaseState.DELIVERY,
    "confirm_delivery_and_schedule": CaseState.INFUSION_SCHEDULED,
}

# Which accepted document carries which baseline value (DOMAIN.md §1.6), with the field that
# holds the upper limit of normal its lab printed (DOMAIN.md §1.10).
BASELINE_SOURCES = {
    "liver_function": ("alt", "ast", "total_bilirubin"),
    "cbc": ("platelets",),
    "creatinine": ("creatinine",),
    "troponin": ("troponin_i",),
    "anti_aav9_titer": ("anti_aav9_titer",),
}
ULN_FIELDS = {"alt": "alt_uln", "ast": "ast_uln", "total_bilirubin": "total_bilirubin_uln"}


@rule(code="documents_missing", transitions=DOCUMENT_GATES)
def documents_missing(case: Case, ctx: Context) -> Iterator[str]:
    """Every document the target state needs is accepted and valid (or, for the hospital's
    own receipt records, uploaded: DocumentType.review_before_gate)."""
    from .selectors import checklist

    for line in checklist(case, DOCUMENT_GATES[ctx.transition], today=ctx.today):
        if not line.passes_gate:
            yield line.describe()


@rule(code="packet_outdated", transitions=["submit_to_regulator"])
def packet_outdated(case: Case, ctx: Context) -> Iterator[str]:
    """The application packet the port office gets was built after the newest acceptance of
    every document it encloses."""
    from .packets.services import packet_blockers

    yield from packet_blockers(case)


def accepted_lab_values(case: Case) -> dict[str, dict[str, Any]]:
    """The newest accepted lab report of each type, as ``cases.clinical.Labs`` input."""
    from .selectors import prefetched_documents

    docs = prefetched_documents(case)
    if docs is None:
        return accepted_lab_values_for([case])[case.pk]
    newest: dict[str, Document] = {}
    for doc in sorted(
        (d for d in docs if _baseline(d)),
        key=lambda d: (d.sample_taken_on, d.version),
        reverse=True,
    ):
        newest.setdefault(doc.document_type.code, doc)
    return _values(newest)


def _baseline(doc: Document) -> bool:
    from .models import ReviewStatus

    return (
        doc.review_status == ReviewStatus.ACCEPTED
        and doc.sample_taken_on is not None
        and doc.document_type.code in BASELINE_SOURCES
    )


def accepted_lab_values_for(cases: Iterable[Case]) -> dict[int, dict[str, dict[str, Any]]]:
    """``accepted_lab_values`` of many cases in one query: ``{case pk: values}``."""
    from .models import Document, ReviewStatus

    newest: dict[int, dict[str, Document]] = {case.pk: {} for case in cases}
    docs = (
        Document.objects.filter(
            case__in=[case.pk for case in cases],
            review_status=ReviewStatus.ACCEPTED,
            document_type__code__in=BASELINE_SOURCES,
            sample_taken_on__isnull=False,
        )
        .select_related("document_type")
        .order_by("case_id", "document_type_id", "-sample_taken_on", "-version")
    )
    for doc in docs:
        newest[doc.case_id].setdefault(doc.document_type.code, doc)
    return {pk: _values(found) for pk, found in newest.items()}


def _values(newest: dict[str, Document]) -> dict[str, dict[str, Any]]:
    labs: dict[str, dict[str, Any]] = {}
    for code, doc in newest.items():
        for name in BASELINE_SOURCES[code]:
            value = getattr(doc, name)
            if value in (None, ""):
                continue
            if name == "anti_aav9_titer":
                labs[name] = {"text": value, "sampled_on": doc.sample_taken_on}
            else:
                uln = getattr(doc, ULN_FIELDS[name]) if name in ULN_FIELDS else None
                labs[name] = {"value": value, "sampled_on": doc.sample_taken_on, "uln": uln}
    return labs


def register() -> None:
    """Called from ``DocumentsConfig.ready()``; the ``@rule`` declarations above registered
    themselves when this module was imported."""
    register_baseline_labs_source(accepted_lab_values, many=accepted_lab_values_for)
