"""Reads for the facilitators' dashboard: where cases wait, what is due, what needs attention.

Everything is computed from a handful of queries over the filtered cases; nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from cases.reminders import setting
from cases.selectors import case_calendar, case_eligibility
from cases.states import MAIN_LINE, CaseState
from cases.timeline import SIDE_STATES, case_stage_spans
from documents.models import Document, ReviewStatus

CHART_STATES = [*MAIN_LINE, *SIDE_STATES]


def filtered_cases(params, cases: QuerySet[Case] | None = None) -> QuerySet[Case]:
    """``cases`` (the viewer's, ``access.cases_visible_to``; default all) narrowed by the
    dashboard's filters (hospital, product, facilitator ids)."""
    qs = Case.objects.all() if cases is None else cases
    for param, field_name in (
        ("hospital", "hospital_id"),
        ("product", "product_id"),
        ("facilitator", "facilitator_id"),
    ):
        value = params.get(param)
        if value and str(value).isdigit():
            qs = qs.filter(**{field_name: int(value)})
    return qs


def admin_list_url(state: str | None = None, params=None) -> str:
    url = reverse("admin:cases_case_changelist")
    query = [f"state__exact={state}"] if state else []
    for param, lookup in (
        ("hospital", "hospital__id__exact"),
        ("product", "product__id__exact"),
        ("facilitator", "facilitator__id__exact"),
    ):
        if params and params.get(param):
            query.append(f"{lookup}={params[param]}")
    return url + ("?" + "&".join(query) if query else "")


def pipeline(cases: QuerySet[Case], params=None) -> list[dict]:
    """How many cases are in each state, in the state machine's order (one query)."""
    counts = dict(cases.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    return [
        {
            "state": state.value,
            "label": state.label,
            "value": counts.get(state.value, 0),
            "href": admin_list_url(state.value, params),
        }
        for state in CHART_STATES
    ]


@dataclass
class AttentionRow:
    case: Case
    what: str
    detail: str
    severity: int  # 0 most urgent
    href: str = ""


def needs_attention(cases: QuerySet[Case], now: dt.datetime | None = None) -> list[AttentionRow]:
    """Overdue stages, permits expiring, ETAs passed, cold-chain countdowns, eligibility
    failures and rejected documents, most urgent first."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rows: list[AttentionRow] = []
    open_cases = list(
        cases.exclude(state__in=[CaseState.CLOSED, CaseState.CANCELLED]).select_related(
            "patient", "hospital"
        )
    )
    limits = setting("NPP_STAGE_LIMIT_DAYS")
    for case in open_cases:
        days = case.days_in_state(now)
        if case.state in limits and days > limits[case.state]:
            rows.append(
                AttentionRow(
                    case,
                    "Stage overdue",
                    f"{days} days in {case.get_state_display()} (limit {limits[case.state]})",
                    2,
                )
            )
        if case.received_at and not case.infused_at:
            left = (case.cold_chain_deadline() - today).days
            rows.append(
                AttentionRow(
                    case,
                    "Cold chain",
                    f"{left} day{'s' if left != 1 else ''} left of "
                    f"{settings.NPP_COLD_CHAIN_DAYS} to infuse",
                    0 if left <= 4 else 1,
                )
            )
        if (
            case.state == CaseState.APPROVED
            and case.permit_valid_until
            and (case.permit_valid_until - today).days <= setting("NPP_REMINDER_PERMIT_EXPIRY_DAYS")
        ):
            rows.append(
                AttentionRow(
                    case,
                    "Permit expiring",
                    f"Form 12B valid until {case.permit_valid_until:%d %b %Y}",
                    1,
                )
            )
        if case.state == CaseState.CUSTOMS and case.eta and case.eta < now:
            rows.append(
                AttentionRow(
                    case,
                    "ETA passed",
                    f"due {timezone.localtime(case.eta):%d %b %H:%M}, still in customs",
                    0,
                )
            )
        if case.state in (CaseState.APPROVED, CaseState.CUSTOMS, CaseState.DELIVERY):
            failing = case_eligibility(case).failing
            if failing:
                rows.append(
                    AttentionRow(
                        case, "Eligibility failing", "; ".join(c.label for c in failing), 1
                    )
                )
    # A rejection counts while it is the newest version of its document: one query.
    newer = Document.objects.filter(
        case=OuterRef("case"),
        document_type=OuterRef("document_type"),
        version__gt=OuterRef("version"),
    )
    rejected = (
        Document.objects.filter(case__in=open_cases, review_status=ReviewStatus.REJECTED)
        .exclude(Exists(newer))
        .select_related("case__patient", "document_type")
    )
    for doc in rejected:
        rows.append(
            AttentionRow(
                doc.case, "Document rejected", f"{doc.document_type.name} v{doc.version}", 2
            )
        )
    for row in rows:
        row.href = reverse("admin:cases_case_change", args=[row.case.pk])
    return sorted(rows, key=lambda r: (r.severity, r.case.reference))


def this_week(cases: QuerySet[Case], now: dt.datetime | None = None) -> list[dict]:
    """Infusions, prednisolone starts and lab tests falling in the next 7 days (and tests
    already overdue), by date."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    end = today + dt.timedelta(days=7)
    items = []
    for case in cases.filter(
        state__in=[CaseState.INFUSION_SCHEDULED, CaseState.MONITORING]
    ).select_related("patient"):
        href = reverse("admin:cases_case_change", args=[case.pk])
        if case.infusion_scheduled_at and not case.infused_at:
            day = timezone.localdate(case.infusion_scheduled_at)
            if today <= day <= end:
                items.append(
                    {"date": day, "case": case, "what": "Infusion", "status": "due", "href": href}
                )
        for row in case_calendar(case, today):
            event = row["event"]
            if event.code in ("prednisolone_course",) and today <= event.date <= end:
                items.append(
                    {
                        "date": event.date,
                        "case": case,
                        "what": "Prednisolone starts",
                        "status": row["status"],
                        "href": href,
                    }
                )
            elif event.kind in ("lab", "review") and (
                today <= event.date <= end or row["status"] == "overdue"
            ):
                items.append(
                    {
                        "date": event.date,
                        "case": case,
                        "what": event.title,
                        "status": row["status"],
                        "href": href,
                    }
                )
    return sorted(items, key=lambda i: (i["date"], i["case"].reference))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def stage_durations(
    cases: QuerySet[Case], now: dt.datetime | None = None, days: int = 90
) -> list[dict]:
    """Median and 90th percentile days spent in each main-line stage, over stays that ended
    (or are still running) in the last ``days`` days, closed and open cases alike."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    stays = defaultdict(list)
    for spans in case_stage_spans(cases, now).values():
        for span in spans:
            if span.end >= since:
                stays[span.state].append((span.end - span.start).total_seconds() / 86400)
    rows = []
    for state in MAIN_LINE[:-1]:
        values = stays.get(state.value, [])
        rows.append(
            {
                "state": state.value,
                "label": state.label,
                "count": len(values),
                "median": round(statistics.median(values), 1) if values else None,
                "p90": round(_percentile(values, 0.9), 1) if values else None,
            }
        )
    return rows
