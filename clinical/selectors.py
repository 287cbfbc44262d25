"""Scoped reads of the clinical records. Every function takes the reading user, narrows by
``cases.access`` before fetching (a case outside their scope is a 404, its clinical side
without ``sees_clinical`` too) and writes the read to the access log (``DocumentAccess``,
the log documents' downloads and identifying exports already go to)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from cases import access
from cases.clock import ist_date, today_ist
from cases.models import Case
from cases.selectors import case_for
from documents.models import DocumentAccess

from . import schedule
from .models import AdverseEvent, LabValue, SafetySignal, SteroidCourse


def log_read(user: Any, case: Case, what: str, *, action: str = "clinical_read") -> None:
    DocumentAccess.objects.create(
        document_id=None,
        case_reference=case.reference,
        document_label=what[:220],
        user_id=getattr(user, "pk", None),
        username=getattr(user, "username", "") or "anonymous",
        action=action,
    )


def clinical_case_for(user: Any, pk: Any) -> Case:
    """A case whose clinical side ``user`` may read, or 404 (same answer as out of scope)."""
    case = case_for(user, pk)
    if not access.sees_clinical(user, case):
        raise Http404("No such case.")
    return case


def monitoring(user: Any, case: Case, *, today: dt.date | None = None) -> dict[str, Any]:
    """What the monitoring page shows, read once and logged once."""
    if not access.sees_clinical(user, case):
        raise Http404("No such case.")
    log_read(user, case, "Monitoring: lab values, signals, steroid course, adverse events")
    today = today or today_ist()
    values = list(
        LabValue.objects.filter(case=case)
        .select_related("recorded_by")
        .order_by("-sampled_on", "test", "-pk")
    )
    current = [v for v in values if v.replaced_at is None]
    slots = (
        schedule.slot_views(ist_date(case.infused_at), [v for v in current if v.slot], today)
        if case.infused_at
        else []
    )
    return {
        "slots": slots,
        "values": values,
        "signals": list(case.safety_signals.select_related("decided_by", "lab_value")),
        "course": SteroidCourse.objects.filter(case=case).first(),
        "adverse_events": list(case.adverse_events.prefetch_related("forwards")),
        "outcomes": list(case.outcomes.all()),
    }


def lab_values(user: Any, case: Case) -> QuerySet[LabValue]:
    """Every lab value of ``case``, oldest sample first, replaced ones included (the API's
    list), read once and logged once."""
    if not access.sees_clinical(user, case):
        raise Http404("No such case.")
    log_read(user, case, "Lab values")
    return LabValue.objects.filter(case=case).order_by("sampled_on", "test", "pk")


def signal_for(user: Any, pk: Any) -> SafetySignal:
    signal = SafetySignal.objects.select_related("case").filter(pk=pk).first()
    if (
        signal is None
        or not access.may_see_case(user, signal.case)
        or not access.sees_clinical(user, signal.case)
    ):
        raise Http404("No such signal.")
    return signal


def adverse_event_for(user: Any, pk: Any) -> AdverseEvent:
    event = (
        AdverseEvent.objects.select_related(
            "case__patient", "case__doctor__user", "case__hospital", "case__product"
        )
        .filter(pk=pk)
        .first()
    )
    if (
        event is None
        or not access.may_see_case(user, event.case)
        or not access.sees_clinical(user, event.case)
    ):
        raise Http404("No such adverse event.")
    log_read(user, event.case, f"Adverse event {event.pk}")
    return event


def open_signals(cases: QuerySet[Case]) -> QuerySet[SafetySignal]:
    """Open signals on ``cases`` (already scoped by the caller), oldest first."""
    return (
        SafetySignal.objects.filter(case__in=cases, decided_at__isnull=True)
        .select_related("case__patient")
        .order_by("opened_at", "pk")
    )
