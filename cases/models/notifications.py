"""The reminder outbox: one row per reminder, recipient and channel."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .case import Case


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

    # The sweep writes tens of thousands of these in one statement, from case and user ids it
    # reads in that same statement. PostgreSQL's foreign-key checks would lock each case (FOR
    # KEY SHARE, until the sweep commits: case_apply's row lock waits) and cost more than the
    # insert itself at 100,000 cases (docs/benchmarks.md), so they are not in the database;
    # Django still deletes a case's or a user's notifications with them (on_delete).
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="notifications", db_constraint=False
    )
    # No index of its own: notification_inbox starts with it.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        db_index=False,
        db_constraint=False,
    )
    recipient_email = models.EmailField(blank=True)
    kind = models.CharField(max_length=40)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    due_at = models.DateTimeField()
    # The text is rendered when the reminder is delivered (cases.reminders.texts) from the
    # kind and this context; an email's text is stored here as it goes out.
    context = models.JSONField(default=dict, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    # Unique through Meta.constraints: a plain unique index, without the pattern-ops twin
    # PostgreSQL gets for unique=True, which nothing searches and every insert maintains.
    dedupe_key = models.CharField(max_length=200)
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
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="notification_dedupe_key"),
        ]
        indexes = [
            models.Index(
                fields=["channel", "status", "due_at"],
                name="notification_outbox",
                condition=models.Q(status__in=["pending", "connecting", "handed_over"]),
            ),
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
