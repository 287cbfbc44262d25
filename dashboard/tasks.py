"""Celery tasks of the dashboard: thin and idempotent."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="dashboard.refresh_statistics")
def refresh_statistics_task() -> list[str]:
    """Recompute the unfiltered dashboard's statistics over months (beat, every
    ``NPP_DASHBOARD_STATS_REFRESH_SECONDS``), so that no page request does. Each run replaces
    the last one's figures: safe to retry or to run twice at once."""
    from .stages import refresh

    return refresh(timezone.now())
