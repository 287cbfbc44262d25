"""``{% coldchain_panel case %}``: the case's logger records with their curves, and the
upload form while the kit is at receipt, for whoever may see them (hospital portal, case
page)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone

from cases import access
from cases.states import CaseState

from ..charts import curve
from ..forms import LoggerUploadForm

register = template.Library()


def _excursion(item: dict[str, Any]) -> dict[str, Any]:
    start = timezone.localtime(dt.datetime.fromisoformat(item["start"]))
    end = timezone.localtime(dt.datetime.fromisoformat(item["end"]))
    return {"start": start, "end": end, "minutes": item["seconds"] // 60, "peak": item["peak"]}


@register.inclusion_tag("coldchain/_panel.html", takes_context=True)
def coldchain_panel(context: dict[str, Any], case: Any) -> dict[str, Any]:
    user = context["request"].user
    if not access.may_see_cold_chain(user, case):
        return {"show": False}
    records = list(case.logger_records.select_related("document", "decided_by"))
    may_upload = access.may_upload_logger_data(user, case) and case.state == CaseState.DELIVERY
    return {
        "show": bool(records) or may_upload,
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "case": case,
        "rows": [
            {
                "record": r,
                "chart": curve(r),
                "id": f"logger-{r.pk}",
                "excursions": [_excursion(e) for e in r.excursions],
            }
            for r in records
        ],
        "form": LoggerUploadForm() if may_upload else None,
        "upload_url": reverse("coldchain:logger_upload", args=[case.pk]),
        "on_desk": access.may_use_desk(user),
    }
