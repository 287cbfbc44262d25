"""The facilitators' main screen.

The case page shows only the transitions the user may run from the current state, each with
the facts it records. Buttons post to ``transition_view``, which calls ``case_apply``; the
admin never sets a state or calls a transition itself.

The case page's document parts (checklist, versions, upload, packets) belong to the documents
app, which sits above this one: ``documents.admin`` registers ``Case`` again with a subclass of
``CaseModelAdmin`` that adds them through the hooks marked below.
"""

from .base import (
    SESSION_RETRY_KEY,
    AccessInlineMixin,
    FacilitatorOnlyMixin,
    save_inline_through,
    shown_by_name,
)
from .case import FACT_FIELDS, STAGE_FIELDSETS, CaseModelAdmin, LabResultInline
from .people import PatientModelAdmin
from .records import AuditTrailAdmin, NotificationAdmin, SafetyFollowUpAdmin

__all__ = [
    "FACT_FIELDS",
    "SESSION_RETRY_KEY",
    "STAGE_FIELDSETS",
    "AccessInlineMixin",
    "AuditTrailAdmin",
    "CaseModelAdmin",
    "FacilitatorOnlyMixin",
    "LabResultInline",
    "NotificationAdmin",
    "PatientModelAdmin",
    "SafetyFollowUpAdmin",
    "save_inline_through",
    "shown_by_name",
]
