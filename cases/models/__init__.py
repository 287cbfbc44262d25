"""The data model of an import case and its state machine.

Transitions are verb methods on ``Case``. Their bodies only set fields; who may run them is
decided by ``cases.access`` and whether the case is ready by the rulebook
(``cases.rules``), which ``cases.services.case_apply`` evaluates once, under the row lock.
Nothing here calls the outside world: ``case_apply`` is the one door that runs a transition,
saves it and schedules side effects on commit.
"""

from ..clock import today_ist
from .case import Case, CaseSequence, CloseReason, EligibilityOverride, SafetyFollowUp
from .monitoring import LabResult, LabTest
from .notifications import Channel, Notification
from .patient import (
    Consent,
    ConsentMethod,
    IdentityDocument,
    Patient,
    Sex,
    SmaType,
    WeightMeasurement,
)
from .places import Doctor, Hospital, HospitalAdmin, PortOffice, Product

__all__ = [
    "Case",
    "CaseSequence",
    "Channel",
    "CloseReason",
    "Consent",
    "ConsentMethod",
    "Doctor",
    "EligibilityOverride",
    "Hospital",
    "HospitalAdmin",
    "IdentityDocument",
    "LabResult",
    "LabTest",
    "Notification",
    "Patient",
    "PortOffice",
    "Product",
    "SafetyFollowUp",
    "Sex",
    "SmaType",
    "WeightMeasurement",
    "today_ist",
]
