"""Reads for the facilitators' dashboard and the case timeline: where cases wait, what is due.

Everything is computed from a handful of queries over the filtered cases; nothing is stored.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone
from django_fsm_log.models import StateLog

from .models import Case
from .states import MAIN_LINE, CaseState

SIDE_STATES = [CaseState.ON_HOLD, CaseState.REJECTED, CaseState.CANCELLED]
CHART_STATES = [*MAIN_LINE, *SIDE_STATES]


def filtered_cases(params) -> QuerySet[Case]:
    """Cases narrowed by the dashboard's filters (hospital, product, facilitator ids)."""
    qs = Case.objects.all()
    for param, field_name in (("hospital", "hospital_id"), ("product", "product_id"),
                              ("facilitator", "facilitator_id")):
        value = params.get(param)
        if value and str(value).isdigit():
            qs = qs.filter(**{field_name: int(value)})
    return qs


def admin_list_url(state: str | None = None, params=None) -> str:
    url = reverse("admin:cases_case_changelist")
    query = [f"state__exact={state}"] if state else []
    for param, lookup in (("hospital", "hospital__id__exact"), ("product", "product__id__exact"),
                          ("facilitator", "facilitator__id__exact")):
        if params and params.get(param):
            query.append(f"{lookup}={params[param]}")
    return url + ("?" + "&".join(query) if query else "")


