"""Helpers every clinical service shares."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from cases.clock import ist_date
from cases.models import Case

from .. import catalogue


def _locked(case: Case) -> Case:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("doctor__user", "facilitator")
        .get(pk=case.pk)
    )


def _infusion_day(case: Case) -> dt.date:
    if case.infused_at is None:
        raise ValidationError(_("No infusion is recorded on this case yet."))
    return ist_date(case.infused_at)


def _decimal(raw: Any) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        number = Decimal(str(raw).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite():  # "nan", "inf" parse, but are not values
        raise catalogue.LabInputError(_("'%(raw)s' is not a number.") % {"raw": raw})
    return number
