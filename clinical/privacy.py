"""The clinical app's part of a patient's data (DPDP Act 2023, DOMAIN.md §5.2), registered
with ``cases.privacy.register_part``: the clinical records in an access request, and the
free text anonymisation removes (names can hide in a narrative; the values, dates, kinds and
outcomes the statistics need stay)."""

from __future__ import annotations

from typing import Any

from cases.privacy import exported_row

from .models import (
    AdverseEvent,
    AdverseEventForward,
    LabValue,
    Outcome,
    SafetySignal,
    SteroidCourse,
    TmaCheck,
)

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


def clinical_anonymise(patient: Any) -> None:
    """Replace the narratives of the patient's clinical records (an event's description, the
    doctors' decision notes, the outcomes' notes); the tests, medicines, kinds and dates stay.
    Queryset updates: a forwarded adverse event may not be edited through the app, but
    erasure is the law's."""
    cases = patient.cases.all()
    AdverseEvent.objects.filter(case__in=cases).update(description="(anonymised)")
    # What was forwarded keeps its hash (the proof of what was sent) but not the identifiers.
    for forward in AdverseEventForward.objects.filter(adverse_event__case__in=cases):
        payload = dict(forward.payload)
        born = payload.get("patient_date_of_birth") or ""
        payload.update(
            description="(anonymised)",
            patient_initials="",
            patient_date_of_birth=born[:8] + "01" if len(born) == 10 else "",
        )
        AdverseEventForward.objects.filter(pk=forward.pk).update(payload=payload)
    SafetySignal.objects.filter(case__in=cases).exclude(decision="").update(decision="(anonymised)")
    SteroidCourse.objects.filter(case__in=cases).exclude(decision_note="").update(
        decision_note="(anonymised)"
    )
    Outcome.objects.filter(case__in=cases).update(note="")
