"""The coldchain app's part of the case rulebook (imported from ``ColdchainConfig.ready()``):
a kit whose logger shows an excursion is used only on the manufacturer's word (DOMAIN.md
§1.5: "any excursion puts the case on hold for a manufacturer decision")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from cases.rules import Context, rule

from .models import Decision

if TYPE_CHECKING:
    from cases.models import Case


@rule(code="cold_chain_excursion", transitions=["confirm_delivery_and_schedule"])
def cold_chain_excursion(case: Case, ctx: Context) -> Iterator[str]:
    """The newest logger file of the kit shows no excursion above the limit, or the
    manufacturer allowed the kit to be used after it."""
    if case.pk is None:
        return
    record = case.logger_records.order_by("-uploaded_at", "-pk").first()
    if record is None or not record.has_excursion:
        return
    if record.decision == Decision.USE:
        return
    if record.decision == Decision.DO_NOT_USE:
        yield (
            "The manufacturer said the kit must not be used after its temperature excursion; "
            "it cannot be scheduled."
        )
        return
    yield (
        f"The logger file shows {record.excursion_count} temperature excursion(s) above "
        f"{record.limit_celsius:g} °C; a facilitator records the manufacturer's decision "
        "before the kit may be scheduled."
    )
