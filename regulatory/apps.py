from __future__ import annotations

from django.apps import AppConfig


class RegulatoryConfig(AppConfig):
    """The regulatory and customs file of a case (issue 16): the applicant's and the
    shipment's facts, SUGAM tracking with CDSCO's queries, the rare-disease certificate, the
    Bill of Entry, the reference data the customs letter cites, the yearly Form 12B
    utilisation report and SUGAM-ready uploads.

    It sits above ``documents`` and plugs into it from here: the packets ask it for their
    facts (``documents.packets.register_facts_provider``) and the customs packet encloses the
    document types it seeds; its rules join the rulebook (``cases.rules``)."""

    name = "regulatory"
    verbose_name = "Regulatory and customs file"

    def ready(self) -> None:
        from documents.packets import register_enclosure_codes, register_facts_provider

        # The @rule and @deadline declarations register on import.
        from . import deadlines, packet_facts, rules  # noqa: F401

        register_facts_provider(packet_facts.provide)
        register_enclosure_codes("customs", packet_facts.EXTRA_CUSTOMS_ENCLOSURES)

        from cases.reminders import register_rule, texts

        from .reminders import cdsco_query_due, query_context

        register_rule(cdsco_query_due)
        texts.register_context("cdsco_query_due", query_context)
        texts.register_context("cdsco_query_overdue", query_context)

        from cases.privacy import register_part

        from .privacy import regulatory_anonymise, regulatory_data_export

        register_part("regulatory", export=regulatory_data_export, anonymise=regulatory_anonymise)
