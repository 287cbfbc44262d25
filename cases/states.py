"""The states of an import case, in the order a case normally moves through them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseState(models.TextChoices):
    APPLICATION = "application", _("Application")
    DOCUMENTS = "documents", _("Document collection")
    REGULATORY_REVIEW = "regulatory_review", _("Regulatory review")
    APPROVED = "approved", _("Approved (Form 12B)")
    CUSTOMS = "customs", _("Customs")
    DELIVERY = "delivery", _("Delivery")
    INFUSION_SCHEDULED = "infusion_scheduled", _("Infusion scheduled")
    MONITORING = "monitoring", _("Monitoring")
    CLOSED = "closed", _("Closed")
    ON_HOLD = "on_hold", _("On hold")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


# The main line, in order: the step indicator and the pipeline chart follow it.
MAIN_LINE = [
    CaseState.APPLICATION,
    CaseState.DOCUMENTS,
    CaseState.REGULATORY_REVIEW,
    CaseState.APPROVED,
    CaseState.CUSTOMS,
    CaseState.DELIVERY,
    CaseState.INFUSION_SCHEDULED,
    CaseState.MONITORING,
    CaseState.CLOSED,
]

# A case in one of these states is being worked on and may be put on hold.
ACTIVE_STATES = MAIN_LINE[:-1]

# Every state from which a case may still be cancelled.
CANCELLABLE_STATES = [s for s in CaseState if s not in (CaseState.CLOSED, CaseState.CANCELLED)]


class Priority(models.TextChoices):
    NORMAL = "normal", "Normal"
    URGENT = "urgent", "Urgent"
