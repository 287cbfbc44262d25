"""The funding app's part of a patient's data (DPDP Act 2023, DOMAIN.md §5.2), registered
with ``cases.privacy.register_part``: the quotes, the sources (campaigns, donors, employers)
and the money received, in an access request; anonymisation removes the sources' names,
campaign links, notes and payment references, keeping the amounts, rates, fees and dates."""

from __future__ import annotations

from typing import Any

from cases.privacy import exported_row

from .models import Quote, Receipt, Source

STAFF = ("recorded_by",)


def funding_data_export(patient: Any) -> dict[str, list[dict[str, Any]]]:
    found = []
    for case in patient.cases.order_by("pk"):
        sources = Source.objects.filter(case=case).prefetch_related("receipts").order_by("pk")
        found.append(
            {
                "case": case.reference,
                "quotes": [
                    exported_row(quote, exclude=("case", *STAFF))
                    for quote in Quote.objects.filter(case=case).order_by("pk")
                ],
                "sources": [
                    {
                        **exported_row(source, exclude=("case", *STAFF)),
                        "receipts": [
                            exported_row(receipt, exclude=("source", *STAFF))
                            for receipt in source.receipts.order_by("received_on", "pk")
                        ],
                    }
                    for source in sources
                ],
            }
        )
    return {"funding": found}


def funding_anonymise(patient: Any) -> None:
    sources = Source.objects.filter(case__patient=patient)
    sources.update(name="Anonymised", link="", note="")
    Receipt.objects.filter(source__in=sources).update(reference="")
