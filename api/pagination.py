"""Lists page by cursor: a page link stays right while rows are added (no skipped or repeated
case when a new one arrives between two pages), and it costs one indexed query however deep."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class NewestFirst(CursorPagination):
    """Newest first, as the portals list them (the ``case_newest`` index)."""

    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class DueFirst(NewestFirst):
    """Reminders, the latest due first (the ``notification_inbox`` index)."""

    ordering = ("-due_at", "-id")
