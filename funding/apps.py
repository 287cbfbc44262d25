from __future__ import annotations

from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "funding"
    verbose_name = "Funding"

    def ready(self) -> None:
        # ``funds_short`` joins the case rulebook here, so cases never imports funding.
        from cases.privacy import register_part

        from . import rules  # noqa: F401
        from .privacy import funding_anonymise, funding_data_export

        register_part("funding", export=funding_data_export, anonymise=funding_anonymise)