def pipeline(cases: QuerySet[Case], params=None) -> list[dict]:
    """How many cases are in each state, in the state machine's order (one query)."""
    counts = dict(cases.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    return [
        {"state": state.value, "label": state.label, "value": counts.get(state.value, 0),
         "href": admin_list_url(state.value, params)}
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
    from documents.models import Document, ReviewStatus

    from .reminders import setting
    from .selectors import case_eligibility

    now = now or timezone.now()
    today = timezone.localdate(now)
    rows: list[AttentionRow] = []
    open_cases = list(cases.exclude(state__in=[CaseState.CLOSED, CaseState.CANCELLED])
                      .select_related("patient", "hospital"))
    limits = setting("NPP_STAGE_LIMIT_DAYS")
    for case in open_cases:
        days = case.days_in_state(now)
        if case.state in limits and days > limits[case.state]:
            rows.append(AttentionRow(case, "Stage overdue",
                                     f"{days} days in {case.get_state_display()} "
                                     f"(limit {limits[case.state]})", 2))
        if case.received_at and not case.infused_at:
            left = (case.cold_chain_deadline() - today).days
            rows.append(AttentionRow(case, "Cold chain",
                                     f"{left} day{'s' if left != 1 else ''} left of "
                                     f"{settings.NPP_COLD_CHAIN_DAYS} to infuse", 0 if left <= 4 else 1))
        if case.state == CaseState.APPROVED and case.permit_valid_until and (
                case.permit_valid_until - today).days <= setting("NPP_REMINDER_PERMIT_EXPIRY_DAYS"):
            rows.append(AttentionRow(case, "Permit expiring",
                                     f"Form 12B valid until {case.permit_valid_until:%d %b %Y}", 1))
        if case.state == CaseState.CUSTOMS and case.eta and case.eta < now:
            rows.append(AttentionRow(case, "ETA passed",
                                     f"due {timezone.localtime(case.eta):%d %b %H:%M}, still in customs", 0))
        if case.state in (CaseState.APPROVED, CaseState.CUSTOMS, CaseState.DELIVERY):
            failing = case_eligibility(case).failing
            if failing:
                rows.append(AttentionRow(case, "Eligibility failing",
                                         "; ".join(c.label for c in failing), 1))
    # A rejection counts while it is the newest version of its document: one query.
    newer = Document.objects.filter(case=OuterRef("case"), document_type=OuterRef("document_type"),
                                    version__gt=OuterRef("version"))
    rejected = (Document.objects.filter(case__in=open_cases, review_status=ReviewStatus.REJECTED)
                .exclude(Exists(newer)).select_related("case__patient", "document_type"))
    for doc in rejected:
        rows.append(AttentionRow(doc.case, "Document rejected",
                                 f"{doc.document_type.name} v{doc.version}", 2))
    for row in rows:
        row.href = reverse("admin:cases_case_change", args=[row.case.pk])
    return sorted(rows, key=lambda r: (r.severity, r.case.reference))


def this_week(cases: QuerySet[Case], now: dt.datetime | None = None) -> list[dict]:
    """Infusions, prednisolone starts and lab tests falling in the next 7 days (and tests
    already overdue), by date."""
    from .selectors import case_calendar

    now = now or timezone.now()
    today = timezone.localdate(now)
    end = today + dt.timedelta(days=7)
    items = []
    for case in cases.filter(state__in=[CaseState.INFUSION_SCHEDULED, CaseState.MONITORING]
                             ).select_related("patient"):
        href = reverse("admin:cases_case_change", args=[case.pk])
        if case.infusion_scheduled_at and not case.infused_at:
            day = timezone.localdate(case.infusion_scheduled_at)
            if today <= day <= end:
                items.append({"date": day, "case": case, "what": "Infusion", "status": "due",
                              "href": href})
        for row in case_calendar(case, today):
            event = row["event"]
            if event.code in ("prednisolone_course",) and today <= event.date <= end:
                items.append({"date": event.date, "case": case, "what": "Prednisolone starts",
                              "status": row["status"], "href": href})
            elif event.kind in ("lab", "review") and (
                    today <= event.date <= end or row["status"] == "overdue"):
                items.append({"date": event.date, "case": case, "what": event.title,
                              "status": row["status"], "href": href})
    return sorted(items, key=lambda i: (i["date"], i["case"].reference))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def stage_durations(cases: QuerySet[Case], now: dt.datetime | None = None,
                    days: int = 90) -> list[dict]:
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
        rows.append({"state": state.value, "label": state.label, "count": len(values),
                     "median": round(statistics.median(values), 1) if values else None,
                     "p90": round(_percentile(values, 0.9), 1) if values else None})
    return rows


@dataclass
class Span:
    state: str
    start: dt.datetime
    end: dt.datetime
    ongoing: bool = False


def case_stage_spans(cases, now: dt.datetime) -> dict[int, list[Span]]:
    """Each case's stays in each state, from its transition log (two queries)."""
    case_list = list(cases.only("pk", "created_at", "state", "state_changed_at"))
    content_type = ContentType.objects.get_for_model(Case)
    logs = defaultdict(list)
    for log in StateLog.objects.filter(content_type=content_type,
                                       object_id__in=[c.pk for c in case_list]
                                       ).order_by("object_id", "timestamp", "pk"):
        logs[log.object_id].append(log)
    spans: dict[int, list[Span]] = {}
    for case in case_list:
        start, state, result = case.created_at, CaseState.APPLICATION.value, []
        for log in logs[case.pk]:
            result.append(Span(log.source_state or state, start, log.timestamp))
            start, state = log.timestamp, log.state
        result.append(Span(case.state, start, now, ongoing=True))
        spans[case.pk] = result
    return spans


# --- The case as a picture ---------------------------------------------------------------------

@dataclass
class Timeline:
    rows: list[dict] = field(default_factory=list)
    markers: list[dict] = field(default_factory=list)
    today_x: float = 0
    width: int = 640
    height: int = 0
    label_width: int = 150
    ticks: list[dict] = field(default_factory=list)


def case_timeline(case: Case, now: dt.datetime | None = None, width: int = 640) -> Timeline:
    """One row per stage visited, a bar for the days it lasted, today and the next expected
    milestones as markers. Geometry for ``templates/cases/_timeline.html``."""
    now = now or timezone.now()
    spans = case_stage_spans(Case.objects.filter(pk=case.pk), now)[case.pk]
    milestones = []
    if case.eta and not case.received_at:
        milestones.append(("ETA", case.eta))
    if case.infusion_scheduled_at:
        milestones.append(("Infusion", case.infusion_scheduled_at))
    if case.received_at:
        end = case.received_at + dt.timedelta(days=settings.NPP_COLD_CHAIN_DAYS)
        milestones.append((f"End of {settings.NPP_COLD_CHAIN_DAYS}-day window", end))
    if case.infused_at:
        milestones.append((f"End of {settings.NPP_MONITORING_DAYS}-day monitoring",
                           case.infused_at + dt.timedelta(days=settings.NPP_MONITORING_DAYS)))
    first = spans[0].start
    last = max([now, *[when for _, when in milestones]]) + dt.timedelta(days=1)
    total = max((last - first).total_seconds(), 1)
    timeline = Timeline(width=width)
    plot = width - timeline.label_width - 10

    def x(when: dt.datetime) -> float:
        return round(timeline.label_width + plot * (when - first).total_seconds() / total, 1)

    labels = dict(CaseState.choices)
    for index, span in enumerate(spans):
        days = (span.end - span.start).total_seconds() / 86400
        timeline.rows.append({
            "label": labels.get(span.state, span.state), "state": span.state,
            "x": x(span.start), "w": max(round(x(span.end) - x(span.start), 1), 2),
            "y": 24 + index * 22, "days": round(days, 1), "ongoing": span.ongoing,
            "side": span.state in SIDE_STATES,
            "start": timezone.localtime(span.start), "end": timezone.localtime(span.end),
        })
    timeline.height = 24 + len(spans) * 22 + 40
    timeline.today_x = x(now)
    for label, when in milestones:
        timeline.markers.append({"label": label, "x": x(when), "date": timezone.localtime(when),
                                 "future": when > now})
    step = 7 if total / 86400 <= 70 else 30
    day = timezone.localdate(first)
    while day <= timezone.localdate(last):
        when = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        if when >= first:
            timeline.ticks.append({"x": x(when), "label": f"{day:%d %b}"})
        day += dt.timedelta(days=step)
    return timeline


_STATUS_RANK = {"overdue": 0, "due": 1, "upcoming": 2, "done": 3}


def calendar_grid(rows: list[dict]) -> list[dict]:
    """The calendar's events laid out as month grids (Monday first), each day with its events
    and the most urgent status among them."""
    import calendar as cal

    by_day: dict[dt.date, list[dict]] = defaultdict(list)
    for row in rows:
        by_day[row["event"].date].append(row)
    if not by_day:
        return []
    months = []
    first, last = min(by_day), max(by_day)
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        weeks = []
        for week in cal.Calendar(firstweekday=0).monthdatescalendar(year, month):
            days = []
            for day in week:
                events = by_day.get(day, []) if day.month == month else []
                status = min((e["status"] for e in events), key=_STATUS_RANK.get, default="")
                days.append({"date": day, "in_month": day.month == month, "events": events,
                             "status": status})
            weeks.append(days)
        months.append({"title": dt.date(year, month, 1).strftime("%B %Y"), "weeks": weeks})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months
