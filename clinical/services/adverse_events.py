"""Adverse events (DOMAIN.md §5.1, §9): report, payload, forwarding record."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import access
from cases.clock import ist_date, today_ist
from cases.models import Case

from ..models import (
    SERIOUSNESS,
    AdverseEvent,
    AdverseEventForward,
    SteroidCourse,
)
from ._common import _locked
from .steroid import _weight_on

# --- Adverse events (DOMAIN.md §5.1, §9) ------------------------------------------------------

AE_FIELDS = (
    "aware_at",
    "onset_on",
    "stopped_on",
    "description",
    "relevant_tests",
    "aesi",
    "death",
    "death_on",
    "life_threatening",
    "hospitalisation",
    "disability",
    "congenital_anomaly",
    "other_medically_important",
    "outcome",
    "dechallenge",
    "rechallenge",
    "concomitant",
)


def forward_window(serious: bool) -> dt.timedelta:
    """DOMAIN.md §5.1 [default, unconfirmed]: serious within 24 hours of awareness,
    non-serious within 15 days; both settings."""
    if serious:
        return dt.timedelta(hours=settings.NPP_AE_FORWARD_SERIOUS_HOURS)
    return dt.timedelta(days=settings.NPP_AE_FORWARD_NON_SERIOUS_DAYS)


def remind_ahead(serious: bool) -> dt.timedelta:
    """How long before its end the forwarding clock is reminded (settings)."""
    if serious:
        return dt.timedelta(hours=settings.NPP_AE_REMIND_SERIOUS_HOURS_BEFORE)
    return dt.timedelta(days=settings.NPP_AE_REMIND_NON_SERIOUS_DAYS_BEFORE)


def adverse_event_report(*, case: Case, by: Any, **values: Any) -> AdverseEvent:
    """Report an adverse event on a case after its infusion; its forwarding clock starts at
    ``aware_at`` (default now)."""
    if not access.may_report_adverse_event(by, case):
        raise PermissionDenied(
            _("Only the treating doctor or a facilitator reports adverse events.")
        )
    unknown = set(values) - set(AE_FIELDS)
    if unknown:
        raise ValueError(f"An adverse event records no {', '.join(sorted(unknown))}.")
    errors = []
    if case.infused_at is None:
        raise ValidationError(_("Adverse events are reported after the infusion."))
    values.setdefault("aware_at", timezone.now())
    infusion_day = ist_date(case.infused_at)
    onset = values.get("onset_on")
    if onset is None:
        errors.append(_("Enter the onset date."))
    elif onset > today_ist():
        errors.append(_("The onset date cannot be in the future."))
    elif onset < infusion_day:
        errors.append(
            _("The onset cannot be before the infusion (%(day)s).")
            % {"day": f"{infusion_day:%d %b %Y}"}
        )
    if values["aware_at"] > timezone.now():
        errors.append(_("The time you became aware cannot be in the future."))
    stopped = values.get("stopped_on")
    if stopped and onset and stopped < onset:
        errors.append(_("The reaction cannot stop before its onset."))
    if not (values.get("description") or "").strip():
        errors.append(_("Describe the reaction."))
    if values.get("death") and not values.get("death_on"):
        errors.append(_("Give the date of death."))
    if errors:
        raise ValidationError(errors)
    if not values.get("concomitant"):
        course = SteroidCourse.objects.filter(case=case).first()
        values["concomitant"] = (
            f"Prednisolone {course.dose_mg.normalize()} mg/day oral from {course.started_on:%d %b %Y}"
            if course
            else "Prednisolone 1 mg/kg/day oral from day -1"
        )
    event = AdverseEvent(case=case, reported_by=by, **values)
    event.forward_due_at = event.aware_at + forward_window(event.serious)
    event.forward_remind_at = event.forward_due_at - remind_ahead(event.serious)
    event.full_clean()
    with transaction.atomic():
        _locked(case)
        event.save()
    return event


def adverse_event_payload(event: AdverseEvent) -> dict[str, Any]:
    """The AE as the manufacturer receives it (JSON and CSV exports, the forwarding record):
    the PvPI form's fields; the patient by initials, age and sex only."""
    case, patient = event.case, event.case.patient
    initials = "".join(part[0] for part in patient.full_name.split() if part).upper()
    weight = _weight_on(case, ist_date(case.infused_at)) if case.infused_at else None
    doctor = case.doctor
    return {
        "case_reference": case.reference,
        "patient_initials": initials,
        "patient_date_of_birth": patient.date_of_birth.isoformat(),
        "patient_sex": patient.sex,
        "patient_weight_kg": str(weight.weight_kg) if weight else "",
        "aware_at": event.aware_at.isoformat(),
        "onset_on": event.onset_on.isoformat(),
        "stopped_on": event.stopped_on.isoformat() if event.stopped_on else "",
        "description": event.description,
        "relevant_tests": event.relevant_tests,
        "aesi": event.get_aesi_display() if event.aesi else "",
        "serious": event.serious,
        "seriousness": [name for name, _label in SERIOUSNESS if getattr(event, name)],
        "death_on": event.death_on.isoformat() if event.death_on else "",
        "outcome": event.get_outcome_display(),
        "suspected_drug": case.product.name,
        "manufacturer": case.product.manufacturer,
        "batch_lot": case.kit_lot_numbers,
        "infused_at": case.infused_at.isoformat() if case.infused_at else "",
        "route": "Intravenous infusion",
        "dechallenge": event.dechallenge,
        "rechallenge": event.rechallenge,
        "concomitant": event.concomitant,
        "reporter_name": doctor.user.get_full_name() or doctor.user.username,
        "reporter_registration": f"{doctor.registration_number} ({doctor.council})",
        "reporter_profession": doctor.specialty or "Physician",
        "reporter_address": f"{case.hospital.name}, {case.hospital.address}, {case.hospital.city}",
        "reporter_contact": doctor.user.email or case.hospital.phone,
    }


def adverse_event_forward(
    *,
    event: AdverseEvent,
    by: Any,
    sent_to: str = "",
    channel: str = "email",
    sent_at: dt.datetime | None = None,
) -> AdverseEventForward:
    """Record that the AE was sent to the manufacturer: what (the payload and its hash), to
    whom and when. The record is never changed."""
    if not access.may_forward_adverse_event(by, event.case):
        raise PermissionDenied(_("Only a facilitator records what was forwarded."))
    sent_to = (sent_to or settings.NPP_AE_MANUFACTURER_SAFETY_EMAIL).strip()
    if not sent_to:
        raise ValidationError(_("Say to whom it was sent."))
    sent_at = sent_at or timezone.now()
    if sent_at > timezone.now():
        raise ValidationError(_("It cannot have been sent in the future."))
    payload = adverse_event_payload(event)
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    with transaction.atomic():
        return AdverseEventForward.objects.create(
            adverse_event=event,
            sent_at=sent_at,
            sent_to=sent_to[:254],
            channel=channel[:30],
            payload=payload,
            sha256=digest,
            sent_by=by,
        )
