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
    """No logger file of the kit shows an excursion above the limit that the manufacturer
    has not allowed (a decision is recorded per file)."""
    if case.pk is None:
        return
    # Every file counts: a later file without the excursion does not undo an earlier one.
    undecided = dont_use = 0
    for record in case.logger_records.filter(excursion_count__gt=0):
        if record.decision == Decision.DO_NOT_USE:
            dont_use += 1
        elif record.decision != Decision.USE:
            undecided += record.excursion_count
    if dont_use:
        yield (
            "The manufacturer said the kit must not be used after its temperature excursion; "
            "it cannot be scheduled."
        )
    if undecided:
        yield (
            f"The logger file shows {undecided} temperature excursion(s) above the limit; a "
            "facilitator records the manufacturer's decision before the kit may be scheduled."
        )
