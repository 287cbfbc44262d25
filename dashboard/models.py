"""What the dashboard keeps between requests."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class Statistics(models.Model):
    """A statistic over months the dashboard shows (the days each stage took, the medians of
    closed cases behind the predicted infusion), as computed at ``computed_at`` over one set of
    cases (``scope``: a digest of their query, ``""`` for every case).

    Each costs a pass over every case's history, so no page request computes the unfiltered
    ones: the periodic task ``dashboard.refresh_statistics`` recomputes them every
    ``NPP_DASHBOARD_STATS_REFRESH_SECONDS``. A filtered dashboard computes its own (a smaller
    set) when they are older than ``NPP_DASHBOARD_STATS_SECONDS``."""

    name = models.CharField(max_length=32)
    scope = models.CharField(max_length=32, blank=True)
    computed_at = models.DateTimeField()
    data = models.JSONField(encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name_plural = "statistics"
        constraints = [
            models.UniqueConstraint(fields=["name", "scope"], name="dashboard_statistic_once")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.scope or 'every case'}) at {self.computed_at:%Y-%m-%d %H:%M}"
