"""The data model of an import case and its state machine.

Transitions are verb methods on ``Case``. Their bodies only set fields; who may run them is
decided by ``cases.access`` and whether the case is ready by the rulebook
(``cases.rules``), which ``cases.services.case_apply`` evaluates once, under the row lock.
Nothing here calls the outside world: ``case_apply`` is the one door that runs a transition,
saves it and schedules side effects on commit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from . import access
from .clinical import (
    MAX_GESTATIONAL_AGE_WEEKS,
    MIN_GESTATIONAL_AGE_WEEKS,
    WeightOutOfRange,
    add_years,
    weight_band,
)
from .clock import today_ist
from .lab_fields import lab_value_field, uln_field
from .states import ACTIVE_STATES, CANCELLABLE_STATES, CaseState, Priority


class PortOffice(models.TextChoices):
    """CDSCO port offices named for Form 12B permits (DOMAIN.md §2.1, older CDSCO list)."""

    DCGI_HQ = "dcgi_hq", "DCGI headquarters, FDA Bhawan, New Delhi"
    DELHI_AIRPORT = "delhi_airport", "CDSCO Port Office, New Delhi (IGI Airport)"
    MUMBAI_AIRPORT = "mumbai_airport", "CDSCO Port Office, Mumbai Airport"
    CHENNAI_AIRPORT = "chennai_airport", "CDSCO Port Office, Chennai Airport"
    KOLKATA_AIRPORT = "kolkata_airport", "CDSCO Port Office, Kolkata Airport"
    HYDERABAD_AIRPORT = "hyderabad_airport", "CDSCO Port Office, Hyderabad Airport"
    BENGALURU_AIRPORT = "bengaluru_airport", "CDSCO Port Office, Bengaluru Airport"
    AHMEDABAD_AIRPORT = "ahmedabad_airport", "CDSCO Port Office, Ahmedabad Airport"
    CHENNAI_SEAPORT = "chennai_seaport", "CDSCO Port Office, Chennai Sea Port"
    MUMBAI_SEAPORT = "mumbai_seaport", "CDSCO Port Office, Mumbai Sea Port"
    NHAVA_SHEVA = "nhava_sheva", "CDSCO Port Office, Nhava Sheva Sea Port"


class Hospital(models.Model):
    name = models.CharField(max_length=200, unique=True)
    address = models.TextField()
    city = models.CharField(max_length=100)
    state = models.CharField("state / UT", max_length=100)
    phone = models.CharField(max_length=30, blank=True)
    port_office = models.CharField(
        "nearest CDSCO port office", max_length=40, choices=PortOffice.choices
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}, {self.city}"


class Doctor(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="doctor"
    )
    registration_number = models.CharField(
        "medical council registration number",
        max_length=50,
        unique=True,
        validators=[RegexValidator(r"\S", "Enter the medical council registration number.")],
    )
    council = models.CharField("medical council", max_length=120)
    specialty = models.CharField(max_length=120, blank=True)
    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="doctors")

    class Meta:
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self) -> str:
        return f"Dr {self.user.get_full_name() or self.user.username}"

    def clean(self) -> None:
        self.registration_number = (self.registration_number or "").strip()
        if not self.registration_number:
            raise ValidationError(
                {"registration_number": "Enter the medical council registration number."}
            )


class HospitalAdmin(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="hospital_admin"
    )
    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="admins")

    class Meta:
        verbose_name = "hospital admin"

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.username} ({self.hospital.name})"


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    OTHER = "X", "Other / not stated"


class IdentityDocument(models.TextChoices):
    BIRTH_CERTIFICATE = "birth_certificate", "Birth certificate"
    AADHAAR = "aadhaar", "Aadhaar"
    PASSPORT = "passport", "Passport"


class SmaType(models.TextChoices):
    TYPE_0 = "0", "Type 0"
    TYPE_1 = "1", "Type 1"
    TYPE_2 = "2", "Type 2"
    TYPE_3 = "3", "Type 3"
    PRESYMPTOMATIC = "presymptomatic", "Presymptomatic (newborn screening)"


class Patient(models.Model):
    full_name = models.CharField(max_length=200)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    guardian_name = models.CharField(max_length=200)
    guardian_relationship = models.CharField("relationship to the child", max_length=50)
    guardian_phone = models.CharField(max_length=30, blank=True)
    guardian_email = models.EmailField(blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField("state / UT", max_length=100)
    identity_document = models.CharField(
        max_length=30, choices=IdentityDocument.choices, default=IdentityDocument.BIRTH_CERTIFICATE
    )
    # Never a full Aadhaar number: the last four digits are enough to match documents.
    aadhaar_last4 = models.CharField(
        "Aadhaar (last 4 digits only)",
        max_length=4,
        blank=True,
        validators=[RegexValidator(r"^\d{4}$", "Enter exactly the last 4 digits, nothing more.")],
    )
    sma_type = models.CharField("SMA type", max_length=20, choices=SmaType.choices, blank=True)
    smn1_biallelic_confirmed = models.BooleanField(
        "SMN1 bi-allelic mutation confirmed", default=False
    )
    smn2_copy_number = models.PositiveSmallIntegerField(
        "SMN2 copy number", null=True, blank=True, validators=[MaxValueValidator(8)]
    )
    genetic_test_lab = models.CharField(max_length=200, blank=True)
    genetic_test_date = models.DateField(null=True, blank=True)
    # DOMAIN.md §1.1 [label], §1.10: not infused before 37 weeks corrected age.
    gestational_age_weeks = models.PositiveSmallIntegerField(
        "gestational age at birth (completed weeks)",
        null=True,
        blank=True,
        validators=[
            MinValueValidator(MIN_GESTATIONAL_AGE_WEEKS,
                              f"Below {MIN_GESTATIONAL_AGE_WEEKS} weeks cannot be right."),
            MaxValueValidator(MAX_GESTATIONAL_AGE_WEEKS,
                              f"Above {MAX_GESTATIONAL_AGE_WEEKS} weeks cannot be right."),
        ],
        help_text="Needed for babies under 15 weeks old: the infusion waits until 37 weeks "
                  "corrected age.",
    )
    # DOMAIN.md §1.6 [label]: postpone the infusion until an active infection resolves.
    active_infection = models.BooleanField(
        default=False, help_text="Tick while the child has an acute or uncontrolled infection."
    )

    class Meta:
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name

    def second_birthday(self) -> dt.date:
        return add_years(self.date_of_birth, 2)

    def is_under_two_on(self, day: dt.date) -> bool:
        """Zolgensma's label: less than 2 years old, i.e. before the 2nd birthday."""
        return day < self.second_birthday()

    def age_in_months(self, on: dt.date | None = None) -> int:
        on = on or today_ist()
        months = (on.year - self.date_of_birth.year) * 12 + on.month - self.date_of_birth.month
        return months - (on.day < self.date_of_birth.day)

    def current_consent(self) -> Consent | None:
        """The newest consent not withdrawn, if any."""
        return self.consents.filter(withdrawn_at__isnull=True).order_by("-given_at").first()

    def latest_weight(self, on: dt.date | None = None) -> WeightMeasurement | None:
        """The newest weight, or the newest measured on or before ``on`` (an India date)."""
        weights = self.weights.all() if on is None else self.weights.filter(measured_on__lte=on)
        return weights.order_by("-measured_on", "-id").first()


