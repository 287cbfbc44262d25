"""Outcomes in the case CSV (``cases.exports``) for the manufacturer's real-world-data
request: per month (3, 6, 12) the assessment date, the four motor milestones, ventilation and
feeding. Identifiers stay opt-in, as for the rest of the CSV."""

from __future__ import annotations

from typing import Any

from .models import Outcome

FIELDS = Outcome.ASSESSED
HEADER = [f"m{month}_{name}" for month in Outcome.MONTHS for name in FIELDS]


def _value(outcome: Outcome | None, name: str) -> Any:
    if outcome is None:
        return ""
    value = getattr(outcome, name)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value.isoformat() if name == "assessed_on" else value


def outcome_rows(cases: list[Any]) -> dict[int, list[Any]]:
    found: dict[int, dict[int, Outcome]] = {}
    for outcome in Outcome.objects.filter(case__in=[c.pk for c in cases]):
        found.setdefault(outcome.case_id, {})[outcome.month] = outcome
    return {
        case.pk: [
            _value(found.get(case.pk, {}).get(month), name)
            for month in Outcome.MONTHS
            for name in FIELDS
        ]
        for case in cases
    }
