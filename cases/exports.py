"""CSV export of cases for manufacturers and funders: no patient identifiers unless asked."""

from __future__ import annotations

import csv
import io
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


def cases_csv(cases, *, include_identifiers: bool = False) -> str:
    """One row per case: reference, product, hospital, city, state, the date each stage was
    entered, the infusion date and the days from application to infusion."""
    now = timezone.now()
    case_list = list(cases.select_related("product", "hospital", "patient"))
    spans = case_stage_spans(cases.model.objects.filter(pk__in=[c.pk for c in case_list]), now)
    stage_columns = [f"entered_{state.value}" for state in MAIN_LINE]
    header = [*BASE_COLUMNS, *stage_columns, "infusion_date", "days_application_to_infusion"]
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
