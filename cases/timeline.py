"""The case as a picture: its stays in each state, the timeline drawn on the case pages and
the calendar's month grids. The CSV export and the dashboard read the same stays.

Everything is computed from the transition log and the case's own dates; nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django_fsm_log.models import StateLog

from .models import Case
from .states import CaseState

SIDE_STATES = [CaseState.ON_HOLD, CaseState.REJECTED, CaseState.CANCELLED]


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
    for log in StateLog.objects.filter(
        content_type=content_type, object_id__in=[c.pk for c in case_list]
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


# --- The timeline ----------------------------------------------------------------------------------


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
    if case.infused_at:
        # The actual infusion replaces the plan; a deviation recorded with it shows here.
        deviation = case.safety_follow_ups.exists()
        milestones.append(
            ("Infusion given" + (" (protocol deviation)" if deviation else ""), case.infused_at)
        )
    elif case.infusion_scheduled_at:
        milestones.append(("Infusion", case.infusion_scheduled_at))
    if case.received_at:
        end = case.received_at + dt.timedelta(days=settings.NPP_COLD_CHAIN_DAYS)
        milestones.append((f"End of {settings.NPP_COLD_CHAIN_DAYS}-day window", end))
    if case.infused_at:
        milestones.append(
            (
                f"End of {settings.NPP_MONITORING_DAYS}-day monitoring",
                case.infused_at + dt.timedelta(days=settings.NPP_MONITORING_DAYS),
            )
        )
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
        timeline.rows.append(
            {
                "label": labels.get(span.state, span.state),
                "state": span.state,
                "x": x(span.start),
                "w": max(round(x(span.end) - x(span.start), 1), 2),
                "y": 24 + index * 22,
                "days": round(days, 1),
                "ongoing": span.ongoing,
                "side": span.state in SIDE_STATES,
                "start": timezone.localtime(span.start),
                "end": timezone.localtime(span.end),
            }
        )
    timeline.height = 24 + len(spans) * 22 + 40
    timeline.today_x = x(now)
    for label, when in milestones:
        timeline.markers.append(
            {"label": label, "x": x(when), "date": timezone.localtime(when), "future": when > now}
        )
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
                status = min(
                    (e["status"] for e in events), key=lambda s: _STATUS_RANK[s], default=""
                )
                days.append(
                    {
                        "date": day,
                        "in_month": day.month == month,
                        "events": events,
                        "status": status,
                    }
                )
            weeks.append(days)
        months.append({"title": dt.date(year, month, 1).strftime("%B %Y"), "weeks": weeks})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months
