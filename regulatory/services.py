"""Writes on the regulatory file and CDSCO's queries: facilitators only
(``cases.access.may_keep_regulatory_file``), every value validated before anything is saved,
every change kept by django-auditlog (the models are in ``AUDITLOG_INCLUDE_TRACKING_MODELS``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cases import access
from cases.clock import ist_date
from cases.models import Case
from cases.services import refuse_unknown

from .models import CdscoQuery, RegulatoryFile

# What the file records; the case is the service's.
FILE_FIELDS = tuple(
    f.name
    for f in RegulatoryFile._meta.get_fields()
    if getattr(f, "editable", False) and f.concrete and f.name not in ("id", "case", "updated_at")
)
QUERY_FIELDS = ("raised_at", "text", "due_by", "answered_at", "answer")
# What the application packet prints from the file (regulatory.packet_facts).
FORM_12A_FIELDS = frozenset(
    {
        "applicant_address",
        "applicant_city",
        "applicant_district",
        "applicant_state",
        "applicant_pin",
        "applicant_occupation",
        "country_of_export",
    }
)


def regulatory_file_for(case: Case) -> RegulatoryFile:
    """The case's file, unsaved and empty when it has none yet."""
    return RegulatoryFile.objects.filter(case=case).first() or RegulatoryFile(case=case)


def regulatory_file_update(*, case: Case, by: Any, **values: Any) -> RegulatoryFile:
    """Record ``values`` in the case's regulatory file (created on first use). Raises
    ``PermissionDenied`` or ``ValidationError`` (a 5-digit PIN code, a currency that is not a
    3-letter code...); then nothing is saved."""
    refuse_unknown("A regulatory file records", values, FILE_FIELDS)
    if not access.may_keep_regulatory_file(by, case):
        raise PermissionDenied("Only a facilitator records the regulatory file.")
    with transaction.atomic():
        Case.objects.select_for_update().only("pk").get(pk=case.pk)
        found = regulatory_file_for(case)
        changed = set()
        for name, value in values.items():
            value = value.strip() if isinstance(value, str) else value
            if getattr(found, name) != value:
                changed.add(name)
            setattr(found, name, value)
        if changed & FORM_12A_FIELDS:
            found.form_12a_changed_at = timezone.now()
        found.full_clean()
        found.save()
    return found


def query_problems(*, raised_at: Any, due_by: Any, answered_at: Any, answer: str) -> dict:
    """What is inconsistent in a query's values, by field (the admin's form shows the same)."""
    errors: dict[str, str] = {}
    if answered_at and raised_at and answered_at < raised_at:
        errors["answered_at"] = "An answer cannot come before the query was raised."
    if answered_at and not (answer or "").strip():
        errors["answer"] = "Write the answer sent to CDSCO (or clear the answered time)."
    if (answer or "").strip() and not answered_at:
        errors["answered_at"] = "Give the time the answer was sent on SUGAM."
    if raised_at and due_by and due_by < ist_date(raised_at):
        errors["due_by"] = "The answer cannot be due before the query was raised."
    return errors


def _check_query(query: CdscoQuery) -> None:
    errors = query_problems(
        raised_at=query.raised_at,
        due_by=query.due_by,
        answered_at=query.answered_at,
        answer=query.answer,
    )
    if errors:
        raise ValidationError(errors)


def _set_enclosures(query: CdscoQuery, enclosures: Iterable[Any] | None) -> None:
    if enclosures is None:
        return
    enclosures = list(enclosures)
    foreign = [d for d in enclosures if d.case_id != query.file.case_id]
    if foreign:
        raise ValidationError({"enclosures": "An answer encloses only documents of its own case."})
    query.enclosures.set(enclosures)


def cdsco_query_record(
    *, case: Case, by: Any, enclosures: Iterable[Any] | None = None, **values: Any
) -> CdscoQuery:
    """Record a query CDSCO raised (and, when known, its answer). Raises ``PermissionDenied``
    or ``ValidationError``; then nothing is saved."""
    refuse_unknown("A CDSCO query records", values, QUERY_FIELDS)
    if not access.may_keep_regulatory_file(by, case):
        raise PermissionDenied("Only a facilitator records CDSCO's queries.")
    with transaction.atomic():
        found = regulatory_file_for(case)
        if found.pk is None:
            found.save()
        query = CdscoQuery(file=found, recorded_by=by if getattr(by, "pk", None) else None)
        for name, value in values.items():
            setattr(query, name, value.strip() if isinstance(value, str) else value)
        query.full_clean()
        _check_query(query)
        query.save()
        _set_enclosures(query, enclosures)
    return query


def cdsco_query_update(
    *, query: CdscoQuery, by: Any, enclosures: Iterable[Any] | None = None, **values: Any
) -> CdscoQuery:
    """Correct a query or record its answer (``answered_at``, ``answer``, ``enclosures``).
    Raises ``PermissionDenied`` or ``ValidationError``; then nothing is saved."""
    refuse_unknown("A CDSCO query records", values, QUERY_FIELDS)
    if not access.may_keep_regulatory_file(by, query.file.case):
        raise PermissionDenied("Only a facilitator records CDSCO's queries.")
    with transaction.atomic():
        for name, value in values.items():
            setattr(query, name, value.strip() if isinstance(value, str) else value)
        query.full_clean()
        _check_query(query)
        query.save()
        _set_enclosures(query, enclosures)
    return query
