"""One row per requested packet build: who asked, how far it got, and what it produced.

The row is the task's progress report (the admin polls it) and its idempotency key: the task
claims the row before working and records the stored ``Document`` on it in the same
transaction that creates the version, so a retried or duplicated task never stores twice.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models


class PacketKind(models.TextChoices):
    APPLICATION = "application", "Application packet"
    CUSTOMS = "customs", "Customs packet"


class BuildStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


ACTIVE_STATUSES = (BuildStatus.QUEUED, BuildStatus.RUNNING)
MAX_ATTEMPTS = 3


class PacketBuild(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="packet_builds")
    kind = models.CharField(max_length=20, choices=PacketKind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=BuildStatus.choices, default=BuildStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    step = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    document = models.ForeignKey(
        "documents.Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="resulting packet",
    )
    task_id = models.CharField(max_length=64, blank=True)
    # Runs started: a task that keeps killing its worker is redelivered (acks_late), and this
    # stops it after a few tries instead of looping.
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case", "kind", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="packet_progress_0_100"
            ),
            # A second click while a build is under way reuses it instead of queueing another.
            models.UniqueConstraint(
                fields=["case", "kind"],
                condition=models.Q(status__in=["queued", "running"]),
                name="one_active_packet_build_per_case_and_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} build #{self.pk} ({self.status})"

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES
