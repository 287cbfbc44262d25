"""The reminder sweep (``cases.reminders.reminders_sweep``) at 1,000, 10,000 and 100,000 open
cases, beside the floor: what the database needs at least for the same work.

Cases are spread evenly over the open states (every active state, on hold, rejected), 50
hospitals, 500 doctors (with 2 admins per hospital) and 5 facilitators. Time in state is
uniform over 0 to 1.1 x the state's limit, so about one case in eleven is overdue; cases in
documents have no documents yet; shipments, deliveries and infusions have plausible dates
(see ``_common.case_facts``). The data grows in place from one size to the next.

Each run empties the notification table, then sweeps twice at the same ``now``: the first
sweep creates the whole backlog, the second must create nothing. Runs are interleaved with the
floors, measured in the same way:

- read floor: one query that computes a dedupe key for every open case and channel and
  anti-joins the outbox (what any sweep that checks every case against the outbox pays);
- write floor: one ``INSERT ... SELECT`` of as many rows as the first sweep created, keys made
  up, into the same table with the same indexes (rolled back).

The broker is not called: ``deliver_notification_task.delay`` is replaced by a counter, so the
figures are the database and Python work only. Peak memory is the Python heap's peak during one
sweep (tracemalloc, a separate run), and the process's peak RSS at the end.

Targets (issue 14): at 100,000 open cases, first and second sweep under 3 s median and under 20
queries; the second creates 0; growth from 10,000 to 100,000 linear or better.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/npp .venv/bin/python benchmarks/sweep.py
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import pstats
import random
import resource
import time
import tracemalloc
from collections import Counter, defaultdict
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
    machine,
    verdict,
)

SIZES = (1_000, 10_000, 100_000)
MAX_SECONDS, MAX_QUERIES = 3.0, 20


@contextmanager
def counting_queries():
    """Counts every statement on the default connection (no log kept, any number)."""
    from django.db import connection

    counter = {"n": 0, "shapes": Counter()}

    def wrapper(execute, sql, params, many, context):
        counter["n"] += 1
        counter["shapes"][" ".join(sql[:60].split()[:3])] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield counter


@contextmanager
def timing_rules():
    """Time each rule's statement (``outbox.insert``), by rule, while a sweep runs."""
    from cases import reminders
    from cases.reminders import outbox

    original = outbox.insert
    times: dict[str, list] = defaultdict(list)
    names = iter([])

    def timed(pieces, roles, *, now):
        start = time.perf_counter()
        rows = original(pieces, roles, now=now)
        times[next(names)].append((time.perf_counter() - start, len(rows)))
        return rows

    def reset():
        nonlocal names
        names = iter([rule.name for rule in reminders.RULES])

    with mock.patch.object(outbox, "insert", timed):
        yield times, reset


def one_sweep(now, rules=None) -> dict:
    from cases.reminders import reminders_sweep

    enqueued = []
    with (
        mock.patch("cases.tasks.deliver_notification_task.delay", enqueued.append),
        counting_queries() as queries,
    ):
        if rules is not None:
            rules[1]()
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


def read_floor(now) -> float:
    """One anti-join over all open cases: a key per case and channel looked up in the outbox."""
    from django.db import connection

    sql = """
    SELECT count(*) FROM cases_case c
    CROSS JOIN (SELECT 'in_app' AS channel UNION ALL SELECT 'email') ch
    WHERE c.state NOT IN ('closed', 'cancelled')
      AND NOT EXISTS (SELECT 1 FROM cases_notification n
                      WHERE n.dedupe_key = 'floor:' || c.id || ':u' || c.facilitator_id || ':'
                            || to_char(c.state_changed_at, 'YYYY-MM-DD') || ':' || ch.channel)
    """
    with connection.cursor() as cursor:
        start = time.perf_counter()
        cursor.execute(sql)
        cursor.fetchone()
        return time.perf_counter() - start


def write_floor(rows: int) -> float:
    """``rows`` outbox rows written by one INSERT ... SELECT (rolled back)."""
    from django.db import connection, transaction

    sql = """
    INSERT INTO cases_notification (case_id, recipient_id, recipient_email, kind, channel,
        due_at, subject, body, html_body, dedupe_key, created_at, status, attempts,
        last_error, sent_at, context)
    SELECT (SELECT min(id) FROM cases_case), NULL, '', 'floor',
        CASE WHEN i %% 2 = 0 THEN 'email' ELSE 'in_app' END, now(), '', '', '',
        'floor:' || i, now(), 'pending', 0, '', NULL, '{}'::jsonb
    FROM generate_series(1, %s) i
    ON CONFLICT (dedupe_key) DO NOTHING RETURNING id
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            start = time.perf_counter()
            cursor.execute(sql, [rows])
            cursor.fetchall()
            took = time.perf_counter() - start
        transaction.set_rollback(True)
    return took


def peak_memory(now) -> tuple[float, float]:
    """The Python heap's peak (MB) during a first and a second sweep."""
    peaks = []
    empty_notifications()
    for _ in range(2):
        tracemalloc.start()
        one_sweep(now)
        peaks.append(tracemalloc.get_traced_memory()[1] / 1e6)
        tracemalloc.stop()
    return peaks[0], peaks[1]


