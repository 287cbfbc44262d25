"""Startup checks of the dashboard's settings."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register

REFRESH_ENTRY = "refresh-dashboard-statistics"


@register()
def statistics_refreshed_before_they_age(app_configs=None, **kwargs) -> list[Warning]:
    """The periodic refresh must come more often than ``NPP_DASHBOARD_STATS_SECONDS`` lets the
    statistics age, or page requests compute them (a pass over every case's history)."""
    keep = settings.NPP_DASHBOARD_STATS_SECONDS
    entry = settings.CELERY_BEAT_SCHEDULE.get(REFRESH_ENTRY)
    if not keep:
        return []
    if entry is None or entry["schedule"] >= keep:
        every = "never" if entry is None else f"every {entry['schedule']} s"
        return [
            Warning(
                f"The dashboard's statistics are refreshed {every} but used for only {keep} s: "
                "page requests will compute them.",
                hint="Set NPP_DASHBOARD_STATS_REFRESH_SECONDS below NPP_DASHBOARD_STATS_SECONDS.",
                id="dashboard.W001",
            )
        ]
    return []
