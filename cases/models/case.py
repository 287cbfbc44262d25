"""The import case and its state machine (transitions only set fields; ``case_apply`` runs
them), its reference numbers, eligibility overrides and safety follow-ups."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from .. import access
from ..clinical import (
    WeightOutOfRange,
    weight_band,
)
from ..states import ACTIVE_STATES, CANCELLABLE_STATES, CaseState, Priority
from .patient import Patient
from .places import Doctor, Hospital, Product


class CaseSequence(models.Model):
    """The last reference number handed out in a year; rows are locked while numbering."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class CloseReason(models.TextChoices):
    """Why a case closes before its monitoring is complete (DOMAIN.md §1.10, §4 item 20)."""

    DEATH = "death", "Death"
    TRANSFER = "transfer", "Transferred to another centre"
    LOST = "lost_to_follow_up", "Lost to follow-up"
    OTHER = "other", "Other (explain)"


class Case(ConcurrentTransitionMixin, models.Model):
    reference = models.CharField(max_length=20, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="cases")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="cases")
    doctor = models.ForeignKey(
        Doctor, on_delete=models.PROTECT, related_name="cases", verbose_name="treating doctor"
    )
    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="cases")
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name="assigned facilitator",
        limit_choices_to={"is_staff": True},
    )
    state = FSMField(default=CaseState.APPLICATION, choices=CaseState.choices, protected=True)
    state_changed_at = models.DateTimeField(default=timezone.now, editable=False)
    # The clock of the stage's expected duration: when the stage began, moved later by the
    # time spent on hold since (a hold pauses it; cases.deadlines.stage_clock_after).
    stage_clock_from = models.DateTimeField(default=timezone.now, editable=False)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Regulatory review (Form 12A -> Form 12B).
    permit_number = models.CharField("Form 12B permit number", max_length=60, blank=True)
    permit_issued_on = models.DateField("permit issue date", null=True, blank=True)
    permit_valid_until = models.DateField("permit valid until", null=True, blank=True)
    rejection_reason = models.TextField(blank=True)

    # Order and transit.
    supplier_order_ref = models.CharField("supplier order reference", max_length=60, blank=True)
    awb_number = models.CharField("air waybill number", max_length=40, blank=True)
    courier = models.CharField(max_length=100, blank=True)
    eta = models.DateTimeField("ETA", null=True, blank=True)

    # Customs.
    bill_of_entry_number = models.CharField(max_length=40, blank=True)
    duty_exemption_claimed = models.BooleanField("customs duty exemption claimed", default=False)

    # Delivery and infusion.
    received_at = models.DateTimeField("delivery received at", null=True, blank=True)
    received_by = models.CharField(max_length=120, blank=True)
    temperature_ok = models.BooleanField("temperature on arrival OK", null=True, blank=True)
    infusion_scheduled_at = models.DateTimeField(null=True, blank=True)
    # DOMAIN.md §1.5: a drawn syringe is infused within 8 hours (recorded with the infusion).
    syringe_drawn_at = models.DateTimeField("syringe drawn up at", null=True, blank=True)
    infused_at = models.DateTimeField("actual infusion", null=True, blank=True)
    kit_lot_numbers = models.CharField("kit lot number(s)", max_length=200, blank=True)
    # DOMAIN.md §1.10: the band is fixed when the kit is ordered (set by ``dispatch``).
    kit_band_low_kg = models.DecimalField(
        "kit band from (kg)",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        editable=False,
    )
    kit_band_high_kg = models.DecimalField(
        "kit band to (kg)",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        editable=False,
    )
    band_change_decision = models.TextField(
        "manufacturer decision on the band change",
        blank=True,
        help_text="A facilitator records the manufacturer's decision when a later weight falls "
        "in another band than the kit's.",
    )
    infusion_deviation_note = models.TextField(
        "protocol deviation note",
        blank=True,
        help_text="A facilitator's note when an infusion happened after the 2nd birthday, "
        "outside the 14-day window or with a changed weight band.",
    )

    # Holds, cancellations and closing.
    hold_from_state = models.CharField(
        max_length=30, choices=CaseState.choices, blank=True, editable=False
    )
    hold_reason = models.TextField(blank=True)
    cancellation_reason = models.TextField(blank=True)
    close_reason = models.CharField(
        "reason for closing before monitoring is complete",
        max_length=20,
        choices=CloseReason.choices,
        blank=True,
    )
    close_override_reason = models.TextField("closing reason, in words", blank=True)
    steroid_taper_ended_on = models.DateField("prednisolone taper ended on", null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "state_changed_at"]),
            # The sweep's and the dashboard's "stage overdue" (cases.deadlines).
            models.Index(fields=["state", "stage_clock_from"], name="case_stage_clock"),
            # The other clocks the sweep and the dashboard look up by date, each within the
            # state it runs in (cases.reminders.rules, cases.deadlines).
            # Covering: the monitoring clocks read one slot at a time from this index alone.
            models.Index(
                fields=["state", "infused_at"], name="case_state_infused", include=["id", "product"]
            ),
            models.Index(fields=["state", "infusion_scheduled_at"], name="case_state_planned"),
            models.Index(fields=["state", "eta"], name="case_state_eta"),
            models.Index(fields=["state", "permit_valid_until"], name="case_state_permit"),
            models.Index(
                fields=["received_at"],
                name="case_cold_chain",
                condition=models.Q(received_at__isnull=False, infused_at__isnull=True),
            ),
            # Lists show the newest cases first: the admin's and each portal's (by scope).
            models.Index(fields=["-created_at", "-id"], name="case_newest"),
            models.Index(fields=["doctor", "-created_at", "-id"], name="case_doctor_newest"),
            models.Index(fields=["hospital", "-created_at", "-id"], name="case_hospital_newest"),
        ]
        permissions = [("run_any_transition", "Can run any case transition")]

    def __str__(self) -> str:
        return self.reference or "new case"

    # --- Guards ----------------------------------------------------------------------------

    def blockers(self, transition: str) -> list[str]:
        """What stops ``transition`` now, in words (for templates): the rulebook's messages."""
        from .. import rules

        return [blocker.message for blocker in rules.blockers(self, transition)]

    # --- Transitions: only field changes, no I/O ------------------------------------------

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CaseState.APPLICATION,
        target=CaseState.DOCUMENTS,
        permission=access.transition_permission("start_document_collection"),
        custom={"label": _("Start document collection")},
    )
    def start_document_collection(self, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CaseState.DOCUMENTS,
        target=CaseState.REGULATORY_REVIEW,
        permission=access.transition_permission("submit_to_regulator"),
        custom={"label": _("Submit to regulator (Form 12A)")},
    )
    def submit_to_regulator(self, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CaseState.REGULATORY_REVIEW,
        target=CaseState.APPROVED,
        permission=access.transition_permission("record_permit"),
        custom={"label": _("Record Form 12B permit")},
    )
    def record_permit(self, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CaseState.REGULATORY_REVIEW,
        target=CaseState.REJECTED,
        permission=access.transition_permission("record_rejection"),
        custom={"label": _("Record rejection")},
    )
    def record_rejection(self, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CaseState.REJECTED,
        target=CaseState.DOCUMENTS,
        permission=access.transition_permission("resubmit"),
        custom={"label": _("Resubmit (back to documents)")},
    )
    def resubmit(self, by=None, description=None) -> None:
        self.rejection_reason = ""

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CaseState.APPROVED,
        target=CaseState.CUSTOMS,
        permission=access.transition_permission("dispatch"),
        custom={"label": _("Dispatch (kit shipped)")},
    )
    def dispatch(self, by=None, description=None) -> None:
        # The kit is made up for one band (DOMAIN.md §1.10); the rulebook checked the weight.
        weight = self.patient.latest_weight()
        try:
            self.kit_band_low_kg, self.kit_band_high_kg = (
                weight_band(weight.weight_kg) if weight else (None, None)
            )
        except (AttributeError, WeightOutOfRange):
            self.kit_band_low_kg = self.kit_band_high_kg = None

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CaseState.CUSTOMS,
        target=CaseState.DELIVERY,
        permission=access.transition_permission("clear_customs"),
        custom={"label": _("Clear customs")},
    )
    def clear_customs(self, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CaseState.DELIVERY,
        target=CaseState.INFUSION_SCHEDULED,
        permission=access.transition_permission("confirm_delivery_and_schedule"),
        custom={"label": _("Confirm delivery and schedule infusion")},
    )
    def confirm_delivery_and_schedule(self, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CaseState.INFUSION_SCHEDULED,
        target=CaseState.MONITORING,
        permission=access.transition_permission("record_infusion"),
        custom={"label": _("Record infusion")},
    )
    def record_infusion(self, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CaseState.MONITORING,
        target=CaseState.CLOSED,
        permission=access.transition_permission("close"),
        custom={"label": _("Close case")},
    )
    def close(self, by=None, description=None) -> None:
        pass

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=ACTIVE_STATES,
        target=CaseState.ON_HOLD,
        permission=access.transition_permission("hold"),
        custom={"label": _("Put on hold")},
    )
    def hold(self, by=None, description=None) -> None:
        # django-fsm sets the new state after this body runs, so self.state is the source.
        self.hold_from_state = self.state

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CaseState.ON_HOLD,
        target=RETURN_VALUE(*ACTIVE_STATES),
        permission=access.transition_permission("resume"),
        custom={"label": _("Resume")},
    )
    def resume(self, by=None, description=None) -> str:
        back_to = self.hold_from_state
        self.hold_from_state = ""
        self.hold_reason = ""
        return back_to

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CANCELLABLE_STATES,
        target=CaseState.CANCELLED,
        permission=access.transition_permission("cancel"),
        custom={"label": _("Cancel case")},
    )
    def cancel(self, by=None, description=None) -> None:
        pass

    # --- Read helpers -------------------------------------------------------------------------

    def days_in_state(self, now: dt.datetime | None = None) -> int:
        return ((now or timezone.now()) - self.state_changed_at).days

    def permit_expired_on(self, day: dt.date) -> bool:
        """Whether the Form 12B permit is no longer valid on ``day``, an India date (it is
        valid through its last day). The rulebook's ``permit_expired`` and the pages ask here."""
        return self.permit_valid_until is not None and self.permit_valid_until < day

    def cold_chain_ends_at(self) -> dt.datetime | None:
        """The instant the received kit's 14 x 24 hours end (DOMAIN.md §1.5, §1.10)."""
        if not self.received_at:
            return None
        return self.received_at + dt.timedelta(days=settings.NPP_COLD_CHAIN_DAYS)

    def cold_chain_deadline(self) -> dt.date | None:
        """The India date on which the kit's window ends (for day counts and calendars)."""
        ends_at = self.cold_chain_ends_at()
        return timezone.localdate(ends_at) if ends_at else None

    @property
    def kit_band_label(self) -> str:
        if self.kit_band_high_kg is None:
            return ""
        return f"{self.kit_band_low_kg}-{self.kit_band_high_kg} kg"


class EligibilityOverride(models.Model):
    """A facilitator's written decision to let one failing eligibility criterion pass."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="eligibility_overrides")
    criterion = models.CharField(max_length=40)
    reason = models.TextField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # Every override is kept; the newest for a criterion is the one in force.
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.case}: {self.criterion} overridden"


class SafetyFollowUp(models.Model):
    """A task for the facilitators raised by a protocol deviation (DOMAIN.md §1.10): an
    infusion recorded after the 2nd birthday, outside the 14-day window or with a changed
    weight band. Created by ``case_apply`` in the transition's own transaction."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="safety_follow_ups")
    transition = models.CharField(max_length=40)
    codes = models.CharField("rule codes", max_length=200)
    details = models.TextField()
    note = models.TextField("deviation note")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name = "safety follow-up"

    def __str__(self) -> str:
        return f"Safety follow-up on {self.case}: {self.codes}"
