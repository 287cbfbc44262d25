"""Documents of a case: the checklist's types, uploaded versions, and who downloaded what."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from cases.clinical import MalformedTiter, parse_titer
from cases.lab_fields import lab_value_field, uln_field
from cases.states import CaseState

from .storage import private_storage


class Provider(models.TextChoices):
    DOCTOR = "doctor", "Treating doctor"
    HOSPITAL = "hospital", "Hospital"
    FAMILY = "family", "Family"
    FACILITATOR = "facilitator", "Facilitator"
    REGULATOR = "regulator", "Regulator (CDSCO)"
    HEALTH_AUTHORITY = "health_authority", "Health authority (DHS / DMO / Civil Surgeon)"
    MANUFACTURER = "manufacturer", "Manufacturer / distributor"
    COURIER = "courier", "Courier / shipper"
    CUSTOMS_BROKER = "customs_broker", "Customs broker"


def validate_titer(text: str) -> None:
    """A titre as labs print it: 1:25, 1 : 25, <1:25, 1:12.5 (DOMAIN.md §1.10)."""
    try:
        parse_titer(text)
    except MalformedTiter as exc:
        raise ValidationError(str(exc)) from None


class DocumentType(models.Model):
    """One line of the document checklist (DOMAIN.md §4), seeded by a data migration.

    ``required_before``: the state a case may not enter until this document is ``ok``.
    ``validity_days``: how long a result stays valid before the gate it is needed for
    (blank: no expiry). Both are editable in the admin; the seeded values are DOMAIN.md's
    [default]s, not rules from a source.
    """

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    provider = models.CharField("normally provided by", max_length=20, choices=Provider.choices)
    required_before = models.CharField(
        max_length=30,
        choices=CaseState.choices,
        blank=True,
        help_text="The case cannot enter this state until the document is accepted and valid.",
    )
    validity_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Days a result stays valid; blank means no expiry."
    )
    is_lab = models.BooleanField(
        "lab result", default=False, help_text="Asks for the sample date and key values."
    )
    shipment_side = models.BooleanField(
        default=False, help_text="Hospital admins may see documents of this type."
    )
    review_before_gate = models.BooleanField(
        default=True,
        help_text="The case waits for a facilitator to accept this document. Off for the "
        "hospital's own receipt records, which must not hold up the 14-day window: "
        "an upload lets the case move on, and the review follows.",
    )
    uploadable_by_doctor = models.BooleanField(default=False)
    uploadable_by_hospital = models.BooleanField(default=False)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Pending review"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


def document_upload_to(instance: Document, filename: str) -> str:
    """Unguessable names; the original filename is kept only in the database."""
    suffix = PurePosixPath(filename).suffix.lower()
    token = uuid.uuid4().hex
    return f"{token[:2]}/{token}{suffix}"


class Document(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="documents")
    document_type = models.ForeignKey(DocumentType, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    file = models.FileField(storage=private_storage, upload_to=document_upload_to, max_length=200)
    original_filename = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=50)
    sha256 = models.CharField("SHA-256", max_length=64)
    page_count = models.PositiveIntegerField(default=1)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    review_status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    # Lab results: the sample date decides expiry; the values feed eligibility and packets.
    sample_taken_on = models.DateField(null=True, blank=True)
    alt = lab_value_field("alt")
    ast = lab_value_field("ast")
    total_bilirubin = lab_value_field("total_bilirubin")
    platelets = lab_value_field("platelets")
    troponin_i = lab_value_field("troponin_i")
    creatinine = lab_value_field("creatinine")
    alt_uln = uln_field("alt")
    ast_uln = uln_field("ast")
    total_bilirubin_uln = uln_field("total_bilirubin")
    anti_aav9_titer = models.CharField(
        "anti-AAV9 titre",
        max_length=20,
        blank=True,
        validators=[validate_titer],
        help_text="As the lab prints it: 1:25, <1:25 or 1:12.5.",
    )

    class Meta:
        ordering = ["document_type__sort_order", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "document_type", "version"], name="one_row_per_document_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.document_type.name} v{self.version}"


class ClinicalAccessGrant(models.Model):
    """A facilitator lets the hospital's admins see a case's clinical documents."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="clinical_access_grant"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField()

    def __str__(self) -> str:
        return f"Clinical access for hospital admins on {self.case}"


class DocumentAccess(models.Model):
    """Append-only log of access to patient data: document downloads and identifying
    exports. Plain ids and names, so the log outlives whatever it describes."""

    document_id = models.BigIntegerField(db_index=True, null=True, blank=True)
    case_reference = models.CharField(max_length=20, db_index=True)
    document_label = models.CharField(max_length=220)
    user_id = models.BigIntegerField(null=True)
    username = models.CharField(max_length=150)
    accessed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=30, default="download")

    class Meta:
        ordering = ["-accessed_at"]
        verbose_name = "document access"
        verbose_name_plural = "document access log"

    def __str__(self) -> str:
        return f"{self.username} {self.action} {self.document_label} ({self.case_reference})"


from .packets.models import PacketBuild  # noqa: E402,F401
