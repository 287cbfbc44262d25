"""The case as a picture: its stays in each state, the timeline drawn on the case pages and
the calendar's month grids. The CSV export and the dashboard read the same stays.

Everything is computed from the transition log and the case's own dates; nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

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
    return {case.pk: _spans(case, logs[case.pk], now) for case in case_list}


def _spans(case: Case, logs: list, now: dt.datetime) -> list[Span]:
    start, state, result = case.created_at, CaseState.APPLICATION.value, []
    for log in logs:
        result.append(Span(log.source_state or state, start, log.timestamp))
        start, state = log.timestamp, log.state
    result.append(Span(case.state, start, now, ongoing=True))
    return result


def case_history(case: Case) -> list[StateLog]:
    """The case's transition log, oldest first, with who acted; read once per case object (the
    timeline and the history of a case page share it)."""
    if "_npp_history" not in case.__dict__:
        case.__dict__["_npp_history"] = list(
            StateLog.objects.for_(case)
            .select_related("by", "content_type")
            .order_by("timestamp", "pk")
        )
    history: list[StateLog] = case.__dict__["_npp_history"]
    return history


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


def timeline_stays(spans: list[Span]) -> list[dict]:
    """The stays as the timeline draws them: one per stage visit, with each hold inside it
    as a paused stretch (a hold stops the stage's clock: cases.deadlines), so a stage held
    and resumed is one row. A hold that never resumed ends its stage's row, paused."""
    stays: list[dict[str, Any]] = []
    for span in spans:
        last = stays[-1] if stays else None
        held = span.state == CaseState.ON_HOLD and last is not None and not last["side"]
        resumed = last is not None and last["held_open"] and span.state == last["state"]
        if last is not None and (held or resumed):
            last["parts"].append((span, held))
            last["held_open"] = held
            continue
        stays.append(
            {
                "state": span.state,
                "parts": [(span, False)],
                "held_open": False,
                "side": span.state in SIDE_STATES,
            }
        )
    return stays


def case_timeline(case: Case, now: dt.datetime | None = None, width: int = 640) -> Timeline:
    """One row per stage visited, a bar for the days it lasted with each hold in it hatched
    as paused, today and the next expected milestones as markers. Geometry for
    ``templates/cases/_timeline.html``."""
    now = now or timezone.now()
    spans = _spans(case, case_history(case), now)
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
    stays = timeline_stays(spans)
    for index, stay in enumerate(stays):
        parts = stay["parts"]
        start, end = parts[0][0].start, parts[-1][0].end
        paused = sum(((p.end - p.start).total_seconds() for p, held in parts if held), 0.0)
        counted = sum(((p.end - p.start).total_seconds() for p, held in parts if not held), 0.0)
        timeline.rows.append(
            {
                "label": labels.get(stay["state"], stay["state"]),
                "state": stay["state"],
                "x": x(start),
                "w": max(round(x(end) - x(start), 1), 2),
                "y": 24 + index * 22,
                "days": round(counted / 86400, 1),
                "paused_days": round(paused / 86400, 1),
                "ongoing": parts[-1][0].ongoing,
                "side": stay["side"],
                "start": timezone.localtime(start),
                "end": timezone.localtime(end),
                "pauses": [
                    {
                        "x": x(p.start),
                        "w": max(round(x(p.end) - x(p.start), 1), 2),
                        "start": timezone.localtime(p.start),
                        "end": timezone.localtime(p.end),
                        "days": round((p.end - p.start).total_seconds() / 86400, 1),
                        "ongoing": p.ongoing,
                    }
                    for p, held in parts
                    if held
                ],
            }
        )
    timeline.height = 24 + len(stays) * 22 + 40
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
