"""The documents app's deadlines, registered from ``DocumentsConfig.ready()``: how long each
accepted result stays valid before the gate it is needed for (DOMAIN.md §4: the clinical
report, prescription, titre and baseline labs, 30 days by default, ``DocumentType.validity_days``).
Once the case has passed that gate an old result no longer matters (``documents.selectors``)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from django.db.models import DateField, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Cast, Coalesce

from cases.deadlines import DOCTOR, Clock, Context, Deadline, deadline
from cases.deadlines.sql import AddDays
from cases.states import MAIN_LINE, CaseState

from .models import Document, DocumentType, ReviewStatus
from .selectors import LineStatus, checklist, next_state


@deadline
class DocumentValidity(Deadline):
    """An accepted result needed for the case's next gate stays valid for its type's validity
    days, counted from the sample date (or the upload); after that it must be repeated."""

    code = "document_validity"
    label = "Document valid until"
    measured_from = "the sample date (or the upload)"
    length = "the document type's validity (30 days for results)"
    notify = (DOCTOR,)
    clinical = True

    def row_label(self, key: str) -> str:
        return self.row_labels([key])[key]

    def row_labels(self, keys) -> dict[str, str]:
        keys = set(keys)
        names = dict(DocumentType.objects.filter(code__in=keys).values_list("code", "name"))
        return {key: f"{names.get(key, key)}: valid until" for key in keys}

    def clocks(self, case, ctx: Context) -> Iterator[Clock]:
        target = next_state(case)
        for line in checklist(case, today=ctx.today):
            if (
                line.expires_on is not None
                and line.document_type.required_before == target
                and line.status in (LineStatus.OK, LineStatus.EXPIRED)
            ):
                yield self.clock(
                    ctx,
                    f"{line.document_type.name}: valid until",
                    line.expires_on,
                    key=line.document_type.code,
                )

    def rows(self, cases: QuerySet, ctx: Context) -> list[QuerySet]:
        newer = Document.objects.filter(
            case=OuterRef("case"),
            version__gt=OuterRef("version"),
            document_type=OuterRef("document_type"),
        )
        docs = Document.objects.filter(
            _gate_ahead(),
            case__in=cases,
            review_status=ReviewStatus.ACCEPTED,
            document_type__validity_days__isnull=False,
        ).exclude(Exists(newer))
        taken = Coalesce("sample_taken_on", Cast("uploaded_at", DateField()))
        return [
            self.row_values(
                docs,
                case="case_id",
                key=F("document_type__code"),
                due_on=AddDays(taken, F("document_type__validity_days")),
            )
        ]


def _gate_ahead() -> Q:
    """The document's type is required before the state the case is heading for
    (``documents.selectors.next_state`` in SQL)."""
    condition = Q(
        case__state=CaseState.REJECTED, document_type__required_before=CaseState.REGULATORY_REVIEW
    )
    for state, following in itertools.pairwise(MAIN_LINE):
        condition |= Q(case__state=state, document_type__required_before=following)
        condition |= Q(
            case__state=CaseState.ON_HOLD,
            case__hold_from_state=state,
            document_type__required_before=following,
        )
    return condition
