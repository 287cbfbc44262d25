"""Writes on cold-chain evidence: the logger's CSV export uploaded at receipt, and the
manufacturer's decision on an excursion.

``logger_upload`` reads the whole file before anything is written; then, in one transaction,
it stores the file as the next version of the case's ``temperature_log`` document (with the
other documents, through ``documents.services.document_upload``), the readings and what they
say, sets the case's temperature fact from them, and on an excursion puts the case on hold for
the manufacturer's decision through ``case_apply`` (DOMAIN.md §1.5). A refused file stores
nothing; if anything fails after the file was written, the file is removed again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cases import access
from cases.models import Case
from cases.services import case_apply
from cases.states import CaseState
from documents.models import DocumentType
from documents.services import document_upload, uploads_all_or_nothing
from documents.validation import ValidatedUpload, sanitise_filename

from .models import Decision, LoggerRecord
from .parsing import LoggerFileError, LoggerLog, parse_logger_csv
from .summary import Summary, summarise

DOCUMENT_TYPE = "temperature_log"
CSV = "text/csv"


def limit_celsius() -> Decimal:
    return Decimal(str(settings.NPP_COLD_CHAIN_LIMIT_CELSIUS))


def read_logger_file(data: bytes, *, now: dt.datetime | None = None) -> LoggerLog:
    """The readings of a logger's CSV export, or ``ValidationError`` with the reason."""
    try:
        return parse_logger_csv(
            data,
            max_bytes=settings.NPP_LOGGER_CSV_MAX_BYTES,
            max_rows=settings.NPP_LOGGER_CSV_MAX_ROWS,
            now=now or timezone.now(),
        )
    except LoggerFileError as exc:
        raise ValidationError(exc.message, code=exc.code) from None


def _csv_upload(data: bytes, filename: str) -> ValidatedUpload:
    """``document_upload``'s check for a logger file: the CSV was read already; store it byte
    for byte under a safe name ending in .csv."""
    if "\x00" in filename:
        raise ValidationError("The file name contains a NUL character.", code="filename_nul")
    name = sanitise_filename(filename)
    if not name.lower().endswith(".csv"):
        name += ".csv"
    return ValidatedUpload(
        filename=name,
        content_type=CSV,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        page_count=1,
        data=data,
    )


def _judged(log: LoggerLog, received_at: dt.datetime | None) -> list:
    """The readings up to receipt (when it is recorded): after it the kit is in the fridge."""
    if received_at is None:
        return log.readings
    before = [r for r in log.readings if r[0] <= received_at]
    return before if len(before) >= 1 else log.readings


def _hold_reason(summary: Summary, limit: Decimal) -> str:
    first = summary.excursions[0]
    return (
        f"Temperature excursion in the logger file: {len(summary.excursions)} excursion(s) "
        f"above {limit.normalize():f} °C, {summary.seconds_above // 60} minute(s) in all, "
        f"peak {summary.maximum} °C, the first from "
        f"{timezone.localtime(first.start):%d %b %Y %H:%M}. The manufacturer decides whether "
        "the kit may be used."
    )


def logger_upload(*, case: Case, by: Any, data: bytes, filename: str) -> LoggerRecord:
    """Read and keep a logger's CSV export of ``case``'s kit (see the module's docstring).
    Raises ``PermissionDenied`` or ``ValidationError``; then nothing is stored."""
    if not access.may_upload_logger_data(by, case):
        raise PermissionDenied("Only the receiving hospital or a facilitator uploads logger files.")
    if case.state != CaseState.DELIVERY:
        raise ValidationError(
            f"The logger file is read at receipt, while the case is in delivery; "
            f"{case.reference} is '{case.get_state_display()}'. Nothing was stored.",
            code="not_at_receipt",
        )
    log = read_logger_file(data)
    limit = limit_celsius()
    summary = summarise(_judged(log, case.received_at), limit)
    with uploads_all_or_nothing():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.state != CaseState.DELIVERY:
            raise ValidationError(
                f"{locked.reference} changed while the file was read; reload and try again.",
                code="conflict",
            )
        document = document_upload(
            case=locked,
            document_type=DocumentType.objects.get(code=DOCUMENT_TYPE),
            data=data,
            filename=filename,
            by=by,
            validate=_csv_upload,
        )
        record = LoggerRecord.objects.create(
            case=locked,
            document=document,
            layout=log.layout,
            logger_serial=log.serial,
            limit_celsius=limit,
            started_at=log.readings[0][0],
            ended_at=log.readings[-1][0],
            reading_count=len(log.readings),
            min_celsius=summary.minimum,
            max_celsius=summary.maximum,
            seconds_above_limit=summary.seconds_above,
            excursion_count=len(summary.excursions),
            excursions=[
                {
                    "start": e.start.isoformat(),
                    "end": e.end.isoformat(),
                    "seconds": e.seconds,
                    "peak": str(e.peak),
                }
                for e in summary.excursions
            ],
            series=[[int(at.timestamp()), str(value)] for at, value in log.readings],
            uploaded_by=by if getattr(by, "pk", None) else None,
        )
        # The temperature fact comes from the data, not from a tick (DOMAIN.md §1.5).
        locked.temperature_ok = not summary.excursions
        locked.save(update_fields=["temperature_ok", "updated_at"])
        if summary.excursions:
            case_apply(
                case=locked,
                transition="hold",
                by=by,
                hold_reason=_hold_reason(summary, limit),
            )
    return record


def excursion_decide(*, record: LoggerRecord, by: Any, decision: str, note: str) -> LoggerRecord:
    """A facilitator records the manufacturer's decision on an excursion, in words. The case
    stays on hold until a facilitator resumes it; ``cold_chain_excursion`` then lets the kit
    be scheduled only when the manufacturer allowed its use."""
    if not access.may_decide_excursion(by, record.case):
        raise PermissionDenied("Only a facilitator records the manufacturer's decision.")
    if not record.has_excursion:
        raise ValidationError("This logger file shows no excursion; there is nothing to decide.")
    if decision not in (Decision.USE, Decision.DO_NOT_USE):
        raise ValidationError({"decision": "Choose the manufacturer's decision."})
    note = (note or "").strip()
    if not note:
        raise ValidationError(
            {"decision_note": "Write what the manufacturer said, and who said it."}
        )
    record.decision = decision
    record.decision_note = note
    record.decided_by = by
    record.decided_at = timezone.now()
    record.save(update_fields=["decision", "decision_note", "decided_by", "decided_at"])
    return record
