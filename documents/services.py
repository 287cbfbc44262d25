"""Writes on documents: upload a version, review it, grant or revoke clinical access, log a
download.

A document and its file are created together or not at all: the file is checked before the
transaction, written inside it and removed again if anything after it fails, so there is never
a row without a file nor a file without a row. A closed or cancelled case takes no documents.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cases import access
from cases.models import Case, today_ist
from cases.states import CaseState

from .models import (
    ClinicalAccessGrant,
    Document,
    DocumentAccess,
    DocumentType,
    ReviewStatus,
)
from .validation import ValidatedUpload, check_sample_date, validate_upload

logger = logging.getLogger(__name__)

# Keyed by the states in which a case takes no more documents.
CASE_ENDED = {
    CaseState.CLOSED: (
        "Case %(reference)s is closed, so no more documents can be added to it; "
        "the file was not stored."
    ),
    CaseState.CANCELLED: (
        "Case %(reference)s was cancelled, so no more documents can be added to it; "
        "the file was not stored."
    ),
}

LAB_FIELDS = (
    "sample_taken_on",
    "alt",
    "ast",
    "total_bilirubin",
    "alt_uln",
    "ast_uln",
    "total_bilirubin_uln",
    "platelets",
    "troponin_i",
    "creatinine",
    "anti_aav9_titer",
)


def document_upload(
    *,
    case: Case,
    document_type: DocumentType,
    data: bytes,
    filename: str,
    by: Any,
    review_status: str = ReviewStatus.PENDING,
    validate: Callable[[bytes, str], ValidatedUpload] = validate_upload,
    **lab_values: Any,
) -> Document:
    """Validate ``data`` and store it as the next version of ``document_type`` on ``case``.

    ``validate`` decides what the bytes are (``validate_upload``: PDF, JPEG, PNG); an app that
    reads another format itself passes its own (the coldchain app's logger CSV), which must
    raise ``ValidationError`` or return the ``ValidatedUpload`` to store.

    Raises ``ValidationError`` (bad file or lab values, a closed or cancelled case) or
    ``PermissionDenied``; in every case nothing is stored. The file is checked before anything
    is written.
    """
    unknown = set(lab_values) - set(LAB_FIELDS)
    if unknown:
        raise ValueError(f"Unknown lab fields: {', '.join(sorted(unknown))}")
    if not access.may_upload(by, case, document_type):
        raise PermissionDenied(f"You may not upload a {document_type.name} on this case.")
    _refuse_if_ended(case)
    if isinstance(lab_values.get("sample_taken_on"), dt.date):  # else full_clean refuses it
        _check_sample_date(case, lab_values["sample_taken_on"])
    upload = validate(data, filename)
    document = None
    try:
        with transaction.atomic():
            # Lock the case so two uploads of the same type get consecutive versions, and so
            # that it cannot be closed or cancelled between this check and the commit.
            locked = (
                Case.objects.select_for_update().only("pk", "state", "reference").get(pk=case.pk)
            )
            _refuse_if_ended(locked)
            last = case.documents.filter(document_type=document_type).aggregate(v=Max("version"))
            document = Document(
                case=case,
                document_type=document_type,
                version=(last["v"] or 0) + 1,
                original_filename=upload.filename,
                size=upload.size,
                content_type=upload.content_type,
                sha256=upload.sha256,
                page_count=upload.page_count,
                uploaded_by=by if getattr(by, "pk", None) else None,
                review_status=review_status,
                **{k: v for k, v in lab_values.items() if v not in (None, "")},
            )
            if review_status != ReviewStatus.PENDING:
                document.reviewed_by = document.uploaded_by
                document.reviewed_at = timezone.now()
            document.file.save(upload.filename, ContentFile(upload.data), save=False)
            document.full_clean()
            document.save()
        block = _UPLOADED_IN_BLOCK.get()
        if block is not None:
            block.append(document)
    except BaseException:
        if document is not None and document.file.name:
            _remove_file(document)
        raise
    return document


def _refuse_if_ended(case: Case) -> None:
    # A non-field error: the portal shows it above the form, not beside the file input.
    if case.state in CASE_ENDED:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: ValidationError(
                    CASE_ENDED[case.state], code="case_ended", params={"reference": case.reference}
                )
            }
        )


def _check_sample_date(case: Case, taken: dt.date) -> None:
    try:
        check_sample_date(taken, today=today_ist(), born=case.patient.date_of_birth)
    except ValidationError as exc:
        raise ValidationError({"sample_taken_on": exc}) from exc


# The uploads made inside an ``uploads_all_or_nothing`` block, so their files can be removed
# when the block's transaction rolls back (a file is not part of the database's transaction).
_UPLOADED_IN_BLOCK: ContextVar[list[Document] | None] = ContextVar(
    "uploaded_in_block", default=None
)


@contextmanager
def uploads_all_or_nothing() -> Iterator[list[Document]]:
    """One transaction for several uploads and what depends on them (a transition): if
    anything inside raises, no row stays and no file is left behind."""
    created: list[Document] = []
    token = _UPLOADED_IN_BLOCK.set(created)
    try:
        with transaction.atomic():
            yield created
    except BaseException:
        for document in created:
            _remove_file(document)
        raise
    finally:
        _UPLOADED_IN_BLOCK.reset(token)


def _remove_file(document: Document) -> None:
    try:
        document.file.storage.delete(document.file.name)
    except OSError:  # pragma: no cover - logged for the operator; nothing else to do
        logger.exception("could not remove orphan file %s", document.file.name)


def document_review(*, document: Document, by: Any, status: str, note: str = "") -> Document:
    """Accept or reject a version. Only facilitators review; a rejection needs a note."""
    if not access.may_review_documents(by, document.case):
        raise PermissionDenied("Only facilitators review documents.")
    if status not in (ReviewStatus.ACCEPTED, ReviewStatus.REJECTED):
        raise ValidationError("Choose accept or reject.")
    note = note.strip()
    if status == ReviewStatus.REJECTED and not note:
        raise ValidationError("Say why the document is rejected; the doctor will read it.")
    document.review_status = status
    document.review_note = note
    document.reviewed_by = by
    document.reviewed_at = timezone.now()
    # One transaction with what the save triggers (the webhook outbox row), wherever called.
    with transaction.atomic():
        document.save(update_fields=["review_status", "review_note", "reviewed_by", "reviewed_at"])
    return document


def case_grant_clinical_access(*, case: Case, by: Any, reason: str) -> ClinicalAccessGrant:
    """Let the hospital's admins see this case's clinical documents and lab values.

    Facilitators only, with a reason; granting again replaces the reason and who granted.
    Recorded in the access log (and by django-auditlog). Raises ``PermissionDenied`` or
    ``ValidationError``; then nothing changes.
    """
    if not access.may_grant_clinical_access(by, case):
        raise PermissionDenied("Only facilitators grant access to clinical documents.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give a reason for granting access.")
    with transaction.atomic():
        # The grant model is written here, after cases.access said yes; only access reads it.
        grant, _ = ClinicalAccessGrant.objects.update_or_create(
            case=case, defaults={"granted_by": by, "reason": reason}
        )
        _log_clinical_access(
            case, by, "grant_clinical_access", f"Clinical access granted: {reason}"
        )
    return grant


def case_revoke_clinical_access(*, case: Case, by: Any, reason: str = "") -> bool:
    """End the hospital admins' clinical access on ``case``; False if there was none.

    Facilitators only; recorded in the access log (and by django-auditlog). Raises
    ``PermissionDenied``; then nothing changes.
    """
    if not access.may_grant_clinical_access(by, case):
        raise PermissionDenied("Only facilitators revoke access to clinical documents.")
    with transaction.atomic():
        deleted, _ = ClinicalAccessGrant.objects.filter(case=case).delete()
        if deleted:
            why = (reason or "").strip()
            _log_clinical_access(
                case,
                by,
                "revoke_clinical_access",
                "Clinical access revoked" + (f": {why}" if why else "."),
            )
    return bool(deleted)


def _log_clinical_access(case: Case, by: Any, action: str, label: str) -> DocumentAccess:
    return DocumentAccess.objects.create(
        document_id=None,
        case_reference=case.reference,
        document_label=label[:220],
        user_id=getattr(by, "pk", None),
        username=getattr(by, "username", "") or "anonymous",
        action=action,
    )


def document_access_log(
    *, document: Document, by: Any, ip_address: str | None, action: str = "download"
) -> DocumentAccess:
    return DocumentAccess.objects.create(
        document_id=document.pk,
        case_reference=document.case.reference,
        document_label=str(document),
        user_id=getattr(by, "pk", None),
        username=getattr(by, "username", "") or "anonymous",
        ip_address=ip_address,
        action=action,
    )


def export_access_log(*, by: Any, ip_address: str | None, references: list[str]) -> DocumentAccess:
    """Record that ``by`` exported patient identifiers for these cases."""
    shown = ", ".join(references[:10]) + (" ..." if len(references) > 10 else "")
    return DocumentAccess.objects.create(
        document_id=None,
        case_reference=references[0] if len(references) == 1 else f"{len(references)} cases",
        document_label=f"CSV export with identifiers: {shown}"[:220],
        user_id=getattr(by, "pk", None),
        username=getattr(by, "username", "") or "anonymous",
        ip_address=ip_address,
        action="export_identifiers",
    )
