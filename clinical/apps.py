from __future__ import annotations

from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "clinical"
    verbose_name = "After the infusion"

    def ready(self) -> None:
        # Importing the rules declares ``monitoring_incomplete`` (closing reads the slots and
        # the steroid course; cases imports nothing from here). Reminders join the sweep.
        from . import reminders, rules  # noqa: F401 - rules registers itself on import

        reminders.register()

        from cases.reminders import texts

        from .notify import signal_context

        texts.register_context("safety_signal", signal_context)

        from cases.exports import register_columns

        from .exports import HEADER, outcome_rows

        register_columns(HEADER, outcome_rows)

        from cases.privacy import register_part

        from .privacy import clinical_anonymise, clinical_data_export

        register_part("clinical", export=clinical_data_export, anonymise=clinical_anonymise)