class WeightMeasurement(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="weights")
    measured_on = models.DateField()
    # DOMAIN.md §1.10: stored to 0.01 kg and never rounded (a weight decides the kit's band).
    weight_kg = models.DecimalField(
        "weight (kg)",
        max_digits=5,
        decimal_places=2,
        validators=[
            MinValueValidator(Decimal("0.5"), "A weight below 0.5 kg cannot be right."),
            MaxValueValidator(Decimal("30.0"), "A weight above 30.0 kg cannot be right."),
        ],
    )
    measured_by = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["-measured_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weight_kg__gte=Decimal("0.5"), weight_kg__lte=Decimal("30.0")),
                name="weight_between_0_5_and_30_kg",
            )
        ]

    def __str__(self) -> str:
        return f"{self.weight_kg} kg on {self.measured_on:%d %b %Y}"

    def clean(self) -> None:
        if self.measured_on and self.measured_on > today_ist():
            raise ValidationError({"measured_on": "A weight cannot be measured in the future."})


class Product(models.Model):
    name = models.CharField(max_length=120, unique=True)
    generic_name = models.CharField(max_length=200)
    manufacturer = models.CharField(max_length=200)
    storage_notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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
    infused_at = models.DateTimeField("actual infusion", null=True, blank=True)
    kit_lot_numbers = models.CharField("kit lot number(s)", max_length=200, blank=True)
    # DOMAIN.md §1.10: the band is fixed when the kit is ordered (set by ``dispatch``).
    kit_band_low_kg = models.DecimalField(
        "kit band from (kg)", max_digits=4, decimal_places=1, null=True, blank=True,
        editable=False,
    )
    kit_band_high_kg = models.DecimalField(
        "kit band to (kg)", max_digits=4, decimal_places=1, null=True, blank=True,
        editable=False,
    )
    band_change_decision = models.TextField(
        "manufacturer decision on the band change", blank=True,
        help_text="A facilitator records the manufacturer's decision when a later weight falls "
                  "in another band than the kit's.",
    )
    infusion_deviation_note = models.TextField(
        "protocol deviation note", blank=True,
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
        "reason for closing before monitoring is complete", max_length=20,
        choices=CloseReason.choices, blank=True,
    )
    close_override_reason = models.TextField("closing reason, in words", blank=True)
    steroid_taper_ended_on = models.DateField("prednisolone taper ended on", null=True,
                                              blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "state_changed_at"]),
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
        from . import rules

        return [blocker.message for blocker in rules.blockers(self, transition)]

    # --- Transitions: only field changes, no I/O ------------------------------------------

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CaseState.APPLICATION,
        target=CaseState.DOCUMENTS,
        permission=access.transition_permission("start_document_collection"),
        custom={"label": "Start document collection"},
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
        custom={"label": "Submit to regulator (Form 12A)"},
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
        custom={"label": "Record Form 12B permit"},
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
        custom={"label": "Record rejection"},
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
        custom={"label": "Resubmit (back to documents)"},
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
        custom={"label": "Dispatch (kit shipped)"},
    )
    def dispatch(self, by=None, description=None) -> None:
        # The kit is made up for one band (DOMAIN.md §1.10); the rulebook checked the weight.
        weight = self.patient.latest_weight()
        try:
            self.kit_band_low_kg, self.kit_band_high_kg = weight_band(weight.weight_kg)
        except (AttributeError, WeightOutOfRange):
            self.kit_band_low_kg = self.kit_band_high_kg = None

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=state,
        source=CaseState.CUSTOMS,
        target=CaseState.DELIVERY,
        permission=access.transition_permission("clear_customs"),
        custom={"label": "Clear customs"},
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
        custom={"label": "Confirm delivery and schedule infusion"},
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
        custom={"label": "Record infusion"},
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
        custom={"label": "Close case"},
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
        custom={"label": "Put on hold"},
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
        custom={"label": "Resume"},
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
        custom={"label": "Cancel case"},
    )
    def cancel(self, by=None, description=None) -> None:
        pass

    # --- Read helpers -------------------------------------------------------------------------

    def days_in_state(self, now: dt.datetime | None = None) -> int:
        return ((now or timezone.now()) - self.state_changed_at).days

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
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                           related_name="+")
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
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, related_name="+")
    raised_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name = "safety follow-up"

    def __str__(self) -> str:
        return f"Safety follow-up on {self.case}: {self.codes}"


