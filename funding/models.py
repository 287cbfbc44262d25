"""A case's funding (DOMAIN.md §9 "Funding"): the manufacturer's quote with the exchange rate
used, and the sources paying for the kit, each with its pledge, its platform fee and its dated
receipts. Every amount is a ``Decimal`` in its own currency with the rate to rupees recorded
beside it; ``funding.selectors.case_funding`` adds them up."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.clock import today_ist

from .money import fee_for

POSITIVE = [MinValueValidator(Decimal("0.01"))]
NOT_NEGATIVE = [MinValueValidator(Decimal("0"))]


class Currency(models.TextChoices):
    INR = "INR", _("Indian rupee (INR)")
    USD = "USD", _("US dollar (USD)")
    EUR = "EUR", _("Euro (EUR)")
    GBP = "GBP", _("Pound sterling (GBP)")
    CHF = "CHF", _("Swiss franc (CHF)")
    AED = "AED", _("UAE dirham (AED)")


class SourceKind(models.TextChoices):
    CROWDFUNDING = "crowdfunding", _("Crowdfunding campaign")
    DONATION = "donation", _("Donation")
    EMPLOYER_INSURER = "employer_insurer", _("Employer or insurer")
    NPRD = "nprd", _("NPRD support (Centre of Excellence)")
    FAMILY = "family", _("Family")


def _check_rate(currency: str, rate: Decimal | None, field: str) -> dict[str, str]:
    if rate is None:
        return {}
    if currency == Currency.INR and rate != 1:
        return {field: "An amount in rupees is worth 1 rupee each: the rate must be 1."}
    if rate <= 0:
        return {field: "The exchange rate must be more than 0."}
    if currency != Currency.INR and rate == 1:
        return {
            field: f"Enter the rupees one {currency} was worth at the rate used; 1 is the rupee's."
        }
    return {}


class Quote(models.Model):
    """The manufacturer's quote for the kit. Every quote is kept; the newest is in force."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="funding_quotes")
    amount = models.DecimalField(max_digits=16, decimal_places=2, validators=POSITIVE)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    inr_per_unit = models.DecimalField(
        "exchange rate used (₹ per unit)",
        max_digits=14,
        decimal_places=6,
        help_text="Rupees per unit of the quote's currency; 1 for a quote in rupees.",
    )
    rate_source = models.CharField(
        "rate from", max_length=120, blank=True, help_text="e.g. RBI reference rate of 2 Dec."
    )
    valid_until = models.DateField("quote valid until")
    quote_reference = models.CharField(max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = "manufacturer's quote"

    def __str__(self) -> str:
        return f"{self.case}: {self.amount} {self.currency} until {self.valid_until:%d %b %Y}"

    def clean(self) -> None:
        errors = _check_rate(self.currency, self.inr_per_unit, "inr_per_unit")
        if errors:
            raise ValidationError(errors)


class Source(models.Model):
    """One source of money for the kit: a crowdfunding campaign (with its platform and link),
    a donation, an employer or insurer, NPRD support through a Centre of Excellence, or the
    family. The pledge is valued at the rate recorded with it."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="funding_sources")
    kind = models.CharField(max_length=20, choices=SourceKind.choices)
    name = models.CharField(
        max_length=160, help_text="The campaign's title, the donor, the employer, the centre."
    )
    platform = models.CharField(
        max_length=80, blank=True, help_text="Crowdfunding only: ImpactGuru, Milaap, Ketto..."
    )
    link = models.URLField(
        "campaign link", blank=True, help_text="Crowdfunding only: the campaign's page."
    )
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.INR)
    inr_per_unit = models.DecimalField(
        "exchange rate for the pledge (₹ per unit)",
        max_digits=14,
        decimal_places=6,
        default=Decimal("1"),
    )
    pledged = models.DecimalField(
        max_digits=16, decimal_places=2, validators=NOT_NEGATIVE, default=Decimal("0")
    )
    fee_percent = models.DecimalField(
        "platform fee (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Withheld from each receipt unless the receipt gives its own fee.",
    )
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "recorded_at", "pk"]
        verbose_name = "funding source"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"

    def clean(self) -> None:
        errors = _check_rate(self.currency, self.inr_per_unit, "inr_per_unit")
        if self.kind == SourceKind.CROWDFUNDING:
            if not self.platform.strip():
                errors["platform"] = "A crowdfunding campaign needs its platform."
            if not self.link:
                errors["link"] = "A crowdfunding campaign needs the link to its page."
        if self.fee_percent is not None and self.fee_percent >= 100:
            errors["fee_percent"] = "A platform fee must be less than 100%."
        if errors:
            raise ValidationError(errors)


class Receipt(models.Model):
    """Money received from a source on a date: the gross amount, the platform's fee withheld,
    and the rate at which it was converted to rupees that day."""

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="receipts")
    received_on = models.DateField()
    amount = models.DecimalField(
        "amount received (gross)", max_digits=16, decimal_places=2, validators=POSITIVE
    )
    fee = models.DecimalField(
        "platform fee withheld",
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=NOT_NEGATIVE,
        help_text="Blank: the source's fee percentage of the amount.",
    )
    inr_per_unit = models.DecimalField(
        "exchange rate used (₹ per unit)", max_digits=14, decimal_places=6, default=Decimal("1")
    )
    reference = models.CharField(
        "transaction reference", max_length=80, blank=True, help_text="UTR or payout number."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_on", "pk"]

    def __str__(self) -> str:
        return f"{self.amount} {self.source.currency} on {self.received_on:%d %b %Y}"

    @property
    def fee_withheld(self) -> Decimal:
        if self.fee is not None:
            return self.fee
        return fee_for(self.amount, self.source.fee_percent)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        # The source may be unsaved yet (a new source and its first receipt in one form).
        source = self.source if "source" in self._state.fields_cache or self.source_id else None
        if source is not None:
            errors |= _check_rate(source.currency, self.inr_per_unit, "inr_per_unit")
        if self.received_on and self.received_on > today_ist():
            errors["received_on"] = "Money cannot have been received in the future."
        if self.fee is not None and self.amount is not None and self.fee > self.amount:
            errors["fee"] = "The fee withheld cannot exceed the amount received."
        if errors:
            raise ValidationError(errors)
