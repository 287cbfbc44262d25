"""What the guardian page shows: the case's stage in plain words, the next step and who owes
it, the days left to the 2nd birthday, the documents still needed from the family and the
infusion date once set. Nothing clinical, no lab value, no other family's data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cases.clock import IST, ist_date
from cases.selectors import second_birthday_clock
from cases.states import CaseState
from documents.models import Provider
from documents.selectors import checklist

# state: (where the case is, the next step, who owes it)
STAGES: dict[str, tuple[Promise, Promise, Promise]] = {
    CaseState.APPLICATION: (
        _("The application is being prepared."),
        _("The treating doctor starts collecting the documents."),
        _("The treating doctor"),
    ),
    CaseState.DOCUMENTS: (
        _("The documents for the import permit are being collected."),
        _("The doctor and the family send the documents still needed."),
        _("The treating doctor and you"),
    ),
    CaseState.REGULATORY_REVIEW: (
        _("The application is with the drug regulator (CDSCO)."),
        _("The regulator decides on the import permit (Form 12B)."),
        _("The regulator (CDSCO)"),
    ),
    CaseState.APPROVED: (
        _("The import permit has been granted."),
        _("The medicine is ordered and shipped to India."),
        _("The facilitator"),
    ),
    CaseState.CUSTOMS: (
        _("The medicine is on its way and is being cleared through customs."),
        _("Customs clearance at the airport."),
        _("The facilitator"),
    ),
    CaseState.DELIVERY: (
        _("The medicine has cleared customs and is going to the hospital."),
        _("The hospital receives the medicine and fixes the infusion date."),
        _("The hospital"),
    ),
    CaseState.INFUSION_SCHEDULED: (
        _("The infusion date is fixed."),
        _("Bring your child to the hospital on the infusion date."),
        _("You and the hospital"),
    ),
    CaseState.MONITORING: (
        _("The infusion has been given; follow-up tests are under way."),
        _("The follow-up blood tests the doctor asks for."),
        _("The treating doctor"),
    ),
    CaseState.CLOSED: (
        _("The case is complete."),
        _("Nothing more is needed."),
        _("Nobody"),
    ),
    CaseState.ON_HOLD: (
        _("The case is paused."),
        _("The facilitator will contact you about what happens next."),
        _("The facilitator"),
    ),
    CaseState.REJECTED: (
        _("The regulator has not approved the application yet."),
        _("The doctor and the facilitator prepare a new submission."),
        _("The treating doctor and the facilitator"),
    ),
    CaseState.CANCELLED: (
        _("The case was cancelled."),
        _("Nothing more is needed."),
        _("Nobody"),
    ),
}

# The family's checklist lines by document type code, in words for a family.
FAMILY_DOCUMENTS: dict[str, Promise] = {
    "patient_id": _(
        "Your child's identity document (birth certificate; Aadhaar if issued) and yours"
    ),
    "guardian_consent": _(
        "Your signed consent to the treatment and to the use of your child's data"
    ),
}


@dataclass(frozen=True)
class GuardianStatus:
    reference: str
    child_first_name: str
    stage: Any
    next_step: Any
    who: Any
    # The case's ``second_birthday`` clock (None once infused or ended): days left and date.
    days_to_second_birthday: int | None
    second_birthday: dt.date | None
    documents_needed: list[Any]
    infusion_on: dt.date | None
    infusion_given: bool
    consent_in_force: Any  # cases.Consent or None
    open: bool  # the case is still being worked on


def guardian_status(link: Any, today: dt.date) -> GuardianStatus:
    case = link.case
    patient = case.patient
    stage, next_step, who = STAGES[case.state]
    documents_needed: list[Any] = []
    if case.state in (CaseState.APPLICATION, CaseState.DOCUMENTS, CaseState.REJECTED):
        for line in checklist(case, CaseState.REGULATORY_REVIEW, today=today):
            if line.document_type.provider == Provider.FAMILY and not line.passes_gate:
                code = line.document_type.code
                documents_needed.append(FAMILY_DOCUMENTS.get(code, line.document_type.name))
    if documents_needed and case.state == CaseState.DOCUMENTS:
        who = _("You (the documents below), and the treating doctor")
    infused = case.infused_at
    when = infused or case.infusion_scheduled_at
    birthday = second_birthday_clock(case, at=dt.datetime.combine(today, dt.time(12), IST))
    return GuardianStatus(
        reference=case.reference,
        child_first_name=(patient.full_name.split() or [""])[0],
        stage=stage,
        next_step=next_step,
        who=who,
        days_to_second_birthday=birthday.days_left if birthday else None,
        second_birthday=birthday.due_on if birthday else None,
        documents_needed=documents_needed,
        infusion_on=ist_date(when) if when else None,
        infusion_given=infused is not None,
        consent_in_force=patient.current_consent(),
        open=case.state not in (CaseState.CLOSED, CaseState.CANCELLED),
    )
