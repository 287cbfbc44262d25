from __future__ import annotations

from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "funding"
    verbose_name = "Funding"

    def ready(self) -> None:
        # ``funds_short`` joins the case rulebook here, so cases never imports funding.
        from . import rules  # noqa: F401
