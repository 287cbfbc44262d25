"""Cold-chain evidence: the shipper's temperature-logger file of a kit, read at receipt
(DOMAIN.md §1.5, §3.4, §9 "Cold-chain loggers"). The file itself is a version of the
``temperature_log`` document with the case's other documents; this row holds what was read
from it: the series, its minimum and maximum, the time above the limit, each excursion, and
the manufacturer's decision on an excursion."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.clock import ist_date


class Decision(models.TextChoices):
    NONE = "", _("Awaiting the manufacturer's decision")
    USE = "use", _("The manufacturer allows the kit to be used")
    DO_NOT_USE = "do_not_use", _("The manufacturer says the kit must not be used")


class LoggerRecord(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="logger_records")
    document = models.OneToOneField(
        "documents.Document", on_delete=models.PROTECT, related_name="logger_record"
    )
    layout = models.CharField("file layout", max_length=60)
    logger_serial = models.CharField(max_length=80, blank=True)
    limit_celsius = models.DecimalField("limit (°C)", max_digits=6, decimal_places=2)
    started_at = models.DateTimeField("first reading")
    ended_at = models.DateTimeField("last reading")
    reading_count = models.PositiveIntegerField()
    min_celsius = models.DecimalField("minimum (°C)", max_digits=6, decimal_places=2)
    max_celsius = models.DecimalField("maximum (°C)", max_digits=6, decimal_places=2)
    seconds_above_limit = models.PositiveBigIntegerField("time above the limit (s)")
    excursion_count = models.PositiveIntegerField()
    # [{"start": iso, "end": iso, "seconds": int, "peak": "-41.5"}, ...]
    excursions = models.JSONField(default=list, blank=True)
    # [[unix seconds, "celsius"], ...], in time order.
    series = models.JSONField(default=list)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    decision = models.CharField(
        "manufacturer's decision", max_length=12, choices=Decision.choices, blank=True
    )
    decision_note = models.TextField("decision, in words", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = "temperature-logger record"

    def __str__(self) -> str:
        return f"{self.case}: logger file of {ist_date(self.uploaded_at):%d %b %Y}"

    @property
    def minutes_above_limit(self) -> int:
        return self.seconds_above_limit // 60

    @property
    def has_excursion(self) -> bool:
        return self.excursion_count > 0
