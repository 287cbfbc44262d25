"""The PvPI Suspected ADR Reporting Form (HCP version 1.4, DOMAIN.md §9) filled from an
adverse event, as a PDF for the doctor to sign and file with PvPI (DOMAIN.md §5.1). Laid out
in the form's sections A-D with its seriousness and outcome boxes; rendered with WeasyPrint
from local files only (``documents.rendering``)."""

from __future__ import annotations

from django.utils import timezone

from cases.clock import IST
from documents.rendering import Footer, render_pdf

from .models import SERIOUSNESS, AdverseEvent, AeOutcome
from .services import adverse_event_payload


def pvpi_context(event: AdverseEvent) -> dict:
    payload = adverse_event_payload(event)
    case = event.case
    return {
        "event": event,
        "case": case,
        "p": payload,
        "seriousness": [(label, getattr(event, name)) for name, label in SERIOUSNESS],
        "outcomes": [(label, event.outcome == value) for value, label in AeOutcome.choices],
        "generated": timezone.now().astimezone(IST),
    }


def pvpi_pdf(event: AdverseEvent) -> bytes:
    footer = Footer(
        left=f"{event.case.reference} · AE {event.pk}",
        right=f"Generated {timezone.now().astimezone(IST):%d %b %Y %H:%M} IST",
    )
    return render_pdf("clinical/pvpi.html", pvpi_context(event), footer=footer).data
