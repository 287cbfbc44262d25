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
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import (
    DateTimeField,
    F,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Greatest
from django_fsm_log.models import StateLog

from cases.clinical import add_years
from cases.clock import ist_date
from cases.deadlines.sql import SecondBirthday, india_date
from cases.models import Case
from cases.states import MAIN_LINE, CaseState

# The stages before the infusion, in order; the infusion ends infusion_scheduled.
BEFORE_INFUSION = MAIN_LINE[: MAIN_LINE.index(CaseState.MONITORING)]
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Kept:
    """A statistic the dashboard keeps in ``dashboard.Statistics``: how to compute it over a
    set of cases, and how it goes to and comes back from JSON."""

    compute: Callable[[QuerySet[Case], dt.datetime], Any]
    dump: Callable[[Any], Any]
    load: Callable[[Any], Any]
    scoped: bool = True  # False: one value whatever the dashboard's filters


def scope_of(cases: QuerySet[Case]) -> str:
    """Which set of cases a kept statistic is over: ``""`` for every case, else a digest of
    the query that selects them."""
    if not cases.query.where:
        return ""
    return hashlib.sha256(str(cases.order_by().values("pk").query).encode()).hexdigest()[:16]


def kept(name: str, cases: QuerySet[Case], now: dt.datetime) -> tuple[dt.datetime, Any]:
    """``(computed_at, value)`` of the statistic ``name`` over ``cases``: as kept, when it was
    computed at most ``NPP_DASHBOARD_STATS_SECONDS`` ago (the periodic refresh keeps the
    unfiltered ones younger than that), else computed now and kept (0: computed every time)."""
    from .models import Statistics

    statistic = STATISTICS[name]
    keep = settings.NPP_DASHBOARD_STATS_SECONDS
    scope = scope_of(cases) if statistic.scoped else ""
    if keep:
        found = Statistics.objects.filter(
            name=name, scope=scope, computed_at__gt=now - dt.timedelta(seconds=keep)
        ).first()
        if found is not None:
            return found.computed_at, statistic.load(found.data)
    value = statistic.compute(cases, now)
    if keep:
        store(name, scope, now, value)
    return now, value


def store(name: str, scope: str, now: dt.datetime, value: Any) -> None:
    """Keep ``value`` (one row per statistic and scope; two requests storing at once both
    succeed, the later one's value stays)."""
    from .models import Statistics

    Statistics.objects.bulk_create(
        [Statistics(name=name, scope=scope, computed_at=now, data=STATISTICS[name].dump(value))],
        update_conflicts=True,
        unique_fields=["name", "scope"],
        update_fields=["computed_at", "data"],
    )


# A filtered dashboard's statistics not asked for again in this long are dropped by the
# refresh (one row per filter combination ever used would otherwise pile up).
FORGET_AFTER = dt.timedelta(days=1)


def refresh(now: dt.datetime) -> list[str]:
    """Recompute and keep every statistic over every case (what the unfiltered dashboard
    shows): the periodic task, so that no page request computes them. Filtered ones older
    than ``FORGET_AFTER`` go."""
    from .models import Statistics

    cases = Case.objects.all()
    for name, statistic in STATISTICS.items():
        store(name, "", now, statistic.compute(cases, now))
    Statistics.objects.exclude(scope="").filter(computed_at__lt=now - FORGET_AFTER).delete()
    return list(STATISTICS)


def _days(later: str, earlier: str) -> str:
    """SQL for the days between two instants, as a float."""
    if connection.vendor == "postgresql":
        return f"(EXTRACT(EPOCH FROM ({later} - {earlier})) / 86400.0)"
    return f"(julianday({later}) - julianday({earlier}))"


def _scope(cases: QuerySet[Case], column: str) -> tuple[str, list]:
    """SQL restricting ``column`` to ``cases`` (nothing when they are every case)."""
    if not cases.query.where:
        return "", []
    sql, params = cases.order_by().values("pk").query.sql_with_params()
    return f" AND {column} IN ({sql})", list(params)


def ended_stays(cases: QuerySet[Case], *, since: dt.datetime | None = None) -> tuple[str, list]:
    """SQL (and params) of (stay_case, stay_state, stay_days) for each stay that ended, at a
    log row, since ``since``: each case's opening and log rows in order (a window function),
    each stay starting at the row before its own."""
    cases_in, params = _scope(cases, "c.id")
    logs_in, _ = _scope(cases, "l.object_id")
    content_type = ContentType.objects.get_for_model(Case)
    log_table = StateLog._meta.db_table
    events = f"""
        SELECT c.id AS case_id, c.created_at AS at, 0 AS ord, NULL AS source_state,
               '{CaseState.APPLICATION.value}' AS state
        FROM {Case._meta.db_table} c WHERE TRUE{cases_in}
        UNION ALL
        SELECT l.object_id, l.timestamp, l.id, l.source_state, l.state
        FROM {log_table} l WHERE l.content_type_id = %s{logs_in}"""
    window = "PARTITION BY ev.case_id ORDER BY ev.at, ev.ord"
    sql = f"""
        SELECT e.case_id AS stay_case, COALESCE(e.source_state, e.before_state) AS stay_state,
               {_days("e.at", "e.started")} AS stay_days
        FROM (SELECT ev.*, LAG(ev.at) OVER ({window}) AS started,
                     LAG(ev.state) OVER ({window}) AS before_state
              FROM ({events}) ev) e
        WHERE e.ord > 0"""
    params = [*params, content_type.pk, *params]
    if since is not None:
        sql += " AND e.at >= %s"
        params.append(connection.ops.adapt_datetimefield_value(since))
    return sql, params


def current_stays(cases: QuerySet[Case], now: dt.datetime) -> tuple[str, list]:
    """SQL (and params) of (stay_case, stay_state, stay_days so far) for each case's stay in
    its current state."""
    cases_in, params = _scope(cases, "c.id")
    days = _days("%s", "c.state_changed_at")
    return (
        f"SELECT c.id AS stay_case, c.state AS stay_state, {days} AS stay_days "
        f"FROM {Case._meta.db_table} c WHERE TRUE{cases_in}",
        [connection.ops.adapt_datetimefield_value(now), *params],
    )


def _percentiles(sql: str, params: list, fractions=(0.5, 0.9)) -> dict[str, dict]:
    """``{state: {"count": n, 0.5: ..., 0.9: ...}}`` over ``sql``'s (case, state, days) rows."""
    if connection.vendor == "postgresql":
        cols = ", ".join(
            f"percentile_cont({f}) WITHIN GROUP (ORDER BY s.stay_days)" for f in fractions
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT s.stay_state, count(*), {cols} FROM ({sql}) s GROUP BY s.stay_state",
                params,
            )
            return {
                state: {"count": n, **dict(zip(fractions, values, strict=True))}
                for state, n, *values in cursor.fetchall()
            }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = defaultdict(list)
        for _, state, days in cursor.fetchall():
            found[state].append(days)
    return {
        state: {"count": len(values), **{f: percentile(values, f) for f in fractions}}
        for state, values in found.items()
    }


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
    ended, ended_params = ended_stays(cases, since=now - days * DAY)
    running, running_params = current_stays(cases, now)
    found = _percentiles(f"{ended} UNION ALL {running}", [*ended_params, *running_params])
    rows = []
    for state in MAIN_LINE[:-1]:
        stats = found.get(state.value)
        rows.append(
            {
                "state": state.value,
                "label": state.label,
                "count": stats["count"] if stats else 0,
                "median": round(stats[0.5], 1) if stats else None,
                "p90": round(stats[0.9], 1) if stats else None,
            }
        )
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
        return sum(self.medians[s] for s in BEFORE_INFUSION[index + 1 :])

    def basis(self) -> str:
        stages = ", ".join(f"{CaseState(s).label} {self.medians[s]:.1f}" for s in BEFORE_INFUSION)
        text = (
            f"Median days per stage over the {self.closed} case"
            f"{'s' if self.closed != 1 else ''} closed since {self.since:%d %b %Y}: "
            f"{stages}."
        )
        if self.from_settings:
            text += (
                " No closed case went through "
                + ", ".join(str(CaseState(s).label) for s in self.from_settings)
                + ": the expected duration from the settings stands in."
            )
        return text


def prediction(now: dt.datetime, *, closed_within_days: int = 365) -> Prediction:
    """Medians per stage on the cases closed in the last year: each case's total time in the
    stage (its stays summed; holds are stays of their own), then the median over the cases."""
    since = now - closed_within_days * DAY
    closed = Case.objects.filter(state=CaseState.CLOSED, state_changed_at__gte=since)
    sql, params = ended_stays(closed)
    per_case = (
        f"SELECT t.stay_case, t.stay_state, sum(t.stay_days) AS stay_days FROM ({sql}) t "
        f"GROUP BY t.stay_case, t.stay_state"
    )
    found = _percentiles(per_case, list(params), fractions=(0.5,))
    limits = settings.NPP_STAGE_LIMIT_DAYS
    result = Prediction(
        since=since.date(), closed=max((stats["count"] for stats in found.values()), default=0)
    )
    for state in BEFORE_INFUSION:
        if state.value in found:
            result.medians[state.value] = round(found[state.value][0.5], 1)
        else:
            result.medians[state.value] = float(limits.get(state.value, 1))
            result.from_settings.append(state.value)
    return result


def birthday_before_infusion(
    cases: QuerySet[Case], now: dt.datetime, basis: Prediction
) -> QuerySet[Case]:
    """The open cases not yet infused whose 2nd birthday falls on or before their predicted
    infusion date: the time left of their stage (at least none) plus the later stages'
    medians; a scheduled case's own planned date; a held case as if resumed now."""
    birthday = SecondBirthday(F("patient__date_of_birth"))
    instant = Value(now, DateTimeField())
    condition = Q(
        state=CaseState.INFUSION_SCHEDULED,
        infusion_scheduled_at__isnull=False,
        birthday_on__lte=india_date("infusion_scheduled_at"),
    )
    for state in BEFORE_INFUSION[:-1]:
        stage, rest = basis.medians[state] * DAY, basis.after(state) * DAY
        running = Greatest(F("stage_clock_from") + stage, instant) + rest
        held = (
            Greatest(F("stage_clock_from") + stage + (instant - F("state_changed_at")), instant)
            + rest
        )
        condition |= Q(state=state) & Q(birthday_on__lte=india_date(running))
        condition |= Q(state=CaseState.ON_HOLD, hold_from_state=state) & Q(
            birthday_on__lte=india_date(held)
        )
    # No prediction is later than now plus the longest rest of the way (or a scheduled
    # infusion, within the 14-day window): only children turning 2 by then can be at risk,
    # which the date of birth alone tells (the 2nd birthday of a date of birth only grows).
    longest = max(
        [basis.medians[s] + basis.after(s) for s in BEFORE_INFUSION[:-1]]
        + [settings.NPP_COLD_CHAIN_DAYS]
    )
    latest = ist_date(now) + (longest + 2) * DAY
    born_by = add_years(latest, -2) + DAY
    return (
        cases.filter(infused_at__isnull=True, patient__date_of_birth__lte=born_by)
        .alias(birthday_on=birthday)
        .filter(condition)
    )


def _durations_from(data: list[dict]) -> list[dict]:
    """Kept days per stage, with each stage's label in the reader's language."""
    return [{**row, "label": CaseState(row["state"]).label} for row in data]


def _prediction_data(found: Prediction) -> dict:
    return {**asdict(found), "since": found.since.isoformat() if found.since else None}


def _prediction_from(data: dict) -> Prediction:
    since = dt.date.fromisoformat(data["since"]) if data.get("since") else None
    return Prediction(**{**data, "since": since})


STATISTICS: dict[str, Kept] = {
    "durations": Kept(
        compute=stage_durations,
        dump=lambda rows: [{k: v for k, v in row.items() if k != "label"} for row in rows],
        load=_durations_from,
    ),
    # Over the cases closed in the last year, whichever the dashboard shows.
    "prediction": Kept(
        compute=lambda cases, now: prediction(now),
        dump=_prediction_data,
        load=_prediction_from,
        scoped=False,
    ),
}
