"""The family's side of a case: the guardian's status link, their consent through it (DPDP
Rule 10), the personal-data breach register, and the language each person reads in."""

from __future__ import annotations

from django.apps import AppConfig


class FamilyConfig(AppConfig):
    name = "family"
    verbose_name = "Family"

    def ready(self) -> None:
        # The rulebook (resume refused while consent is withdrawn), the reminder sweep (the
        # breach clock) and the reminders' language join cases here; cases imports nothing
        # from family.
        from cases.language import register_language_resolver
        from cases.reminders import register_rule

        from . import rules
        from .language import language_for
        from .reminders import breach_reminders

        rules.register()
        register_rule(breach_reminders)
        register_language_resolver(language_for)
