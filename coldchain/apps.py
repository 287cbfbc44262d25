from __future__ import annotations

from django.apps import AppConfig


class ColdchainConfig(AppConfig):
    name = "coldchain"
    verbose_name = "Cold-chain evidence"

    def ready(self) -> None:
        # ``cold_chain_excursion`` joins the case rulebook here, so cases never imports us.
        from . import rules  # noqa: F401
