"""Writes on documents: upload a version, review it, grant clinical access, log a download.

A document and its file are created together or not at all: the file is written inside the
transaction and removed again if anything after it fails, so there is never a row without a
file nor a file without a row.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cases import permissions
from cases.models import Case

from .models import (
    ClinicalAccessGrant,
    Document,
    DocumentAccess,
    DocumentType,
    ReviewStatus,
)
from .validation import validate_upload

logger = logging.getLogger(__name__)

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


def may_upload(user: Any, case: Case, document_type: DocumentType) -> bool:
    if permissions.is_facilitator(case, user):
        return True
    if permissions.is_own_doctor(case, user):
        return document_type.uploadable_by_doctor
    if permissions.is_hospital_admin_of(case, user):
        return document_type.uploadable_by_hospital
    return False


def document_upload(
    *,
    case: Case,
    document_type: DocumentType,
    data: bytes,
    filename: str,
    by: Any,
    review_status: str = ReviewStatus.PENDING,
    **lab_values: Any,
) -> Document:
    """Validate ``data`` and store it as the next version of ``document_type`` on ``case``.

    Raises ``ValidationError`` (bad file or lab values) or ``PermissionDenied``; in both
    cases nothing is stored.
    """
    unknown = set(lab_values) - set(LAB_FIELDS)
    if unknown:
        raise ValueError(f"Unknown lab fields: {', '.join(sorted(unknown))}")
    if not may_upload(by, case, document_type):
        raise PermissionDenied(f"You may not upload a {document_type.name} on this case.")
    upload = validate_upload(data, filename)
    document = None
    try:
        with transaction.atomic():
            # Lock the case so two uploads of the same type get consecutive versions.
            Case.objects.select_for_update().only("pk").get(pk=case.pk)
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
    except BaseException:
        if document is not None and document.file.name:
            _remove_file(document)
        raise
    return document


def _remove_file(document: Document) -> None:
    try:
        document.file.storage.delete(document.file.name)
    except OSError:  # pragma: no cover - logged for the operator; nothing else to do
        logger.exception("could not remove orphan file %s", document.file.name)


def document_review(*, document: Document, by: Any, status: str, note: str = "") -> Document:
    """Accept or reject a version. Only facilitators review; a rejection needs a note."""
    if not permissions.is_facilitator(document.case, by):
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
    document.save(update_fields=["review_status", "review_note", "reviewed_by", "reviewed_at"])
    return document


def clinical_access_grant(*, case: Case, by: Any, reason: str) -> ClinicalAccessGrant:
    """Let the hospital's admins see this case's clinical documents (recorded, with reason)."""
    if not permissions.is_facilitator(case, by):
        raise PermissionDenied("Only facilitators grant access to clinical documents.")
    if not reason.strip():
        raise ValidationError("Give a reason for granting access.")
    grant, _ = ClinicalAccessGrant.objects.update_or_create(
        case=case, defaults={"granted_by": by, "reason": reason.strip()}
    )
    return grant


def document_access_log(*, document: Document, by: Any, ip_address: str | None,
                        action: str = "download") -> DocumentAccess:
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
