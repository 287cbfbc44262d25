"""What is recorded after the infusion: lab values per slot (with history), TMA checks, safety
signals, the steroid course, adverse events with what was forwarded, and outcomes.

Lab values supersede ``cases.LabResult`` as the record of a result: one row per test with its
unit, the lab's ULN and reference range as printed, the lab and the source document. For the
callers that read the panel rows (the calendar, the reminder sweep, the deadlines), the
service keeps one ``cases.LabResult`` per slot and panel in step (``PanelBridge``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, LabResult

USER = settings.AUTH_USER_MODEL


class LabValue(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="lab_values")
    slot = models.CharField(
        _("monitoring slot"), max_length=20, blank=True
    )  # "week_1"; blank: unscheduled
    test = models.CharField(max_length=30)
    test_name = models.CharField(_("test name (other tests)"), max_length=100, blank=True)
    value = models.DecimalField(max_digits=14, decimal_places=4)
    unit = models.CharField(max_length=20)
    uln = models.DecimalField(
        _("upper limit of normal printed by the lab"),
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
    )
    reference_range = models.CharField(_("reference range as printed"), max_length=60, blank=True)
    sampled_on = models.DateField(_("sampled on"))
    lab = models.CharField(max_length=200, blank=True)
    source_document = models.ForeignKey(
        "documents.Document", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    # History: a second value for the same test and slot replaces this one, which stays.
    replaced_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["sampled_on", "test", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "slot", "test", "test_name"],
                condition=Q(replaced_at__isnull=True) & ~Q(slot=""),
                name="clinical_one_current_value_per_slot_and_test",
            )
        ]
        indexes = [models.Index(fields=["case", "slot", "test"], name="clinical_value_slot")]

    def __str__(self) -> str:
        from .catalogue import label_of

        return f"{label_of(self.test, self.test_name)} {self.value.normalize()} {self.unit} ({self.sampled_on:%d %b %Y})"

    @property
    def current(self) -> bool:
        return self.replaced_at is None

    @property
    def test_label(self) -> str:
        from .catalogue import label_of

        return label_of(self.test, self.test_name)


class PanelBridge(models.Model):
    """The ``cases.LabResult`` panel row kept in step with one slot's values of a panel."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    slot = models.CharField(max_length=20)
    panel = models.CharField(max_length=20)
    result = models.OneToOneField(LabResult, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "slot", "panel"], name="clinical_one_bridge")
        ]

    def __str__(self) -> str:
        return f"{self.panel} panel of {self.slot}"


