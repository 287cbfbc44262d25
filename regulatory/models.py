"""The regulatory and customs file of a case, CDSCO's queries, and the reference data the
customs letter cites (DOMAIN.md §2.1, §3, §9).

- ``RegulatoryFile``: one per case. The applicant's facts for Form 12A (the parent or
  guardian: postal address with PIN code, occupation), the importer of record and the
  consignee, SUGAM tracking (application number, submitted at, permit received at), the
  rare-disease certificate, the shipment's facts for the customs letter and the Bill of Entry.
- ``CdscoQuery``: a query CDSCO raised on the SUGAM application, with its answer.
- Reference data, editable in the admin and seeded by ``0002_seed_reference_data`` from
  DOMAIN.md: ``ExemptionNotification`` (the duty exemptions claimed), ``PortOfficeDetail``
  (the CDSCO port offices and customs stations) and ``TariffHeading``. Each row says whether
  its value is confirmed; DOMAIN.md marks the notification numbers, the IGST reference and the
  sub-heading [unconfirmed], and so do the seeded rows.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models

from cases.clock import ist_date
from cases.models import PortOffice
from cases.money import amount_in

PIN_CODE = RegexValidator(
    r"^[1-9][0-9]{5}$", "Enter the 6-digit PIN code (six digits, the first not 0)."
)
CURRENCY_CODE = RegexValidator(r"^[A-Z]{3}$", "Enter the 3-letter currency code, e.g. USD.")


class Confirmation(models.Model):
    """Whether a reference value was checked against the official text (DOMAIN.md tags)."""

    confirmed = models.BooleanField(
        default=False,
        help_text="Tick only once the value has been checked against the official text. "
        "Seeded values are [unconfirmed] in DOMAIN.md.",
    )
    source = models.TextField(blank=True, help_text="Where the value comes from.")

    class Meta:
        abstract = True


class Levy(models.TextChoices):
    BCD = "bcd", "Basic customs duty (BCD)"
    IGST = "igst", "Integrated GST (IGST)"


class ExemptionNotification(Confirmation):
    """A duty exemption the customs letter claims, with its notification reference."""

    code = models.SlugField(max_length=40, unique=True)
    levy = models.CharField(max_length=10, choices=Levy.choices)
    title = models.CharField(max_length=300, help_text="What the exemption covers, in words.")
    notification_number = models.CharField(
        max_length=60, blank=True, help_text="e.g. 50/2017-Customs; blank when none is known."
    )
    serial_number = models.CharField("serial (S. No.)", max_length=20, blank=True)
    amended_by = models.CharField(max_length=120, blank=True)
    reference_text = models.CharField(
        max_length=300,
        blank=True,
        help_text="How the letter cites it when there is no notification number.",
    )
    condition = models.TextField(blank=True, help_text="The condition the importer must meet.")
    active = models.BooleanField(default=True, help_text="Claimed in new customs letters.")

    class Meta:
        ordering = ["levy", "code"]

    def __str__(self) -> str:
        return f"{self.get_levy_display()}: {self.citation}"

    @property
    def citation(self) -> str:
        """``Notification No. 50/2017-Customs, S. No. 167A, as amended by ...``."""
        if not self.notification_number:
            return self.reference_text or self.title
        parts = [f"Notification No. {self.notification_number}"]
        if self.serial_number:
            parts.append(f"S. No. {self.serial_number}")
        text = ", ".join(parts)
        if self.amended_by:
            text += f", as amended by Notification No. {self.amended_by}"
        return text


class PortKind(models.TextChoices):
    HEADQUARTERS = "headquarters", "Headquarters"
    AIRPORT = "airport", "Airport"
    SEAPORT = "seaport", "Sea port"


class PortOfficeDetail(Confirmation):
    """A CDSCO port office a hospital names (``Hospital.port_office``), where the customs letter
    is addressed and the consignment arrives."""

    code = models.CharField(max_length=40, unique=True, choices=PortOffice.choices)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=PortKind.choices)
    city = models.CharField(max_length=100)
    arrival_point = models.CharField(
        max_length=200, help_text="The airport or sea port where customs clears the kit."
    )
    rule_43a_listed = models.BooleanField(
        "listed under Rule 43A",
        default=False,
        help_text="Drugs may enter only through ports listed under Rule 43A (DOMAIN.md §2.1).",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "port office"

    def __str__(self) -> str:
        return self.name


class TariffHeading(Confirmation):
    """The customs tariff heading a product is declared under (DOMAIN.md §9: chapter 30)."""

    heading = models.CharField(
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^\d{4}(\s?\d{2}){0,2}$", "Enter 4, 6 or 8 digits.")],
    )
    description = models.CharField(max_length=300)

    class Meta:
        ordering = ["heading"]

    def __str__(self) -> str:
        return f"CTH {self.heading}: {self.description}"


class CertificateAuthority(models.TextChoices):
    """Who may issue the rare-disease certificate (DOMAIN.md §3.1)."""

    CENTRAL_DHS = "central_dhs", "Central Director of Health Services"
    STATE_DHS = "state_dhs", "State Director of Health Services"
    DMO = "dmo", "District Medical Officer"
    CIVIL_SURGEON = "civil_surgeon", "Civil Surgeon"


def _decimal(name: str, digits: int, places: int, **kwargs):
    return models.DecimalField(
        name,
        max_digits=digits,
        decimal_places=places,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        **kwargs,
    )


class RegulatoryFile(models.Model):
    """Everything the regulator, the port officer and the customs broker need from one case
    that the case itself does not hold. Written through ``regulatory.services``."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.PROTECT, related_name="regulatory_file"
    )

    # The applicant (Form 12A): the parent or guardian, applying for the child.
    applicant_address = models.TextField(
        "applicant's address", blank=True, help_text="House, street and locality."
    )
    applicant_city = models.CharField("applicant's city / town", max_length=100, blank=True)
    applicant_district = models.CharField("applicant's district", max_length=100, blank=True)
    applicant_state = models.CharField("applicant's state / UT", max_length=100, blank=True)
    applicant_pin = models.CharField(
        "applicant's PIN code", max_length=6, blank=True, validators=[PIN_CODE]
    )
    applicant_occupation = models.CharField("applicant's occupation", max_length=120, blank=True)
    # When a fact Form 12A prints last changed (regulatory.services): an application packet
    # built before it is out of date.
    form_12a_changed_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Importer of record and consignee (the customs letter).
    importer_name = models.CharField("importer of record", max_length=200, blank=True)
    importer_address = models.TextField("importer's address", blank=True)
    consignee_name = models.CharField("consignee", max_length=200, blank=True)
    consignee_address = models.TextField("consignee's address", blank=True)

    # SUGAM (DOMAIN.md §9).
    sugam_application_number = models.CharField(
        "SUGAM application number", max_length=60, blank=True
    )
    sugam_submitted_at = models.DateTimeField("submitted on SUGAM at", null=True, blank=True)
    permit_received_at = models.DateTimeField("Form 12B permit received at", null=True, blank=True)

    # The rare-disease certificate for the duty exemption (DOMAIN.md §3.1).
    certificate_authority = models.CharField(
        "certificate issued by", max_length=20, choices=CertificateAuthority.choices, blank=True
    )
    certificate_office = models.CharField(
        "issuing office",
        max_length=200,
        blank=True,
        help_text="e.g. District Health Office, Mysuru",
    )
    certificate_number = models.CharField("certificate number", max_length=60, blank=True)
    certificate_date = models.DateField("certificate date", null=True, blank=True)

    # The shipment (DOMAIN.md §3.2, §9).
    consignor_name = models.CharField(
        "consignor", max_length=200, blank=True, help_text="The manufacturer or distributor."
    )
    consignor_address = models.TextField("consignor's address", blank=True)
    country_of_origin = models.CharField(max_length=100, blank=True)
    country_of_export = models.CharField(
        max_length=100, blank=True, help_text="The country the drug is imported from (Form 12A)."
    )
    invoice_number = models.CharField(max_length=60, blank=True)
    invoice_date = models.DateField(null=True, blank=True)
    invoice_value = _decimal("invoice value", 16, 2)
    invoice_currency = models.CharField(
        max_length=3, blank=True, validators=[CURRENCY_CODE], help_text="ISO code, e.g. USD."
    )
    tariff_heading = models.ForeignKey(
        TariffHeading, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    batch_number = models.CharField("batch / lot number", max_length=60, blank=True)
    batch_expiry = models.DateField("batch expiry date", null=True, blank=True)
    quantity_kits = models.PositiveSmallIntegerField("quantity (kits)", null=True, blank=True)
    quantity_vials = models.PositiveSmallIntegerField("quantity (vials)", null=True, blank=True)
    gross_weight_kg = _decimal("gross weight (kg)", 8, 2)
    net_weight_kg = _decimal("net weight (kg)", 8, 3)
    dry_ice_kg = _decimal(
        "dry ice, UN 1845 (kg net)", 8, 2, help_text="0 when the shipper uses no dry ice."
    )

    # The Bill of Entry (DOMAIN.md §3.2).
    bill_of_entry_number = models.CharField("Bill of Entry number", max_length=40, blank=True)
    bill_of_entry_date = models.DateField("Bill of Entry date", null=True, blank=True)
    broker_name = models.CharField("customs broker", max_length=200, blank=True)
    broker_licence = models.CharField("broker's licence number", max_length=60, blank=True)
    duty_assessed_inr = _decimal("duty assessed (INR)", 14, 2)
    out_of_charge_at = models.DateTimeField("out of charge at", null=True, blank=True)

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "regulatory and customs file"

    def __str__(self) -> str:
        return f"Regulatory file of {self.case}"

    @property
    def invoice_amount(self) -> str:
        """The invoice value as the packets print it: ``USD 2,125,000.00``."""
        if self.invoice_value is None:
            return ""
        return amount_in(self.invoice_currency, self.invoice_value)


class CdscoQuery(models.Model):
    """A query CDSCO raised on the SUGAM application; open until its answer is recorded."""

    file = models.ForeignKey(RegulatoryFile, on_delete=models.PROTECT, related_name="cdsco_queries")
    raised_at = models.DateTimeField()
    text = models.TextField("query")
    due_by = models.DateField(help_text="The day the answer is due (India date).")
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True)
    enclosures = models.ManyToManyField(
        "documents.Document",
        blank=True,
        related_name="+",
        help_text="Documents sent with the answer.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["raised_at", "pk"]
        verbose_name = "CDSCO query"
        indexes = [models.Index(fields=["answered_at", "due_by"], name="cdsco_query_open")]

    def __str__(self) -> str:
        return f"CDSCO query of {ist_date(self.raised_at):%d %b %Y} on {self.file.case}"

    @property
    def is_open(self) -> bool:
        return self.answered_at is None
