"""Outcomes at 3, 6 and 12 months after the infusion."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cases import access
from cases.clock import today_ist
from cases.models import Case

from ..models import (
    Outcome,
)
from ._common import _infusion_day, _locked

# --- Outcomes ---------------------------------------------------------------------------------

OUTCOME_FIELDS = (*Outcome.ASSESSED, "note")


def outcome_record(*, case: Case, by: Any, month: int, **values: Any) -> Outcome:
    """The 3-, 6- or 12-month outcome; recording a month again replaces it (auditlog keeps
    the earlier values)."""
    if not access.may_record_outcome(by, case):
        raise PermissionDenied(_("Only the treating doctor or a facilitator records outcomes."))
    unknown = set(values) - set(OUTCOME_FIELDS)
    if unknown:
        raise ValueError(f"An outcome records no {', '.join(sorted(unknown))}.")
    if month not in Outcome.MONTHS:
        raise ValidationError(_("Outcomes are recorded at 3, 6 and 12 months."))
    infusion_day = _infusion_day(case)
    assessed = values.get("assessed_on")
    if assessed is None:
        raise ValidationError(_("Enter the date of the assessment."))
    if assessed > today_ist():
        raise ValidationError(_("The assessment cannot be in the future."))
    if assessed < infusion_day:
        raise ValidationError(_("The assessment cannot be before the infusion."))
    with transaction.atomic():
        _locked(case)
        outcome = Outcome.objects.filter(case=case, month=month).first() or Outcome(
            case=case, month=month
        )
        for name, value in values.items():
            setattr(outcome, name, value)
        outcome.recorded_by = by
        outcome.full_clean()
        outcome.save()
    return outcome
