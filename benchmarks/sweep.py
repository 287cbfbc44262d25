"""The reminder sweep (``cases.reminders.reminders_sweep``) over 100,000 open cases.

Cases are spread evenly over the open states (every active state, on hold, rejected), 50
hospitals, 500 doctors (with 2 admins per hospital) and 5 facilitators. Time in state is
uniform over 0 to 1.1 x the state's limit, so about one case in eleven is overdue; cases in
documents have no documents yet; shipments, deliveries and infusions have plausible dates
(see ``_common.case_facts``). Every run starts from an empty notification table: the first
sweep creates the backlog, the second must create nothing.

The sweep measured is whatever ``cases/reminders.py`` holds now. The broker is not called:
``deliver_notification_task.delay`` is replaced by a counter, so the figures are the database
and Python work only (the count of would-be enqueues is printed).

Targets (issue 7): a sweep under 3 s and under 20 queries; the second sweep creates 0.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/npp .venv/bin/python benchmarks/sweep.py
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import random
import time
from collections import Counter
from contextlib import contextmanager
from unittest import mock

from _common import (
    MIN_RUNS,
    Stats,
    analyze,
    bench_database,
    bulk_cases,
    bulk_people,
    heading,
    verdict,
)

CASES = 100_000
MAX_SECONDS, MAX_QUERIES = 3.0, 20


@contextmanager
def counting_queries():
    """Counts every statement on the default connection (no log kept, any number)."""
    from django.db import connection

    counter = {"n": 0, "shapes": Counter()}

    def wrapper(execute, sql, params, many, context):
        counter["n"] += 1
        counter["shapes"][" ".join(sql[:60].split()[:4])] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield counter


def one_sweep(now) -> dict:
    from cases.reminders import reminders_sweep

    enqueued = []
    with (
        mock.patch("cases.tasks.deliver_notification_task.delay", enqueued.append),
        counting_queries() as queries,
    ):
        start = time.perf_counter()
        created = reminders_sweep(now=now, enqueue=True)
        seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "queries": queries["n"],
        "created": created,
        "enqueued": len(enqueued),
        "shapes": queries["shapes"],
    }


def empty_notifications() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE cases_notification")


def generate(count: int, now) -> None:
    from cases.states import ACTIVE_STATES, CaseState

    started = time.perf_counter()
    people = bulk_people(
        hospitals=50, doctors_per_hospital=10, admins_per_hospital=2, facilitators=5
    )
    states = [*ACTIVE_STATES, CaseState.ON_HOLD, CaseState.REJECTED]
    total = bulk_cases(count, people=people, states=states, now=now, rng=random.Random(11))
    analyze()
    print(f"  generated {total:,} open cases in {time.perf_counter() - started:.0f} s")


def breakdown(now) -> None:
    """Where a second sweep (nothing new to create) spends its time, step by step as
    ``reminders_sweep`` runs them. The steps call the module's internals; if those change
    shape, the step list says so instead of failing the benchmark."""
    from django.db import connection

    from cases import reminders

    heading("Breakdown of one second sweep (every due notification already exists)")
    found = []
    for rule in reminders.RULES:
        with counting_queries() as q:
            start = time.perf_counter()
            due = rule(now)
            took = time.perf_counter() - start
        found += due
        print(f"  rule {rule.__name__:22} {len(due):7,} reminders {took:7.2f} s {q['n']:3} queries")
    try:
        steps(reminders, found)
    except (AttributeError, TypeError) as exc:
        print(f"  (steps skipped: cases.reminders changed shape: {exc})")
    anti_join(now)
    connection.close()


def steps(reminders, found) -> None:
    start = time.perf_counter()
    plans = [(reminder, reminders._planned(reminder)) for reminder in found]
    keys = [key for _, planned in plans for key, *_ in planned]
    print(f"  plan {len(keys):,} dedupe keys: {time.perf_counter() - start:.2f} s")
    with counting_queries() as q:
        start = time.perf_counter()
        existing = reminders._existing_keys(keys)
        took = time.perf_counter() - start
    print(
        f"  _existing_keys: {took:.2f} s, {q['n']} queries; {len(set(keys) - existing):,} new "
        f"(a sweep that creates rows looks the keys up 3 times)"
    )
    start = time.perf_counter()
    rows = [
        row for reminder, planned in plans for row in reminders._notifications(reminder, planned)
    ]
    took = time.perf_counter() - start
    print(
        f"  rendering all {len(found):,} reminders into {len(rows):,} rows, as a first sweep "
        f"does: {took:.2f} s ({took / max(len(found), 1) * 1000:.2f} ms per reminder)"
    )


def anti_join(now) -> None:
    """Proposed: a rule that skips already-notified cases in SQL (NOT EXISTS), shown for
    stage_overdue: a second sweep then loads no case at all."""
    from django.db.models import Exists, OuterRef, Q, Value
    from django.db.models.functions import Concat

    from cases import reminders
    from cases.models import Case, Notification

    condition = Q()
    for state, days in reminders.setting("NPP_STAGE_LIMIT_DAYS").items():
        condition |= Q(state=state, state_changed_at__lte=now - dt.timedelta(days=days))
    notified = Notification.objects.filter(
        case=OuterRef("pk"),
        kind=Concat(Value("stage_overdue_"), OuterRef("state")),
        created_at__gte=OuterRef("state_changed_at"),
    )
    with counting_queries() as q:
        start = time.perf_counter()
        due = list(
            Case.objects.filter(condition, facilitator__isnull=False)
            .filter(~Exists(notified))
            .select_related("patient", "doctor__user", "hospital", "facilitator")
        )
        took = time.perf_counter() - start
    print(
        f"  proposed, stage_overdue with NOT EXISTS (notification since entering the "
        f"state): {len(due):,} cases in {took * 1000:.0f} ms, {q['n']} query "
        f"(the current rule: all overdue cases, above)"
    )


def profile_top(now, limit: int = 14) -> None:
    heading(f"cProfile of one second sweep, top {limit} by own time")
    profiler = cProfile.Profile()
    profiler.enable()
    one_sweep(now)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(limit)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    print("\n".join(lines[start - 1 : start + limit + 1]))


def run(count: int, runs: int, profile: bool) -> None:
    from django.utils import timezone

    now = timezone.now()
    heading(f"Data: {count:,} open cases")
    generate(count, now)
    first, second = [], []
    for i in range(runs):
        empty_notifications()
        first.append(one_sweep(now))
        second.append(one_sweep(now))
        print(
            f"  run {i + 1}: first {first[-1]['seconds']:.2f} s, {first[-1]['queries']} queries, "
            f"{first[-1]['created']:,} created, {first[-1]['enqueued']:,} enqueued; "
            f"second {second[-1]['seconds']:.2f} s, {second[-1]['queries']} queries, "
            f"{second[-1]['created']} created, {second[-1]['enqueued']:,} enqueued"
        )
    report(first, second)
    if profile:
        breakdown(now)
        profile_top(now)


def report(first: list[dict], second: list[dict]) -> None:
    heading(f"Targets: < {MAX_SECONDS:.0f} s, < {MAX_QUERIES} queries, second sweep creates 0")
    for label, sweeps in (("first sweep (backlog)", first), ("second sweep", second)):
        stats = Stats([s["seconds"] for s in sweeps])
        queries = Stats([s["queries"] for s in sweeps])
        print(
            f"  {label:22} wall {stats.text('s', 1, 2)} ({verdict(stats.median < MAX_SECONDS)}); "
            f"queries median {queries.median:.0f} (min {queries.low:.0f}, max {queries.high:.0f})"
            f" ({verdict(queries.high < MAX_QUERIES)}); created {sweeps[0]['created']:,}"
        )
    for label, sweep in (("first", first[0]), ("second", second[0])):
        common = ", ".join(f"{n} x {shape}" for shape, n in sweep["shapes"].most_common(4))
        print(f"  {label} sweep's statements: {common}")
    zero = all(s["created"] == 0 for s in second)
    print(f"  second sweep created {[s['created'] for s in second]} ({verdict(zero)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=MIN_RUNS)
    parser.add_argument("--cases", type=int, default=CASES)
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    args = parser.parse_args()
    started = time.perf_counter()
    with bench_database("sweep.py", "sweep"):
        run(args.cases, max(args.runs, MIN_RUNS), args.profile)
    print(f"\nsweep.py: took {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
