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
        from cases.reminders import register_rule, texts

        from . import rules
        from .language import languages_for
        from .reminders import BREACH_KINDS, breach_board, breach_context, breach_family

        rules.register()
        register_rule(breach_board)
        register_rule(breach_family)
        for kind in BREACH_KINDS:
            texts.register_context(kind, breach_context)
        register_language_resolver(languages_for)

        from django.contrib.auth.signals import user_logged_in

        from .language import remember_on_sign_in

        user_logged_in.connect(remember_on_sign_in, dispatch_uid="family.language.sign_in")

        from cases.privacy import register_part

        from .privacy import family_anonymise, family_data_export

        register_part("family", export=family_data_export, anonymise=family_anonymise)
