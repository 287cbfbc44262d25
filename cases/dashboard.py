"""Moved: the case timeline and calendar grid are in ``cases.timeline``, the dashboard's reads
in the ``dashboard`` app.

Kept only for the portal views, which import these two names from here and are being moved to
their own app in parallel; delete this module once nothing imports ``cases.dashboard``.
"""

from __future__ import annotations

from .timeline import calendar_grid, case_timeline

__all__ = ["calendar_grid", "case_timeline"]
