"""CSV export of cases for manufacturers and funders: no patient identifiers unless asked."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from .states import MAIN_LINE
from .timeline import case_stage_spans

BASE_COLUMNS = ["reference", "product", "hospital", "city", "state"]
IDENTIFIER_COLUMNS = [
    "patient_name",
    "date_of_birth",
    "guardian_name",
    "guardian_phone",
    "guardian_email",
]


# Columns an app above cases adds (the clinical app: outcomes at 3, 6 and 12 months), so this
# module imports none of them: (header, rows) where ``rows(cases)`` gives each case's values
# by case id. Registered from the app's ``AppConfig.ready()``.
ExtraColumns = tuple[list[str], Callable[[list[Any]], dict[int, list[Any]]]]
_EXTRA_COLUMNS: list[ExtraColumns] = []


def register_columns(header: list[str], rows: Callable[[list[Any]], dict[int, list[Any]]]) -> None:
    if all(existing[1] is not rows for existing in _EXTRA_COLUMNS):
        _EXTRA_COLUMNS.append((header, rows))


def cases_csv(cases, *, include_identifiers: bool = False) -> str:
    """One row per case: reference, product, hospital, city, state, the date each stage was
    entered, the infusion date and the days from application to infusion."""
    now = timezone.now()
    case_list = list(cases.select_related("product", "hospital", "patient"))
    spans = case_stage_spans(cases.model.objects.filter(pk__in=[c.pk for c in case_list]), now)
    stage_columns = [f"entered_{state.value}" for state in MAIN_LINE]
    header = [*BASE_COLUMNS, *stage_columns, "infusion_date", "days_application_to_infusion"]
    extras = [(columns, rows(case_list)) for columns, rows in _EXTRA_COLUMNS]
    for columns, _rows in extras:
        header += columns
    if include_identifiers:
        header += IDENTIFIER_COLUMNS
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for case in case_list:
        entered: dict[str, Any] = {}
        for span in spans.get(case.pk, []):
            entered.setdefault(span.state, timezone.localdate(span.start).isoformat())
        infused = timezone.localdate(case.infused_at) if case.infused_at else None
        row = [
            case.reference,
            case.product.name,
            case.hospital.name,
            case.hospital.city,
            case.get_state_display(),
            *[entered.get(state.value, "") for state in MAIN_LINE],
            infused.isoformat() if infused else "",
            (infused - timezone.localdate(case.created_at)).days if infused else "",
        ]
        for columns, values in extras:
            row += values.get(case.pk, [""] * len(columns))
        if include_identifiers:
            p = case.patient
            row += [
                p.full_name,
                p.date_of_birth.isoformat(),
                p.guardian_name,
                p.guardian_phone,
                p.guardian_email,
            ]
        writer.writerow(row)
    return out.getvalue()
