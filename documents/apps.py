from __future__ import annotations

from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        # The document checklist, the packet's freshness and the lab reports join the case
        # rulebook here, so cases never imports documents.
        from . import deadlines, rules  # noqa: F401 - deadlines register on import

        rules.register()

        from cases.reminders import register_rule, texts

        from .reminders import documents_missing, lines_context

        # First, where it ran before it moved here: the sweep and its dry run go rule by rule.
        register_rule(documents_missing, first=True)
        texts.register_context("documents_missing", lines_context)