class LabTest(models.TextChoices):
    """Post-infusion tests of the monitoring calendar (DOMAIN.md §1.8)."""

    LIVER = "liver", "Liver function (ALT, AST, bilirubin, PT/INR)"
    PLATELETS = "platelets", "Platelet count"
    TROPONIN = "troponin", "Troponin-I"


class LabResult(models.Model):
    """A result recorded after infusion; it marks the planned test nearest its date done."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="lab_results")
    test = models.CharField(max_length=20, choices=LabTest.choices)
    taken_on = models.DateField()
    alt = lab_value_field("alt")
    ast = lab_value_field("ast")
    total_bilirubin = lab_value_field("total_bilirubin")
    platelets = lab_value_field("platelets")
    troponin_i = lab_value_field("troponin_i")
    alt_uln = uln_field("alt")
    ast_uln = uln_field("ast")
    total_bilirubin_uln = uln_field("total_bilirubin")
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["taken_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_test_display()} on {self.taken_on:%d %b %Y}"

    def clean(self) -> None:
        if self.taken_on and self.taken_on > today_ist():
            raise ValidationError({"taken_on": "A sample cannot be taken in the future."})


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    IN_APP = "in_app", "In the portal"


class Notification(models.Model):
    """One reminder to one recipient on one channel: an outbox row.

    ``dedupe_key`` (kind, case, recipient, due date, channel) is unique, so however often the
    sweep runs or a task is retried, a reminder exists once. An email goes through ``status``
    (see ``cases.delivery``): a delivery claims a ``pending`` row (``connecting``), records
    ``handed_over`` (committed) just before the mail server is given the message, and ``sent``
    once the server accepts it. A delivery that stops after the hand-over without an answer
    leaves it ``uncertain``: a person checks (by ``message_id``) instead of a second email
    going out. Refusals end ``failed``. In-app rows are ``sent`` from the start.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CONNECTING = "connecting", "Connecting to the mail server"
        HANDED_OVER = "handed_over", "Handed over, no answer yet"
        SENT = "sent", "Sent"
        UNCERTAIN = "uncertain", "Uncertain: check before sending again"
        FAILED = "failed", "Failed"

    # A delivery may be running (or have died) in these; the outbox index covers only them.
    UNDELIVERED = (Status.PENDING, Status.CONNECTING, Status.HANDED_OVER)

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True,
                                  blank=True, related_name="notifications")
    recipient_email = models.EmailField(blank=True)
    kind = models.CharField(max_length=40)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    due_at = models.DateTimeField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    # The current attempt's lease starts here; it ends CLAIM_LEASE_SECONDS later.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # When the current attempt began giving the message to the mail server (SMTP DATA).
    handed_over_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # After a temporary failure: when the sweep enqueues a pending email again.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-due_at"]
        indexes = [
            models.Index(fields=["channel", "status", "due_at"], name="notification_outbox",
                         condition=models.Q(status__in=["pending", "connecting", "handed_over"])),
            models.Index(fields=["recipient", "channel", "-due_at"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient or self.recipient_email} ({self.case})"

    @property
    def message_id(self) -> str:
        """The email's Message-ID, the same for every attempt: a resend, or the mail server's
        log, shows which notification it is."""
        import hashlib

        digest = hashlib.sha256(self.dedupe_key.encode()).hexdigest()[:12]
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "npp.invalid"
        return f"<npp-notification-{self.pk}-{digest}@{domain}>"


class ConsentMethod(models.TextChoices):
    IN_PERSON = "in_person", "In person, identity document seen"
    DIGILOCKER = "digilocker", "DigiLocker token"
    VIDEO = "video", "Video call, identity document shown"


class Consent(models.Model):
    """The guardian's verifiable consent to processing the child's data (DPDP Act 2023 s.9(1),
    DOMAIN.md §5.2): who consented, how they were verified, which notice they read, when;
    and when it was withdrawn, if it was."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="consents")
    given_by = models.CharField("given by (guardian)", max_length=200)
    relationship = models.CharField(max_length=50)
    verified_how = models.CharField(max_length=20, choices=ConsentMethod.choices)
    notice_version = models.CharField("privacy notice version", max_length=20)
    given_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-given_at"]

    def __str__(self) -> str:
        state = "withdrawn" if self.withdrawn_at else "given"
        return f"Consent {state} by {self.given_by} (notice {self.notice_version})"
