from __future__ import annotations

from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "clinical"
    verbose_name = "After the infusion"

    def ready(self) -> None:
        # Closing reads the slots and the steroid course: this app's check replaces the
        # cases version of ``monitoring_incomplete`` in the rulebook (cases imports nothing
        # from here). Reminders join the sweep the same way.
        from . import reminders, rules

        rules.register()
        reminders.register()

        from cases.exports import register_columns

        from .exports import HEADER, outcome_rows

        register_columns(HEADER, outcome_rows)
