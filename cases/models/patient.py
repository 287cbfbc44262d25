"""The child and the family: the patient, their weights and the guardian's consent (DPDP Act)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from ..clinical import (
    MAX_GESTATIONAL_AGE_WEEKS,
    MIN_GESTATIONAL_AGE_WEEKS,
)
from ..clock import today_ist


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
            MinValueValidator(
                MIN_GESTATIONAL_AGE_WEEKS,
                f"Below {MIN_GESTATIONAL_AGE_WEEKS} weeks cannot be right.",
            ),
            MaxValueValidator(
                MAX_GESTATIONAL_AGE_WEEKS,
                f"Above {MAX_GESTATIONAL_AGE_WEEKS} weeks cannot be right.",
            ),
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


class ConsentMethod(models.TextChoices):
    """How the guardian was verified as the child's parent (DPDP Rules 2025, Rule 10). The
    last two are the guardian page's choices (family app); each is a recorded choice, not an
    integration."""

    IN_PERSON = "in_person", "In person, identity document seen"
    DIGILOCKER = "digilocker", "DigiLocker token"
    VIDEO = "video", "Video call, identity document shown"
    DETAILS_HELD = "details_held", "Identity details already held by the facilitator"
    DOCUMENT = "document", "An identity document, checked by the facilitator"


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
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-given_at"]

    def __str__(self) -> str:
        state = "withdrawn" if self.withdrawn_at else "given"
        return f"Consent {state} by {self.given_by} (notice {self.notice_version})"
