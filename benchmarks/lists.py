"""Case lists at 100 and at 10,000 cases: SQL queries per page and latency.

Pages: the facilitators' admin changelist (/admin/cases/case/), the doctor's list
(/portal/doctor/) and the hospital admin's list (/portal/hospital/). One doctor at one hospital
owns every case, so each portal list covers all of them: the worst case for a list. Cases are
spread evenly over every state (bulk-created; see ``_common.bulk_cases``).

Targets (issue 7): queries per page do not grow from 100 to 10,000 cases; median latency at
10,000 is at most 1.5 x the median at 100 and under 150 ms.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/npp .venv/bin/python benchmarks/lists.py
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections import Counter, deque

from _common import (
    MIN_RUNS,
    analyze,
    bench_database,
    bulk_cases,
    bulk_people,
    heading,
    repeat,
    verdict,
)

SIZES = (100, 10_000)
PAGES = {
    "admin changelist": ("/admin/cases/case/", "facilitator"),
    "doctor portal list": ("/portal/doctor/", "doctor"),
    "hospital portal list": ("/portal/hospital/", "hospital"),
}
MAX_RATIO, MAX_MEDIAN_MS = 1.5, 150.0
# The indexes proposed for cases.Case (``--try-indexes`` adds them to the throwaway database):
# every list sorts its scope newest first and shows one page, which these let PostgreSQL
# read straight off the index instead of sorting the whole scope.
PROPOSED_INDEXES = [
    "CREATE INDEX bench_case_newest ON cases_case (created_at DESC, id DESC)",
    "CREATE INDEX bench_case_doctor_newest ON cases_case (doctor_id, created_at DESC, id DESC)",
    "CREATE INDEX bench_case_hospital_newest ON cases_case (hospital_id, created_at DESC, id DESC)",
]


def logged_in_client(user):
    """A test client with ``user``'s session (and a verified second factor for staff)."""
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    if user.is_staff and "django_otp" in settings.INSTALLED_APPS:
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def query_shapes(queries: list[dict]) -> Counter:
    """SQL with literals replaced, to show which statement repeats per row."""
    return Counter(re.sub(r"'[^']*'|\b\d+\b", "?", q["sql"])[:110] for q in queries)


def measure(client, url: str, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # The query log keeps 9,000 entries by default; a page with an N+1 has more.
    connection.queries_log = deque(maxlen=1_000_000)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(
            f"{url} answered {response.status_code} "
            f"{response.get('Location', '')}: cannot measure it."
        )
    # Read the capture now: the next request empties the log.
    queries, shapes = len(captured), query_shapes(captured.captured_queries)
    stats = repeat(lambda: client.get(url), runs=runs, warmup=1)
    return {"queries": queries, "shapes": shapes, "bytes": len(response.content), "stats": stats}


def add_proposed_indexes() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in PROPOSED_INDEXES:
            cursor.execute(statement)
    print("  with the proposed indexes:\n    " + "\n    ".join(PROPOSED_INDEXES))


def run(runs: int, try_indexes: bool) -> int:
    from django.utils import timezone

    from cases.states import CaseState

    rng = random.Random(7)
    now = timezone.now()
    people = bulk_people(hospitals=1, doctors_per_hospital=1, facilitators=1)
    users = {
        "facilitator": people.facilitators[0],
        "doctor": people.doctors[0].user,
        "hospital": people.admins[0].user,
    }
    clients = {role: logged_in_client(user) for role, user in users.items()}
    results: dict[str, dict[int, dict]] = {name: {} for name in PAGES}
    if try_indexes:
        add_proposed_indexes()
    have = 0
    for size in SIZES:
        have = bulk_cases(
            size - have, people=people, states=list(CaseState), now=now, rng=rng, start=have
        )
        analyze()
        heading(f"{have:,} cases")
        for name, (url, role) in PAGES.items():
            result = measure(clients[role], url, runs)
            results[name][size] = result
            print(
                f"  {name:22} {result['queries']:6} queries  {result['bytes'] / 1024:8.0f} KiB  "
                f"{result['stats'].text()}"
            )
    return report(results)


def report(results: dict[str, dict[int, dict]]) -> int:
    small, large = SIZES
    heading(
        f"Targets: queries do not grow, ratio {large:,}/{small} <= {MAX_RATIO}, "
        f"median at {large:,} < {MAX_MEDIAN_MS:.0f} ms"
    )
    missed = 0
    for name, by_size in results.items():
        a, b = by_size[small], by_size[large]
        ratio = b["stats"].median / a["stats"].median
        median_ms = b["stats"].median * 1000
        checks = [b["queries"] <= a["queries"], ratio <= MAX_RATIO, median_ms < MAX_MEDIAN_MS]
        missed += not all(checks)
        print(
            f"  {name:22} queries {a['queries']} -> {b['queries']} ({verdict(checks[0])}); "
            f"ratio {ratio:.2f} ({verdict(checks[1])}); median at {large:,} "
            f"{median_ms:.1f} ms ({verdict(checks[2])})"
        )
        if not checks[0]:
            grown = (b["shapes"] - a["shapes"]).most_common(3)
            for shape, extra in grown:
                print(f"      +{extra} x {shape}")
    return missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=MIN_RUNS, help="measured runs per page")
    parser.add_argument("--large", type=int, default=10_000, help="the larger case count")
    parser.add_argument(
        "--try-indexes", action="store_true", help="measure with the proposed Case indexes added"
    )
    args = parser.parse_args()
    global SIZES
    SIZES = (100, args.large)
    started = time.perf_counter()
    with bench_database("lists.py", "lists"):
        missed = run(max(args.runs, MIN_RUNS), args.try_indexes)
    print(
        f"\nlists.py: {missed} of {len(PAGES)} pages miss a target; "
        f"took {time.perf_counter() - started:.0f} s."
    )


if __name__ == "__main__":
    main()
