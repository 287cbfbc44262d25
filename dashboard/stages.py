"""Where cases wait, and when an open case can be expected to be infused.

Both read the stays of ``cases.timeline.case_stage_spans`` from the transition log, in SQL: one
stay per log row (its source state, from the row before it, or the case's opening) and the
current stay of each case (since ``state_changed_at``). PostgreSQL computes the percentiles
(``percentile_cont``, the same linear interpolation as ``statistics.median``); on SQLite, the
development database, the durations are read and the percentiles computed here.

The prediction (DOMAIN.md §2.3: the 2nd birthday is the hard deadline) adds, to what is left
of the stage a case is in, the median time each later stage up to the infusion took on closed
cases; time on hold is not a stage's (the hold is a stay of its own).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import (
    DateTimeField,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django_fsm_log.models import StateLog

from cases.deadlines.sql import SecondBirthday, india_date
from cases.models import Case
from cases.states import MAIN_LINE, CaseState

# The stages before the infusion, in order; the infusion ends infusion_scheduled.
BEFORE_INFUSION = MAIN_LINE[:MAIN_LINE.index(CaseState.MONITORING)]
DAY = dt.timedelta(days=1)


class Days(Func):
    """A duration in days, as a float."""

    output_field = FloatField()

    def as_postgresql(self, compiler, connection):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(EXTRACT(EPOCH FROM ({sql})) / 86400.0)", params

    def as_sqlite(self, compiler, connection):
        sql, params = compiler.compile(self.source_expressions[0])  # microseconds
        return f"(({sql}) / 86400000000.0)", params


def _logs(cases: QuerySet[Case]) -> QuerySet:
    content_type = ContentType.objects.get_for_model(Case)
    return StateLog.objects.filter(content_type=content_type, object_id__in=cases.values("pk"))


def ended_stays(cases: QuerySet[Case], *, since: dt.datetime | None = None) -> QuerySet:
    """(case id, state, days) of each stay that ended (at a log row), since ``since``."""
    content_type = ContentType.objects.get_for_model(Case)
    before = (StateLog.objects.filter(content_type=content_type, object_id=OuterRef("object_id"))
              .filter(Q(timestamp__lt=OuterRef("timestamp"))
                      | Q(timestamp=OuterRef("timestamp"), pk__lt=OuterRef("pk")))
              .order_by("-timestamp", "-pk"))
    opened = Case.objects.filter(pk=OuterRef("object_id")).values("created_at")[:1]
    logs = _logs(cases)
    if since is not None:
        logs = logs.filter(timestamp__gte=since)
    return logs.annotate(
        started=Coalesce(Subquery(before.values("timestamp")[:1]), Subquery(opened),
                         output_field=DateTimeField()),
        stay_state=Coalesce("source_state", Subquery(before.values("state")[:1]),
                            Value(CaseState.APPLICATION.value)),
        stay_days=Days(F("timestamp") - F("started")),
        stay_case=F("object_id"),
    ).order_by().values_list("stay_case", "stay_state", "stay_days")


def current_stays(cases: QuerySet[Case], now: dt.datetime) -> QuerySet:
    """(case id, state, days so far) of each case's stay in its current state."""
    return cases.annotate(
        stay_case=F("pk"), stay_state=F("state"),
        stay_days=Days(Value(now, DateTimeField()) - F("state_changed_at")),
    ).order_by().values_list("stay_case", "stay_state", "stay_days")


def _percentiles(sql: str, params: list, fractions=(0.5, 0.9)) -> dict[str, dict]:
    """``{state: {"count": n, 0.5: ..., 0.9: ...}}`` over ``sql``'s (case, state, days) rows."""
    if connection.vendor == "postgresql":
        cols = ", ".join(f"percentile_cont({f}) WITHIN GROUP (ORDER BY s.stay_days)"
                         for f in fractions)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT s.stay_state, count(*), {cols} FROM ({sql}) s "
                           f"GROUP BY s.stay_state", params)
            return {state: {"count": n, **dict(zip(fractions, values, strict=True))}
                    for state, n, *values in cursor.fetchall()}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = defaultdict(list)
        for _, state, days in cursor.fetchall():
            found[state].append(days)
    return {state: {"count": len(values), **{f: percentile(values, f) for f in fractions}}
            for state, values in found.items()}


