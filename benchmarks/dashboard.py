"""The facilitators' dashboard at 1,000, 10,000 and 100,000 open cases: queries, median time and
page size; and the first page of the next-deadlines list beside it.

Open cases as in ``sweep.py`` (every active state, on hold, rejected; 50 hospitals, 500
doctors, 5 facilitators; time in state up to 1.1 x the state's limit, so about one in eleven is
overdue; 2 to 23 months old), plus closed cases (2 % of the open ones) with a transition log
of nine stays each, so the prediction of the infusion date has a basis. The data grows in place
from one size to the next. Pages are requested through Django's test client in-process (the
whole middleware and view stack, no network), ``DEBUG`` off, as the dashboard's first
facilitator; 5 measured runs after 1 warm-up.

The dashboard is measured twice: as it runs with the settings as shipped, its statistics over
months (the days per stage, the medians of closed cases behind the prediction) read from the
table the periodic task ``dashboard.refresh_statistics`` keeps (run first, as beat would); and
with them recomputed on every request (``NPP_DASHBOARD_STATS_SECONDS=0``), which is what a
request would pay if the refresh stopped. The refresh itself (the background task) is timed
beside them.

Targets (issue 14): the same number of queries at every size; under 1 s median at 100,000
open cases; a page of bounded size.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/npp .venv/bin/python benchmarks/dashboard.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

from _common import (
    MIN_RUNS,
    analyze,
    bench_database,
    bulk_cases,
    bulk_people,
    heading,
    machine,
    repeat,
    verdict,
)
from lists import logged_in_client, measure

SIZES = (1_000, 10_000, 100_000)
MAX_MEDIAN_S = 1.0
# (url, seconds the statistics over months are kept: 0 recomputes them on every request)
PAGES = {
    "dashboard, statistics recomputed": ("/dashboard/", 0),
    "dashboard, statistics refreshed": ("/dashboard/", 600),
    "next deadlines (mine)": ("/dashboard/deadlines/", 600),
    "next deadlines (everyone's)": ("/dashboard/deadlines/?facilitator=all", 600),
}
# Days each stage takes on the closed cases, at random within these (the prediction's basis).
CLOSED_STAGES = {
    "application": (1, 5),
    "documents": (5, 20),
    "regulatory_review": (2, 12),
    "approved": (3, 12),
    "customs": (1, 6),
    "delivery": (1, 3),
    "infusion_scheduled": (1, 5),
    "monitoring": (90, 100),
}


def closed_cases(count: int, *, people, now: dt.datetime, rng: random.Random, start: int) -> None:
    """``count`` closed cases with a log row per transition (bulk, benchmark data only)."""
    from django.contrib.contenttypes.models import ContentType
    from django_fsm_log.models import StateLog

    from cases.models import Case, Patient, Product

    product = Product.objects.get(name="Zolgensma")
    case_type = ContentType.objects.get_for_model(Case)
    patients = Patient.objects.bulk_create(
        [
            Patient(
                full_name=f"Closed child {n}",
                date_of_birth=now.date() - dt.timedelta(days=600),
                sex="M",
                guardian_name="G",
                guardian_relationship="Father",
                city="Pune",
                state="Maharashtra",
            )
            for n in range(start, start + count)
        ]
    )
    cases, histories = [], []
    for n, patient in zip(range(start, start + count), patients, strict=True):
        doctor = people.doctors[n % len(people.doctors)]
        when = now - dt.timedelta(days=rng.uniform(160, 330))
        opened, history = when, []
        for state, (low, high) in CLOSED_STAGES.items():
            when += dt.timedelta(days=rng.uniform(low, high))
            history.append((state, when))
        cases.append(
            Case(
                reference=f"CLOSED-{n:07d}",
                patient=patient,
                product=product,
                doctor=doctor,
                hospital_id=doctor.hospital_id,
                facilitator=people.facilitators[n % len(people.facilitators)],
                state="closed",
                state_changed_at=when,
                stage_clock_from=when,
                infused_at=history[-2][1],
                close_reason="other",
                close_override_reason="Benchmark",
            )
        )
        histories.append((opened, history))
    Case.objects.bulk_create(cases, batch_size=5000)
    logs = []
    for case, (_, history) in zip(cases, histories, strict=True):
        for index, (state, when) in enumerate(history):  # each stay ends with a log row
            target = history[index + 1][0] if index + 1 < len(history) else "closed"
            logs.append(
                StateLog(
                    timestamp=when,
                    source_state=state,
                    state=target,
                    transition="bench",
                    content_type=case_type,
                    object_id=case.pk,
                )
            )
    StateLog.objects.bulk_create(logs, batch_size=5000)
    for case, (opened, _) in zip(cases, histories, strict=True):
        case.created_at = opened  # auto_now_add set it to now
    Case.objects.bulk_update(cases, ["created_at"], batch_size=5000)


def generate(size: int, have: int, people, now, rng) -> int:
    from cases.states import ACTIVE_STATES, CaseState

    started = time.perf_counter()
    states = [*ACTIVE_STATES, CaseState.ON_HOLD, CaseState.REJECTED]
    bulk_cases(size - have, people=people, states=states, now=now, rng=rng, start=have)
    closed = (size - have) // 50
    closed_cases(closed, people=people, now=now, rng=rng, start=have)
    analyze(vacuum=True)
    print(
        f"  generated {size - have:,} more open cases and {closed:,} closed ones in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return size


def run(sizes: list[int], runs: int) -> int:
    from django.core.cache import cache
    from django.test import override_settings
    from django.utils import timezone

    from dashboard.models import Statistics
    from dashboard.stages import refresh

    now = timezone.now()
    rng = random.Random(5)
    people = bulk_people(
        hospitals=50, doctors_per_hospital=10, admins_per_hospital=2, facilitators=5
    )
    client = logged_in_client(people.facilitators[0])
    results: dict[str, dict[int, dict]] = {name: {} for name in PAGES}
    refreshes: dict[int, object] = {}
    have = 0
    for size in sizes:
        have = generate(size, have, people, now, rng)
        heading(f"{size:,} open cases; {machine()}")
        refreshes[size] = repeat(lambda: refresh(timezone.now()), runs=runs, warmup=1)
        print(f"  {'statistics refresh (task)':32} {'':28} {refreshes[size].text()}")
        for name, (url, keep) in PAGES.items():
            cache.clear()
            Statistics.objects.all().delete()  # this size's, refreshed as beat would
            refresh(timezone.now())
            with override_settings(NPP_DASHBOARD_STATS_SECONDS=keep):
                client.get(url)  # the process's first request also fills Django's caches
                result = measure(client, url, runs)
            results[name][size] = result
            print(
                f"  {name:32} {result['queries']:4} queries  {result['bytes'] / 1024:6.0f} KiB  "
                f"{result['stats'].text()}"
            )
    missed = report(results, sizes)
    times = " / ".join(f"{refreshes[s].median * 1000:.0f}" for s in sizes)
    print(f"  statistics refresh (the background task, no target): medians {times} ms")
    return missed


def report(results: dict[str, dict[int, dict]], sizes: list[int]) -> int:
    largest = sizes[-1]
    heading(
        f"Targets: queries the same at every size, median at {largest:,} under "
        f"{MAX_MEDIAN_S:.0f} s, a page of bounded size"
    )
    missed = 0
    for name, by_size in results.items():
        queries = [by_size[s]["queries"] for s in sizes]
        sizes_kib = [by_size[s]["bytes"] / 1024 for s in sizes]
        median = by_size[largest]["stats"].median
        checks = [
            len(set(queries)) == 1,
            median < MAX_MEDIAN_S,
            max(sizes_kib) < 2 * min(sizes_kib),
        ]
        missed += not all(checks)
        print(
            f"  {name:32} queries {' / '.join(map(str, queries))} ({verdict(checks[0])}); "
            f"median at {largest:,} {median * 1000:.0f} ms ({verdict(checks[1])}); page "
            f"{' / '.join(f'{k:.0f}' for k in sizes_kib)} KiB ({verdict(checks[2])})"
        )
        medians = [by_size[s]["stats"].median * 1000 for s in sizes]
        print(f"  {'':32} medians {' / '.join(f'{m:.0f}' for m in medians)} ms")
    return missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=MIN_RUNS)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    args = parser.parse_args()
    started = time.perf_counter()
    with bench_database("dashboard.py", "dashboard"):
        missed = run(sorted(args.sizes), max(args.runs, MIN_RUNS))
    print(
        f"\ndashboard.py: {missed} of {len(PAGES)} pages miss a target; "
        f"took {time.perf_counter() - started:.0f} s."
    )


if __name__ == "__main__":
    main()
