from __future__ import annotations

from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        from cases.reminders import register_rule

        from .reminders import documents_missing

        # First, where it ran before it moved here: the sweep and its dry run go rule by rule.
        register_rule(documents_missing, first=True)
