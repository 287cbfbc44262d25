from __future__ import annotations

from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        # The document checklist, the packet's freshness and the lab reports join the case
        # rulebook here, so cases never imports documents.
        from . import rules

        rules.register()

        from cases.reminders import register_rule

        from .reminders import documents_missing

        # First, where it ran before it moved here: the sweep and its dry run go rule by rule.
        register_rule(documents_missing, first=True)
