"""Writes of the clinical app. Keyword-only, ``by=`` the acting user; each asks
``cases.access``, validates everything before writing anything (a ``ValidationError`` with
every message, nothing half saved) and runs in one transaction under the case's row lock.
django-auditlog records every row written (``AUDITLOG_INCLUDE_TRACKING_MODELS``)."""

from __future__ import annotations

from .adverse_events import (
    AE_FIELDS,
    adverse_event_forward,
    adverse_event_payload,
    adverse_event_report,
    forward_window,
)
from .labs import PanelSaved, lab_values_record, safety_signal_decide
from .outcomes import OUTCOME_FIELDS, outcome_record
from .steroid import (
    steroid_course_start,
    steroid_review_decide,
    steroid_taper_end,
    steroid_taper_start,
)

__all__ = [
    "AE_FIELDS",
    "OUTCOME_FIELDS",
    "PanelSaved",
    "adverse_event_forward",
    "adverse_event_payload",
    "adverse_event_report",
    "forward_window",
    "lab_values_record",
    "outcome_record",
    "safety_signal_decide",
    "steroid_course_start",
    "steroid_review_decide",
    "steroid_taper_end",
    "steroid_taper_start",
]