class TmaCheck(models.Model):
    """The TMA watch at a slot (DOMAIN.md §1.8): the signs the doctor ticked, or none."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tma_checks")
    slot = models.CharField(max_length=20, blank=True)
    observed_on = models.DateField()
    hypertension = models.BooleanField(default=False)
    bruising = models.BooleanField(default=False)
    seizures = models.BooleanField(default=False)
    reduced_urine_output = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["observed_on", "pk"]
        verbose_name = "TMA check"

    def __str__(self) -> str:
        return f"TMA check {self.observed_on:%d %b %Y}"

    def signs(self) -> list[str]:
        from .thresholds import TMA_SIGNS

        return [name for name in TMA_SIGNS if getattr(self, name)]


class SafetySignal(models.Model):
    """A threshold crossed (DOMAIN.md §1.8-1.9); open until a doctor records a decision."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="safety_signals")
    kind = models.CharField(max_length=40)
    slot = models.CharField(max_length=20, blank=True)
    message = models.TextField()
    lab_value = models.ForeignKey(
        LabValue, on_delete=models.SET_NULL, null=True, blank=True, related_name="signals"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    decision = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            # One open signal per kind and slot: a replaced value updates it, not a second one.
            models.UniqueConstraint(
                fields=["case", "kind", "slot"],
                condition=Q(decided_at__isnull=True) & ~Q(slot=""),
                name="clinical_one_open_signal",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.message}"

    @property
    def is_open(self) -> bool:
        return self.decided_at is None


class SteroidDecision(models.TextChoices):
    TAPER = "taper", _("Unremarkable: taper over 28 days")
    CONTINUE = "continue", _("Abnormal: continue 1 mg/kg/day and review again")


class SteroidCourse(models.Model):
    """Prednisolone from day -1 at 1 mg/kg/day (DOMAIN.md §1.7), the day-30 review's decision
    and the taper. Never stopped abruptly: a stop is the end of a taper."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="steroid_course")
    started_on = models.DateField()
    weight_kg = models.DecimalField(_("infusion-day weight (kg)"), max_digits=5, decimal_places=2)
    dose_mg = models.DecimalField(_("daily dose (mg)"), max_digits=6, decimal_places=2)
    review_on = models.DateField(_("day-30 review on"), null=True, blank=True)
    decision = models.CharField(max_length=10, choices=SteroidDecision.choices, blank=True)
    decision_note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    next_review_on = models.DateField(null=True, blank=True)  # after "continue"
    taper_started_on = models.DateField(null=True, blank=True)
    taper_ended_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")

    def __str__(self) -> str:
        return f"Prednisolone course of {self.case}"

    @property
    def taper_due_end(self) -> dt.date | None:
        from cases.clinical import TAPER_DAYS

        if self.taper_started_on is None:
            return None
        return self.taper_started_on + dt.timedelta(days=TAPER_DAYS - 1)


class Aesi(models.TextChoices):
    """Adverse events of special interest (DOMAIN.md §1.9)."""

    NONE = "", _("None of these")
    LIVER = "liver_injury", _("Acute serious liver injury / acute liver failure")
    AMINOTRANSFERASES = "aminotransferases", _("Elevated aminotransferases")
    VOMITING = "vomiting", _("Vomiting")
    THROMBOCYTOPENIA = "thrombocytopenia", _("Thrombocytopenia")
    TMA = "tma", _("Thrombotic microangiopathy (TMA)")
    TROPONIN = "troponin", _("Troponin-I elevation")
    IMMUNE = "immune_response", _("Systemic immune response, pyrexia")
    INFUSION = "infusion_reaction", _("Infusion-related reaction")
    TUMOUR = "tumour", _("Tumour")


class AeOutcome(models.TextChoices):
    """PvPI form outcomes (DOMAIN.md §9)."""

    RECOVERED = "recovered", _("Recovered")
    RECOVERING = "recovering", _("Recovering")
    NOT_RECOVERED = "not_recovered", _("Not recovered")
    FATAL = "fatal", _("Fatal")
    SEQUELAE = "sequelae", _("Recovered with sequelae")
    UNKNOWN = "unknown", _("Unknown")


SERIOUSNESS = (
    ("death", _("Death")),
    ("life_threatening", _("Life-threatening")),
    ("hospitalisation", _("Hospitalisation (initial or prolonged)")),
    ("disability", _("Disability")),
    ("congenital_anomaly", _("Congenital anomaly")),
    ("other_medically_important", _("Other medically important")),
)


class AdverseEvent(models.Model):
    """A suspected adverse reaction with the fields of the PvPI Suspected ADR Reporting Form
    (DOMAIN.md §9); the forwarding clock runs from ``aware_at`` (DOMAIN.md §5.1)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="adverse_events")
    aware_at = models.DateTimeField(_("became aware at"))
    onset_on = models.DateField(_("onset date"))
    stopped_on = models.DateField(_("stop date"), null=True, blank=True)
    description = models.TextField(_("description of the reaction"))
    relevant_tests = models.TextField(_("relevant tests with dates"), blank=True)
    aesi = models.CharField(
        _("event of special interest"), max_length=30, choices=Aesi.choices, blank=True
    )
    death = models.BooleanField(default=False)
    death_on = models.DateField(null=True, blank=True)
    life_threatening = models.BooleanField(default=False)
    hospitalisation = models.BooleanField(default=False)
    disability = models.BooleanField(default=False)
    congenital_anomaly = models.BooleanField(default=False)
    other_medically_important = models.BooleanField(default=False)
    outcome = models.CharField(max_length=20, choices=AeOutcome.choices, default=AeOutcome.UNKNOWN)
    dechallenge = models.CharField(max_length=200, blank=True)
    rechallenge = models.CharField(max_length=200, blank=True)
    concomitant = models.TextField(_("concomitant medicines"), blank=True)
    forward_due_at = models.DateTimeField()
    # When the reminder goes if nothing was forwarded (the warning fixed when reported).
    forward_remind_at = models.DateTimeField()
    reported_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    reported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-aware_at", "-pk"]
        verbose_name = "adverse event"

    def __str__(self) -> str:
        return f"AE on {self.case}: {self.description[:60]}"

    @property
    def serious(self) -> bool:
        return any(getattr(self, name) for name, _label in SERIOUSNESS)

    def seriousness_labels(self) -> list[str]:
        return [str(label) for name, label in SERIOUSNESS if getattr(self, name)]


class AdverseEventForward(models.Model):
    """What was sent about an adverse event, to whom and when. Never changed or deleted."""

    adverse_event = models.ForeignKey(
        AdverseEvent, on_delete=models.PROTECT, related_name="forwards"
    )
    sent_at = models.DateTimeField()
    sent_to = models.CharField(max_length=254)
    channel = models.CharField(max_length=30)
    payload = models.JSONField()
    sha256 = models.CharField(max_length=64)
    sent_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["sent_at", "pk"]

    def __str__(self) -> str:
        return f"Sent to {self.sent_to} at {timezone.localtime(self.sent_at):%d %b %Y %H:%M} IST"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError("A forwarding record cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("A forwarding record cannot be deleted.")


class Ventilation(models.TextChoices):
    NONE = "none", _("None")
    NON_INVASIVE = "non_invasive", _("Non-invasive (e.g. BiPAP)")
    INVASIVE = "invasive", _("Invasive")


class Feeding(models.TextChoices):
    ORAL = "oral", _("Oral")
    TUBE = "tube", _("Nasogastric tube")
    GASTROSTOMY = "gastrostomy", _("Gastrostomy")


class Outcome(models.Model):
    """Motor milestones and support at 3, 6 and 12 months after the infusion."""

    MONTHS = (3, 6, 12)
    # What an assessment records (the milestones and support), in the order every form,
    # list and export shows them; ``note`` is the doctor's free text beside them.
    ASSESSED = (
        "assessed_on",
        "head_control",
        "sits_unaided",
        "stands",
        "walks",
        "ventilation",
        "feeding",
    )

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="outcomes")
    month = models.PositiveSmallIntegerField(choices=[(m, f"{m} months") for m in MONTHS])
    assessed_on = models.DateField()
    head_control = models.BooleanField(default=False)
    sits_unaided = models.BooleanField(_("sitting unaided"), default=False)
    stands = models.BooleanField(_("standing"), default=False)
    walks = models.BooleanField(_("walking"), default=False)
    ventilation = models.CharField(max_length=20, choices=Ventilation.choices)
    feeding = models.CharField(max_length=20, choices=Feeding.choices)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["month"]
        constraints = [
            models.UniqueConstraint(fields=["case", "month"], name="clinical_one_outcome_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.month}-month outcome"