def percentile(values: list[float], fraction: float) -> float:
    """Linear interpolation between the closest ranks (PostgreSQL's percentile_cont)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def stage_durations(cases: QuerySet[Case], now: dt.datetime, days: int = 90) -> list[dict]:
    """Median and 90th percentile days spent in each main-line stage, over stays that ended
    (or are still running) in the last ``days`` days, closed and open cases alike (one
    query)."""
    ended = ended_stays(cases, since=now - days * DAY)
    running = current_stays(cases, now)
    sql, params = ended.union(running, all=True).query.sql_with_params()
    found = _percentiles(sql, list(params))
    rows = []
    for state in MAIN_LINE[:-1]:
        stats = found.get(state.value)
        rows.append({"state": state.value, "label": state.label,
                     "count": stats["count"] if stats else 0,
                     "median": round(stats[0.5], 1) if stats else None,
                     "p90": round(stats[0.9], 1) if stats else None})
    return rows


@dataclass
class Prediction:
    """The median days each stage up to the infusion took on recently closed cases (a stage
    none of them went through: its expected duration from the settings), and how many
    closed cases that is."""

    medians: dict[str, float] = field(default_factory=dict)
    closed: int = 0
    since: dt.date | None = None
    from_settings: list[str] = field(default_factory=list)

    def after(self, state: str) -> float:
        """Days of the stages after ``state``, up to the infusion."""
        index = BEFORE_INFUSION.index(state)
        return sum(self.medians[s] for s in BEFORE_INFUSION[index + 1:])

    def basis(self) -> str:
        stages = ", ".join(f"{CaseState(s).label} {self.medians[s]:.1f}"
                           for s in BEFORE_INFUSION)
        text = (f"Median days per stage over the {self.closed} case"
                f"{'s' if self.closed != 1 else ''} closed since {self.since:%d %b %Y}: "
                f"{stages}.")
        if self.from_settings:
            text += (" No closed case went through " + ", ".join(
                CaseState(s).label for s in self.from_settings)
                + ": the expected duration from the settings stands in.")
        return text


def prediction(now: dt.datetime, *, closed_within_days: int = 365) -> Prediction:
    """Medians per stage on the cases closed in the last year: each case's total time in the
    stage (its stays summed; holds are stays of their own), then the median over the cases."""
    since = now - closed_within_days * DAY
    closed = Case.objects.filter(state=CaseState.CLOSED, state_changed_at__gte=since)
    sql, params = ended_stays(closed).query.sql_with_params()
    per_case = (f"SELECT t.stay_case, t.stay_state, sum(t.stay_days) AS stay_days FROM ({sql}) t "
                f"GROUP BY t.stay_case, t.stay_state")
    found = _percentiles(per_case, list(params), fractions=(0.5,))
    limits = settings.NPP_STAGE_LIMIT_DAYS
    result = Prediction(since=since.date(), closed=max(
        (stats["count"] for stats in found.values()), default=0))
    for state in BEFORE_INFUSION:
        if state.value in found:
            result.medians[state.value] = round(found[state.value][0.5], 1)
        else:
            result.medians[state.value] = float(limits.get(state.value, 1))
            result.from_settings.append(state.value)
    return result


def birthday_before_infusion(cases: QuerySet[Case], now: dt.datetime,
                             basis: Prediction) -> QuerySet[Case]:
    """The open cases not yet infused whose 2nd birthday falls on or before their predicted
    infusion date: the time left of their stage (at least none) plus the later stages'
    medians; a scheduled case's own planned date; a held case as if resumed now."""
    birthday = SecondBirthday(F("patient__date_of_birth"))
    instant = Value(now, DateTimeField())
    condition = Q(state=CaseState.INFUSION_SCHEDULED, infusion_scheduled_at__isnull=False,
                  birthday_on__lte=india_date("infusion_scheduled_at"))
    for state in BEFORE_INFUSION[:-1]:
        stage, rest = basis.medians[state] * DAY, basis.after(state) * DAY
        running = Greatest(F("stage_clock_from") + stage, instant) + rest
        held = Greatest(F("stage_clock_from") + stage + (instant - F("state_changed_at")),
                        instant) + rest
        condition |= Q(state=state) & Q(birthday_on__lte=india_date(running))
        condition |= (Q(state=CaseState.ON_HOLD, hold_from_state=state)
                      & Q(birthday_on__lte=india_date(held)))
    return (cases.filter(infused_at__isnull=True).alias(birthday_on=birthday)
            .filter(condition))
