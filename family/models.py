"""The family's records: guardian links and their views, consent given or withdrawn through a
link, the breach register, and the language each person reads in."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from cases.clock import ist_date
from cases.models import Case, Consent, ConsentMethod

# The identity checks the guardian page offers (DPDP Rules 2025, Rule 10): details already
# held, a document, a DigiLocker token. A recorded choice, not an integration.
GUARDIAN_PAGE_CHECKS = (
    ConsentMethod.DETAILS_HELD,
    ConsentMethod.DOCUMENT,
    ConsentMethod.DIGILOCKER,
)


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    HINDI = "hi", "हिन्दी (Hindi)"


class LanguagePreference(models.Model):
    """The language a portal user reads pages and reminders in (the guardian's is on their
    link: they have no account)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="language_preference"
    )
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.ENGLISH)

    def __str__(self) -> str:
        return f"{self.user}: {self.language}"


class GuardianLink(models.Model):
    """A signed, revocable, expiring link that shows one case's progress to its family.

    The address carries ``signing.dumps({"l": pk, "n": nonce})``: a changed character fails
    the signature; expiry and revocation are read from this row on every view, so revoking
    works at once. Nothing here is a login: the link shows the status page and takes the
    guardian's consent or its withdrawal, nothing else."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="guardian_links")
    nonce = models.CharField(max_length=32, unique=True, editable=False)
    language = models.CharField(
        "guardian's language", max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_to = models.EmailField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return (
            f"Guardian link for {self.case.reference} (until {ist_date(self.expires_at):%d %b %Y})"
        )


class GuardianLinkView(models.Model):
    """One opening of a guardian link (kept as the access log; also the rate limit's count)."""

    link = models.ForeignKey(GuardianLink, on_delete=models.CASCADE, related_name="views")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # A keyed hash of the address: enough to tell one phone from many, not who it was.
    client = models.CharField(max_length=16, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=20, default="shown")

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["link", "at"], name="guardian_view_rate")]

    def __str__(self) -> str:
        return f"{self.link.case.reference} viewed {self.at:%d %b %Y %H:%M} ({self.outcome})"


class GuardianConsent(models.Model):
    """What the guardian page adds to a ``cases.Consent`` given or withdrawn through a link:
    the link, what the identity check referred to, the notice version shown and its language.
    The identity check chosen is ``Consent.verified_how`` (``GUARDIAN_PAGE_CHECKS``).

    ``cases.Consent`` stays the one record of consent (the ``consent_missing`` rule, the
    admin, the audit trail and the access export read it); this row extends it one to one."""

    consent = models.OneToOneField(Consent, on_delete=models.PROTECT, related_name="guardian_page")
    link = models.ForeignKey(GuardianLink, on_delete=models.PROTECT, related_name="consents")
    identity_reference = models.CharField(
        "document type or token reference", max_length=100, blank=True
    )
    notice_version_shown = models.CharField(max_length=20)
    language = models.CharField(max_length=5, choices=Language.choices)
    withdrawn_through_link = models.ForeignKey(
        GuardianLink, on_delete=models.PROTECT, null=True, blank=True, related_name="withdrawals"
    )

    def __str__(self) -> str:
        return f"{self.consent} via guardian link"


class Breach(models.Model):
    """A personal-data breach (DPDP Act 2023 s.8(6); Rules 2025, Rule 7): the Board is told
    within ``NPP_BREACH_BOARD_HOURS`` (72) of its discovery, each affected family without
    delay. Kept: a breach record is never deleted."""

    title = models.CharField("what happened, in short", max_length=200)
    description = models.TextField("what happened, its extent and likely consequences")
    discovered_at = models.DateTimeField("when it was found")
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    board_notified_at = models.DateTimeField("Board told at", null=True, blank=True)
    board_reference = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-discovered_at"]
        verbose_name_plural = "breaches"

    def __str__(self) -> str:
        return f"{self.title} (found {timezone.localtime(self.discovered_at):%d %b %Y %H:%M})"

    def board_deadline(self) -> dt.datetime:
        return self.discovered_at + dt.timedelta(hours=settings.NPP_BREACH_BOARD_HOURS)


class BreachAffectedCase(models.Model):
    """One family whose data the breach touched, and when they were told."""

    breach = models.ForeignKey(Breach, on_delete=models.PROTECT, related_name="affected")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="breaches")
    family_told_at = models.DateTimeField(null=True, blank=True)
    family_told_how = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["breach", "case"], name="breach_case_once"),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference} in {self.breach.title}"