def generate(count: int, now, people, done: int) -> int:
    from cases.states import ACTIVE_STATES, CaseState

    started = time.perf_counter()
    states = [*ACTIVE_STATES, CaseState.ON_HOLD, CaseState.REJECTED]
    total = bulk_cases(
        count - done,
        people=people,
        states=states,
        now=now,
        rng=random.Random(11 + done),
        start=done,
    )
    analyze(vacuum=True)
    print(
        f"  generated {total - done:,} more open cases ({total:,} in all) in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return total


def measure(size: int, now, runs: int) -> dict:
    heading(f"{size:,} open cases; {machine()}")
    first, second, reads, writes = [], [], [], []
    with timing_rules() as rules:
        for i in range(runs):
            empty_notifications()
            first.append(one_sweep(now, rules))
            second.append(one_sweep(now, rules))
            reads.append(read_floor(now))
            writes.append(write_floor(first[-1]["created"]))
            print(
                f"  run {i + 1}: first {first[-1]['seconds']:.2f} s, {first[-1]['queries']} "
                f"queries, {first[-1]['created']:,} created, {first[-1]['enqueued']:,} enqueued;"
                f" second {second[-1]['seconds']:.3f} s, {second[-1]['queries']} queries, "
                f"{second[-1]['created']} created, {second[-1]['enqueued']} enqueued; floors: "
                f"read {reads[-1]:.3f} s, write {writes[-1]:.3f} s"
            )
        by_rule = dict(rules[0])
    heap_first, heap_second = peak_memory(now)
    return {
        "size": size,
        "first": first,
        "second": second,
        "reads": reads,
        "writes": writes,
        "by_rule": by_rule,
        "heap": (heap_first, heap_second),
    }


def report(result: dict) -> None:
    first, second = result["first"], result["second"]
    f, s = Stats([x["seconds"] for x in first]), Stats([x["seconds"] for x in second])
    reads, writes = Stats(result["reads"]), Stats(result["writes"])
    print(
        f"  first sweep  {f.text('s', 1, 3)}; queries {first[0]['queries']}; created "
        f"{first[0]['created']:,}; heap peak {result['heap'][0]:.1f} MB"
    )
    print(
        f"  second sweep {s.text('s', 1, 3)}; queries {second[0]['queries']}; created "
        f"{[x['created'] for x in second]}; heap peak {result['heap'][1]:.1f} MB"
    )
    print(
        f"  read floor   {reads.text('s', 1, 3)}; second / read floor {s.median / reads.median:.1f}"
    )
    print(
        f"  write floor  {writes.text('s', 1, 3)}; first / (write + read floor) "
        f"{f.median / (writes.median + reads.median):.1f}"
    )
    runs = len(first)
    for name, items in result["by_rule"].items():
        firsts, seconds = items[0::2], items[1::2]
        print(
            f"    {name:22} first: median {Stats([t for t, _ in firsts]).median * 1000:7.1f} ms, "
            f"{firsts[0][1]:6,} rows; second: median "
            f"{Stats([t for t, _ in seconds]).median * 1000:6.1f} ms ({runs} runs)"
        )
    print(
        "  first sweep's statements: "
        + ", ".join(f"{n} x {shape}" for shape, n in first[0]["shapes"].most_common(6))
    )


def targets(results: list[dict]) -> None:
    heading(
        f"Targets at {results[-1]['size']:,}: < {MAX_SECONDS:.0f} s median, "
        f"< {MAX_QUERIES} queries, second sweep creates 0"
    )
    last = results[-1]
    for label, sweeps in (("first", last["first"]), ("second", last["second"])):
        median = Stats([x["seconds"] for x in sweeps]).median
        queries = max(x["queries"] for x in sweeps)
        print(
            f"  {label} sweep: median {median:.2f} s ({verdict(median < MAX_SECONDS)}), "
            f"{queries} queries at most ({verdict(queries < MAX_QUERIES)})"
        )
    zero = all(x["created"] == 0 for r in results for x in r["second"])
    print(f"  every second sweep created 0: {verdict(zero)}")
    heading("Growth (median seconds; x10 data each step)")
    for before, after in itertools.pairwise(results):
        for label in ("first", "second"):
            a = Stats([x["seconds"] for x in before[label]]).median
            b = Stats([x["seconds"] for x in after[label]]).median
            print(
                f"  {label:6} {before['size']:>7,} -> {after['size']:>7,}: "
                f"{a:.3f} s -> {b:.3f} s, x{b / a:.1f} "
                f"({verdict(b / a <= 10 * 1.2)} linear or better)"
            )


def profile_top(now, limit: int = 14) -> None:
    heading(f"cProfile of one first sweep, top {limit} by own time")
    empty_notifications()
    profiler = cProfile.Profile()
    profiler.enable()
    one_sweep(now)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(limit)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    print("\n".join(lines[start - 1 : start + limit + 1]))


def run(sizes: list[int], runs: int, profile: bool) -> None:
    from django.utils import timezone

    now = timezone.now()
    people = bulk_people(
        hospitals=50, doctors_per_hospital=10, admins_per_hospital=2, facilitators=5
    )
    done, results = 0, []
    for size in sizes:
        done = generate(size, now, people, done)
        results.append(measure(size, now, runs))
        report(results[-1])
    targets(results)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  process peak RSS (data generation included): {rss:.0f} MB")
    if profile:
        profile_top(now)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=MIN_RUNS)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    args = parser.parse_args()
    started = time.perf_counter()
    with bench_database("sweep.py", "sweep"):
        run(sorted(args.sizes), max(args.runs, MIN_RUNS), args.profile)
    print(f"\nsweep.py: took {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
