"""Load: gunicorn (4 sync workers) on PostgreSQL, 50 logged-in portal users for 60 s.

Data: 25 hospitals, each with 2 doctors and 1 hospital admin; 20 cases per doctor (1,000
cases over every state, with accepted document rows for the gates each case has passed and
its state history). 25 doctors and the 25 hospital admins are simulated, each logged in once
through the real login form before the clock starts. A simulated user loops: its own list
(40 %) or one of its cases (60 %), then thinks 0.5-1.5 s (uniform; ``--think``), i.e. a
click about every second, far busier than a person. Users start spread over one think time.
The client is this script's own asyncio HTTP/1.1 client (stdlib only), one connection per
request as gunicorn's sync workers close them, on 127.0.0.1 only, with a 10 s timeout per
request and a cap on the requests of a run. An error is a non-200 answer, a timeout or a
broken connection.

Targets (issue 7): p95 under 300 ms and 0 errors.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/npp .venv/bin/python benchmarks/load.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from _common import (
    MIN_RUNS,
    PASSWORD,
    ROOT,
    Stats,
    analyze,
    bench_database,
    bulk_cases,
    bulk_people,
    heading,
    repeat,
    verdict,
)

HOST = "127.0.0.1"
WORKERS = 4
USERS = 50
DURATION = 60.0
THINK = (0.5, 1.5)
TIMEOUT = 10.0
MAX_REQUESTS_PER_RUN = 50_000
MAX_P95_MS = 300.0


# --- A small HTTP/1.1 client ----------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def cookies(self) -> dict[str, str]:
        found = {}
        for name, value in self.headers:
            if name == "set-cookie":
                key, _, rest = value.partition("=")
                found[key.strip()] = rest.split(";", 1)[0]
        return found


async def request(
    port: int, method: str, path: str, cookies: dict[str, str], form: dict[str, str] | None = None
) -> Answer:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        body = urlencode(form).encode() if form is not None else b""
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {HOST}:{port}",
            "Connection: close",
            "Accept: text/html",
            "User-Agent: npp-bench",
        ]
        if cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
        if form is not None:
            lines += [
                "Content-Type: application/x-www-form-urlencoded",
                f"Content-Length: {len(body)}",
            ]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()
        raw = await reader.read(-1)  # the server closes after the answer
    finally:
        writer.close()
    head, _, content = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = [
        (n.strip().lower(), v.strip()) for n, _, v in (h.partition(":") for h in header_lines)
    ]
    return Answer(int(status_line.split(" ", 2)[1]), headers, content)


async def log_in(port: int, username: str) -> dict[str, str]:
    page = await request(port, "GET", "/accounts/login/", {})
    cookies = page.cookies()
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    if page.status != 200 or token is None:
        raise RuntimeError(f"login page answered {page.status}")
    answer = await request(
        port,
        "POST",
        "/accounts/login/",
        cookies,
        {
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": token.group(1).decode(),
        },
    )
    cookies.update(answer.cookies())
    if answer.status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"login of {username} answered {answer.status}")
    return cookies


# --- Simulated users -----------------------------------------------------------------------------------


@dataclass
class User:
    username: str
    list_url: str
    case_urls: list[str]
    cookies: dict[str, str] = field(default_factory=dict)


@dataclass
class Sample:
    page: str
    seconds: float
    ok: bool
    detail: str = ""


async def simulate(
    port: int, user: User, until: float, samples: list[Sample], rng: random.Random
) -> None:
    kind = "doctor" if "/doctor/" in user.list_url else "hospital"
    # Users arrive spread over one think time, not all in the same millisecond: a burst of
    # 50 simultaneous first requests would queue behind 4 workers and say nothing about
    # steady load.
    await asyncio.sleep(rng.uniform(0, THINK[1]))
    while time.perf_counter() < until and len(samples) < MAX_REQUESTS_PER_RUN:
        is_list = rng.random() < 0.4
        path = user.list_url if is_list else rng.choice(user.case_urls)
        page = f"{kind} {'list' if is_list else 'case'}"
        start = time.perf_counter()
        try:
            answer = await asyncio.wait_for(request(port, "GET", path, user.cookies), TIMEOUT)
            ok, detail = answer.status == 200, str(answer.status)
        except (TimeoutError, OSError, ValueError, IndexError) as exc:
            ok, detail = False, type(exc).__name__
        samples.append(Sample(page, time.perf_counter() - start, ok, detail))
        await asyncio.sleep(rng.uniform(*THINK))


async def one_run(port: int, users: list[User], duration: float, seed: int) -> list[Sample]:
    samples: list[Sample] = []
    until = time.perf_counter() + duration
    rng = random.Random(seed)
    await asyncio.gather(
        *(simulate(port, u, until, samples, random.Random(rng.random())) for u in users)
    )
    return samples


def percentile(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


# --- Data, server, runs ------------------------------------------------------------------------------------


def generate() -> list[User]:
    from django.utils import timezone

    from cases.models import Case
    from cases.states import CaseState

    people = bulk_people(
        hospitals=25, doctors_per_hospital=2, admins_per_hospital=1, facilitators=2
    )
    bulk_cases(
        1000,
        people=people,
        states=list(CaseState),
        now=timezone.now(),
        rng=random.Random(5),
        owner=lambda i: people.doctors[i // 20],
    )
    bulk_documents()
    analyze()
    ids = list(Case.objects.values_list("pk", "doctor_id", "hospital_id"))
    doctors = [
        User(
            d.user.username,
            "/portal/doctor/",
            [f"/portal/doctor/cases/{pk}/" for pk, doc, _ in ids if doc == d.pk],
        )
        for d in people.doctors[::2]
    ]
    admins = [
        User(
            a.user.username,
            "/portal/hospital/",
            [f"/portal/hospital/cases/{pk}/" for pk, _, hosp in ids if hosp == a.hospital_id],
        )
        for a in people.admins
    ]
    return doctors + admins


def bulk_documents() -> None:
    """An accepted document row for every gate each case has passed (no files: pages only
    list them)."""
    from django.utils import timezone

    from cases.models import Case
    from cases.states import MAIN_LINE
    from documents.models import Document, DocumentType, ReviewStatus

    order = {state: i for i, state in enumerate(MAIN_LINE)}
    types = [t for t in DocumentType.objects.exclude(required_before="")]
    rows = []
    for case in Case.objects.only("pk", "state", "hold_from_state", "facilitator_id"):
        reached = order.get(case.state, order.get(case.hold_from_state, 2))
        for t in types:
            if order.get(t.required_before, 99) <= reached:
                rows.append(
                    Document(
                        case_id=case.pk,
                        document_type=t,
                        version=1,
                        file=f"bench/{case.pk}-{t.pk}.pdf",
                        original_filename=f"{t.code}.pdf",
                        size=1000,
                        content_type="application/pdf",
                        sha256="0" * 64,
                        uploaded_by_id=case.facilitator_id,
                        review_status=ReviewStatus.ACCEPTED,
                        reviewed_at=timezone.now(),
                        sample_taken_on=timezone.localdate() if t.is_lab else None,
                    )
                )
    Document.objects.bulk_create(rows, batch_size=2000)
    print(f"  {len(rows):,} document rows")


def serial_baseline(users: list[User]) -> None:
    """One request at a time, in this process: each page's queries and latency unloaded."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    heading("Serial baseline (in-process test client, no concurrency)")
    for user in (users[0], users[-1]):
        client = Client(HTTP_HOST=HOST)
        client.force_login(get_user_model().objects.get(username=user.username))
        for path in (user.list_url, user.case_urls[len(user.case_urls) // 2]):
            with CaptureQueriesContext(connection) as captured:
                status = client.get(path).status_code
            queries = len(captured)  # before the next request empties the log
            stats = repeat(lambda p=path, c=client: c.get(p), runs=MIN_RUNS)
            print(f"  {path:32} {status} {queries:4} queries  {stats.text()}")
    connection.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_ALLOWED_HOSTS": HOST,
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "npp.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(WORKERS),
        "--error-logfile",
        str(log),
    ]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_ready(port: int, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            if asyncio.run(request(port, "GET", "/accounts/login/", {})).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer within a minute")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)  # the master stops its own workers
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


async def log_in_all(port: int, users: list[User]) -> None:
    gate = asyncio.Semaphore(WORKERS)

    async def one(user: User) -> None:
        async with gate:
            user.cookies = await log_in(port, user.username)

    await asyncio.gather(*(one(u) for u in users))


def summarize(samples: list[Sample], duration: float) -> dict:
    times = [s.seconds for s in samples]
    return {
        "requests": len(samples),
        "rps": len(samples) / duration,
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "p99": percentile(times, 99),
        "errors": sum(not s.ok for s in samples),
    }


def run(url: str, runs: int, duration: float) -> None:
    heading("Data")
    users = generate()
    serial_baseline(users)
    from django.db import connections

    connections.close_all()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="npp-bench-load-") as tmp:
        log = Path(tmp) / "gunicorn.log"
        server = start_gunicorn(url, port, log)
        try:
            wait_ready(port, server)
            asyncio.run(log_in_all(port, users))
            heading(
                f"{len(users)} users ({sum('/doctor/' in u.list_url for u in users)} doctors), "
                f"think {THINK[0]}-{THINK[1]} s, gunicorn {WORKERS} workers on {HOST}:{port}"
                f"{conn_max_age(url)}, {runs} runs of {duration:.0f} s"
            )
            results, pooled = [], []
            for i in range(runs):
                samples = asyncio.run(one_run(port, users, duration, seed=i))
                results.append(summarize(samples, duration))
                pooled += samples
                r = results[-1]
                print(
                    f"  run {i + 1}: {r['requests']:,} requests, {r['rps']:.1f} req/s, p50 "
                    f"{r['p50'] * 1000:.0f} ms, p95 {r['p95'] * 1000:.0f} ms, p99 "
                    f"{r['p99'] * 1000:.0f} ms, errors {r['errors']}"
                )
        finally:
            stop(server)
            errors = log.read_text().strip().splitlines() if log.exists() else []
    report(results, pooled, [e for e in errors if "ERROR" in e or "Traceback" in e])


def conn_max_age(url: str) -> str:
    return f" (CONN_MAX_AGE={url.split('conn_max_age=')[1]})" if "conn_max_age=" in url else ""


def report(results: list[dict], pooled: list[Sample], server_errors: list[str]) -> None:
    heading(f"Targets: p95 < {MAX_P95_MS:.0f} ms, 0 errors")
    rps = Stats([r["rps"] for r in results])
    print(f"  requests/s   {rps.text('req/s', 1, 1)}")
    for key in ("p50", "p95", "p99"):
        print(f"  {key}          {Stats([r[key] for r in results]).text()}")
    errors = sum(r["errors"] for r in results)
    p95 = Stats([r["p95"] for r in results]).median * 1000
    print(
        f"  errors       {errors} of {len(pooled):,} "
        f"({verdict(errors == 0)}); median p95 {p95:.0f} ms ({verdict(p95 < MAX_P95_MS)})"
    )
    heading("By page (all runs pooled)")
    for page in sorted({s.page for s in pooled}):
        times = [s.seconds for s in pooled if s.page == page]
        print(
            f"  {page:14} {len(times):6,} requests  p50 {percentile(times, 50) * 1000:5.0f} ms"
            f"  p95 {percentile(times, 95) * 1000:5.0f} ms  p99 {percentile(times, 99) * 1000:5.0f} ms"
        )
    failed = sorted({s.detail for s in pooled if not s.ok})
    if failed:
        print(f"  error kinds: {', '.join(failed)}")
    for line in server_errors[:5]:
        print(f"  gunicorn: {line}")


def main() -> None:
    global THINK
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=MIN_RUNS)
    parser.add_argument("--duration", type=float, default=DURATION, help="seconds per run")
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=THINK,
        metavar=("MIN", "MAX"),
        help="seconds a user waits between requests, uniform (default 0.5 1.5)",
    )
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="serve with CONN_MAX_AGE=N (default: the settings' own)",
    )
    args = parser.parse_args()
    THINK = (max(args.think[0], 0.0), max(args.think))
    started = time.perf_counter()
    with bench_database("load.py", "load") as url:
        if args.conn_max_age is not None:
            url += f"?conn_max_age={args.conn_max_age}"
        run(url, max(args.runs, MIN_RUNS), min(args.duration, 600))
    print(f"\nload.py: took {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
