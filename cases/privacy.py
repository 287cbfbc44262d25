"""Data-protection services (DPDP Act 2023, DOMAIN.md §5.2): a patient's data for an access
request, and anonymising long-closed cases while keeping the statistics.

Other apps hold the patient's data too (the clinical records, the regulatory file, the
funding, the guardian links): each declares its part once, from its ``AppConfig.ready()``,
with ``register_part`` (what it adds to the export, how it anonymises), so that cases imports
nothing from them and neither service forgets an app."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from django_fsm_log.models import StateLog

from .models import Case, Patient
from .states import CaseState

ANONYMISED_PREFIX = "Anonymised patient"


@dataclass(frozen=True)
class Part:
    """An app's part of a patient's data: ``export(patient)`` gives the keys it adds to the
    access-request export; ``anonymise(patient)`` removes its identifiers (in the same
    transaction as the rest), keeping what the statistics need."""

    name: str
    export: Callable[[Patient], dict[str, Any]]
    anonymise: Callable[[Patient], None] | None = None


_PARTS: dict[str, Part] = {}


def register_part(
    name: str,
    *,
    export: Callable[[Patient], dict[str, Any]],
    anonymise: Callable[[Patient], None] | None = None,
) -> None:
    """Declare an app's part of a patient's data (once per name; a reload replaces it)."""
    _PARTS[name] = Part(name, export, anonymise)


def parts() -> list[Part]:
    return list(_PARTS.values())


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if hasattr(value, "as_tuple"):  # Decimal
        return str(value)
    if hasattr(value, "name") and hasattr(value, "storage"):  # FieldFile: never the bytes
        return None
    return value


def exported_row(obj, exclude=()) -> dict:
    return {k: _jsonable(v) for k, v in model_to_dict(obj).items() if k not in exclude}


def patient_data_export(case: Case) -> dict:
    """Everything held about the case's patient: identity, consents, weights, every case of
    theirs with its facts, history, documents (metadata, not files), lab results and the
    reminders sent about them; then each registered part (``register_part``)."""
    patient = case.patient
    cases = []
    for each in patient.cases.select_related("product", "hospital", "doctor__user"):
        logs = StateLog.objects.for_(each).select_related("by").order_by("timestamp")
        cases.append(
            {
                "reference": each.reference,
                "state": each.state,
                "product": each.product.name,
                "hospital": each.hospital.name,
                "treating_doctor": str(each.doctor),
                "facts": exported_row(
                    each,
                    exclude=("patient", "product", "hospital", "doctor", "facilitator", "state"),
                ),
                "history": [
                    {
                        "at": log.timestamp.isoformat(),
                        "from": log.source_state,
                        "to": log.state,
                        "by": log.by.username if log.by else None,
                        "note": log.description,
                    }
                    for log in logs
                ],
                "documents": [
                    {
                        "type": d.document_type.code,
                        "version": d.version,
                        "filename": d.original_filename,
                        "uploaded_at": d.uploaded_at.isoformat(),
                        "sha256": d.sha256,
                        "review_status": d.review_status,
                        **{
                            k: _jsonable(getattr(d, k))
                            for k in (
                                "sample_taken_on",
                                "alt",
                                "ast",
                                "total_bilirubin",
                                "platelets",
                                "troponin_i",
                                "creatinine",
                                "anti_aav9_titer",
                            )
                            if getattr(d, k) not in (None, "")
                        },
                    }
                    for d in each.documents.select_related("document_type").order_by("pk")
                ],
                "lab_results": [
                    exported_row(r, exclude=("case", "recorded_by")) for r in each.lab_results.all()
                ],
                "eligibility_overrides": [
                    exported_row(o, exclude=("case", "by"))
                    for o in each.eligibility_overrides.all()
                ],
                "notifications": [
                    {
                        "kind": n.kind,
                        "channel": n.channel,
                        "due_at": n.due_at.isoformat(),
                        "subject": n.subject,
                        "sent_at": n.sent_at.isoformat() if n.sent_at else None,
                    }
                    for n in each.notifications.order_by("due_at")
                ],
            }
        )
    found = {
        "exported_at": timezone.now().isoformat(),
        "patient": exported_row(patient),
        "consents": [
            exported_row(c, exclude=("patient", "recorded_by")) for c in patient.consents.all()
        ],
        "weights": [exported_row(w, exclude=("patient",)) for w in patient.weights.all()],
        "cases": cases,
    }
    for part in parts():
        found.update(part.export(patient))
    return found


def closed_cases_to_anonymise(older_than_days: int, now: dt.datetime | None = None):
    """Patients all of whose cases ended (closed or cancelled) more than N days ago."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=older_than_days)
    ended = [CaseState.CLOSED, CaseState.CANCELLED]
    return (
        Patient.objects.filter(cases__state__in=ended, cases__state_changed_at__lt=cutoff)
        .exclude(cases__state__in=[s for s in CaseState if s not in ended])
        .exclude(cases__state_changed_at__gte=cutoff)
        .exclude(full_name__startswith=ANONYMISED_PREFIX)
        .distinct()
        .order_by("pk")
    )


@transaction.atomic
def patient_anonymise(patient: Patient) -> None:
    """Replace the identifiers of ``patient`` and remove their document files, keeping the
    case facts, dates, states and clinical values that the statistics need; then each
    registered part's own (``register_part``)."""
    token = hashlib.sha256(f"npp-{patient.pk}".encode()).hexdigest()[:8]
    patient.full_name = f"{ANONYMISED_PREFIX} {token}"
    patient.guardian_name = "Anonymised"
    patient.guardian_phone = ""
    patient.guardian_email = ""
    patient.aadhaar_last4 = ""
    patient.city = ""
    patient.genetic_test_lab = ""
    patient.date_of_birth = patient.date_of_birth.replace(day=1)  # keep the age in months
    patient.save()
    patient.consents.update(given_by="Anonymised")
    for case in patient.cases.all():
        case.notifications.update(subject="(anonymised)", body="", html_body="", recipient_email="")
        case.received_by = ""
        case.save(update_fields=["received_by"])
        for document in case.documents.all():
            if document.file.name:
                name = document.file.name
                # Remove the bytes after commit: a rollback must not leave rows without files.
                transaction.on_commit(partial(document.file.storage.delete, name))
            document.original_filename = "anonymised"
            document.file.name = ""
            document.save(update_fields=["original_filename", "file"])
    for part in parts():
        if part.anonymise is not None:
            part.anonymise(patient)
