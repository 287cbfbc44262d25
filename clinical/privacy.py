"""The clinical records of a patient for a data-principal access request (DPDP Act 2023,
DOMAIN.md §5.2): ``npp/management/commands/export_patient_data.py`` adds them to what
``cases.privacy.patient_data_export`` gives."""

from __future__ import annotations

from typing import Any

from cases.privacy import exported_row

from .models import AdverseEvent, LabValue, Outcome, SafetySignal, SteroidCourse, TmaCheck

# Who entered a record is the staff's data, not the patient's (as in cases.privacy).
STAFF = ("recorded_by", "decided_by", "reported_by", "sent_by")


def _rows(queryset, *exclude: str) -> list[dict[str, Any]]:
    return [exported_row(obj, exclude=("case", *STAFF, *exclude)) for obj in queryset]


def clinical_data_export(patient: Any) -> dict[str, list[dict[str, Any]]]:
    """Every clinical record of each of the patient's cases: lab values (replaced ones too,
    as history), TMA checks, safety signals and their decisions, the steroid course, adverse
    events with their forwarding records, and the outcomes."""
    found = []
    for case in patient.cases.order_by("pk"):
        course = SteroidCourse.objects.filter(case=case).first()
        events = AdverseEvent.objects.filter(case=case).prefetch_related("forwards").order_by("pk")
        found.append(
            {
                "case": case.reference,
                "lab_values": _rows(LabValue.objects.filter(case=case).order_by("pk")),
                "tma_checks": _rows(TmaCheck.objects.filter(case=case).order_by("pk")),
                "safety_signals": _rows(SafetySignal.objects.filter(case=case).order_by("pk")),
                "steroid_course": exported_row(course, exclude=("case", *STAFF))
                if course
                else None,
                "adverse_events": [
                    {
                        **exported_row(event, exclude=("case", *STAFF)),
                        "forwards": _rows(event.forwards.order_by("pk"), "adverse_event"),
                    }
                    for event in events
                ],
                "outcomes": _rows(Outcome.objects.filter(case=case).order_by("month", "pk")),
            }
        )
    return {"clinical": found}
