"""Helpers for the benchmarks: a throwaway PostgreSQL database, bulk data, timing and printing.

Every benchmark runs standalone (``.venv/bin/python benchmarks/lists.py``). It needs
``DATABASE_URL`` pointing at PostgreSQL; it creates its own database ``npp_bench_<name>`` on
that server, migrates it, and drops it at the end. Without PostgreSQL it says so and exits 0,
so ``make bench`` on the embedded default explains what it needs instead of failing.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# After ROOT is on sys.path; npp.backup imports no Django.
from npp.backup import Database  # noqa: E402

MIN_RUNS = 5
BENCH_PREFIX = "npp_bench_"
PASSWORD = "bench-pass-2026"


# --- The database -----------------------------------------------------------------------------


def require_postgres(script: str) -> str:
    """The server's ``DATABASE_URL``, or a clear message and exit 0 when it is not PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        print(
            f"{script}: skipped. The benchmarks need PostgreSQL: set DATABASE_URL, e.g.\n"
            f"  DATABASE_URL=postgres://postgres@127.0.0.1:5432/npp make bench\n"
            f"(each benchmark creates and drops its own database {BENCH_PREFIX}* on that "
            f"server; the role needs CREATEDB)."
        )
        sys.exit(0)
    return url


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def printable(url: str) -> str:
    """``url`` without its password."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"postgres://{user}{host}{port}{parts.path}"


def _server(url: str) -> Database:
    import environ

    return Database.from_settings({**environ.Env.db_url_config(url), "NAME": "postgres"})


def _create(url: str, name: str) -> None:
    from psycopg import sql

    assert name.startswith(BENCH_PREFIX), name  # never drop anything that is not ours
    with _server(url).connect() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str, name: str) -> None:
    from psycopg import sql

    assert name.startswith(BENCH_PREFIX), name
    with _server(url).connect() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextmanager
def bench_database(script: str, name: str) -> Iterator[str]:
    """Create ``npp_bench_<name>_<pid>``, point Django at it, migrate; drop it afterwards.
    The process id keeps two runs on one server (two checkouts benchmarking at once) apart."""
    base = require_postgres(script)
    db_name = f"{BENCH_PREFIX}{name}_{os.getpid()}"
    url = with_database(base, db_name)
    _create(base, db_name)
    print(f"{script}: database {printable(url)} (created now, dropped at the end); {machine()}")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "npp.settings")
    # Production-like rendering and no query log; the development profile keeps HTTP (the
    # production profile would redirect to HTTPS and needs collectstatic).
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    warnings.filterwarnings("ignore", "No directory at", UserWarning)  # no collectstatic needed
    import django
    from django.core.management import call_command

    django.setup()
    try:
        call_command("migrate", verbosity=0)
        yield url
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(base, db_name)
        print(f"{script}: finished; {machine()}")


def machine() -> str:
    """The load others put on this machine while we measure (figures are only comparable
    when it is low)."""
    one, five, _ = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {one:.2f} (1 min) {five:.2f} (5 min)"


# --- Timing and printing --------------------------------------------------------------------------


@dataclass
class Stats:
    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    def text(self, unit: str = "ms", scale: float = 1000.0, digits: int = 1) -> str:
        f = f"{{:.{digits}f}}"
        return (
            f"median {f.format(self.median * scale)} {unit} "
            f"(min {f.format(self.low * scale)}, max {f.format(self.high * scale)}, "
            f"n={len(self.values)})"
        )


def repeat(fn: Callable[[], object], runs: int = MIN_RUNS, warmup: int = 1) -> Stats:
    """Wall time of ``fn`` over ``runs`` runs after ``warmup`` unmeasured ones."""
    assert runs >= MIN_RUNS
    for _ in range(warmup):
        fn()
    values = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        values.append(time.perf_counter() - start)
    return Stats(values)


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def heading(text: str) -> None:
    print(f"\n== {text}")


# --- Bulk data (benchmark data only: written directly, not through the services) ------------------


@dataclass
class People:
    facilitators: list = field(default_factory=list)
    hospitals: list = field(default_factory=list)
    doctors: list = field(default_factory=list)  # Doctor rows
    admins: list = field(default_factory=list)  # HospitalAdmin rows


def bulk_people(
    *,
    hospitals: int,
    doctors_per_hospital: int,
    admins_per_hospital: int = 1,
    facilitators: int = 3,
    tag: str = "b",
) -> People:
    """Users with the password ``PASSWORD`` (hashed once), hospitals, doctors and admins."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from cases.access import FACILITATORS_GROUP
    from cases.models import Doctor, Hospital, HospitalAdmin, PortOffice

    user_model = get_user_model()
    hashed = make_password(PASSWORD)

    def users(prefix: str, count: int, **extra) -> list:
        return user_model.objects.bulk_create(
            [
                user_model(
                    username=f"{prefix}{i}",
                    password=hashed,
                    email=f"{prefix}{i}@example.in",
                    first_name=prefix.title(),
                    last_name=str(i),
                    **extra,
                )
                for i in range(count)
            ]
        )

    people = People()
    people.facilitators = users(f"{tag}fac", facilitators, is_staff=True)
    group, _ = Group.objects.get_or_create(name=FACILITATORS_GROUP)
    group.user_set.add(*people.facilitators)
    people.hospitals = Hospital.objects.bulk_create(
        [
            Hospital(
                name=f"Bench hospital {tag}{i}",
                address="1 Road",
                city="Pune",
                state="Maharashtra",
                port_office=PortOffice.MUMBAI_AIRPORT,
            )
            for i in range(hospitals)
        ]
    )
    doctor_users = users(f"{tag}doc", hospitals * doctors_per_hospital)
    people.doctors = Doctor.objects.bulk_create(
        [
            Doctor(
                user=u,
                registration_number=f"BENCH-{tag}-{i}",
                council="MMC",
                hospital=people.hospitals[i // doctors_per_hospital],
            )
            for i, u in enumerate(doctor_users)
        ]
    )
    admin_users = users(f"{tag}hadm", hospitals * admins_per_hospital)
    people.admins = HospitalAdmin.objects.bulk_create(
        [
            HospitalAdmin(user=u, hospital=people.hospitals[i // admins_per_hospital])
            for i, u in enumerate(admin_users)
        ]
    )
    return people


# Days a case has typically spent in its state (stage limits from settings; others: a month).
def stage_limit(state: str) -> int:
    from django.conf import settings

    return settings.NPP_STAGE_LIMIT_DAYS.get(str(state), 30)


def case_facts(state: str, age: dt.timedelta, now: dt.datetime, rng: random.Random) -> dict:
    """Field values a case in ``state`` plausibly has, ``age`` after entering it."""
    from cases.states import CaseState as S

    day = dt.timedelta(days=1)
    today = now.date()
    order = [
        S.APPLICATION,
        S.DOCUMENTS,
        S.REGULATORY_REVIEW,
        S.APPROVED,
        S.CUSTOMS,
        S.DELIVERY,
        S.INFUSION_SCHEDULED,
        S.MONITORING,
        S.CLOSED,
    ]
    reached = (
        order.index(state)
        if state in order
        else {S.ON_HOLD: 3, S.REJECTED: 2, S.CANCELLED: 1}[state]
    )
    facts: dict = {"state": state, "state_changed_at": now - age, "stage_clock_from": now - age}
    if reached >= 3:
        facts.update(
            permit_number=f"12B/BEN/{rng.randrange(10**6)}",
            permit_issued_on=today - day * rng.randint(5, 60),
            permit_valid_until=today + day * rng.randint(0, 180),
        )
    if reached >= 4:
        facts.update(
            supplier_order_ref="NGT-B",
            awb_number="176-0000000",
            courier="WC",
            eta=now + day * rng.uniform(-3, 5)
            if state == S.CUSTOMS
            else now - day * rng.uniform(1, 20),
        )
    if reached >= 5:
        facts.update(bill_of_entry_number="7300000", duty_exemption_claimed=True)
    if reached >= 6:
        received = now - day * rng.uniform(0, 11)
        facts.update(
            received_at=received,
            received_by="Pharmacy",
            temperature_ok=True,
            infusion_scheduled_at=received + day * rng.uniform(1, 13),
        )
    if reached >= 7:
        facts.update(infused_at=now - day * rng.uniform(0, 90), kit_lot_numbers="AVX001A")
    if state == S.ON_HOLD:
        # Held from approved after some days there: that stage's clock stands still.
        facts.update(
            hold_from_state=S.APPROVED,
            hold_reason="Titre above 1:50.",
            stage_clock_from=now - age - day * rng.uniform(0, stage_limit(S.APPROVED)),
        )
    elif state == S.REJECTED:
        facts["rejection_reason"] = "Prescription unsigned."
    elif state == S.CANCELLED:
        facts["cancellation_reason"] = "Family withdrew."
    elif state == S.CLOSED:
        facts["close_override_reason"] = ""
    return facts


def bulk_cases(
    count: int,
    *,
    people: People,
    states: Sequence[str],
    now: dt.datetime,
    rng: random.Random,
    owner: Callable[[int], object] | None = None,
    start: int = 0,
    batch: int = 5000,
) -> int:
    """``count`` cases (patients and one StateLog row each) spread over ``states``.

    ``owner(i)`` picks the Doctor of case ``i`` (default: round robin); the case's hospital is
    the doctor's. Time in state is uniform over 0 to 1.1 x the state's limit, so about one
    case in eleven is overdue. Returns how many cases exist now.
    """
    from django.contrib.contenttypes.models import ContentType
    from django_fsm_log.models import StateLog

    from cases.models import Case, Patient, Product

    owner = owner or (lambda i: people.doctors[i % len(people.doctors)])
    product = Product.objects.get(name="Zolgensma")
    case_type = ContentType.objects.get_for_model(Case)
    for offset in range(0, count, batch):
        size = min(batch, count - offset)
        numbers = range(start + offset, start + offset + size)
        patients = Patient.objects.bulk_create(
            [
                # 2 to 23 months old: some second birthdays are close (the dashboard counts them).
                Patient(
                    full_name=f"Bench child {n}",
                    date_of_birth=now.date() - dt.timedelta(days=60 + (n * 7919) % 640),
                    sex="F",
                    guardian_name=f"Guardian {n}",
                    guardian_relationship="Mother",
                    guardian_email=f"guardian{n}@example.in",
                    city="Pune",
                    state="Maharashtra",
                )
                for n in numbers
            ],
            batch_size=batch,
        )
        cases = []
        for n, patient in zip(numbers, patients, strict=True):
            doctor = owner(n)
            state = states[n % len(states)]
            age = dt.timedelta(days=rng.uniform(0, 1.1 * stage_limit(state)))
            cases.append(
                Case(
                    reference=f"BENCH-{n:07d}",
                    patient=patient,
                    product=product,
                    doctor=doctor,
                    hospital_id=doctor.hospital_id,
                    facilitator=people.facilitators[n % len(people.facilitators)],
                    **case_facts(state, age, now, rng),
                )
            )
        Case.objects.bulk_create(cases, batch_size=batch)
        StateLog.objects.bulk_create(
            [
                StateLog(
                    timestamp=case.state_changed_at,
                    by=case.facilitator,
                    source_state=None,
                    state=case.state,
                    transition="bench",
                    content_type=case_type,
                    object_id=case.pk,
                )
                for case in cases
            ],
            batch_size=batch,
        )
    return Case.objects.count()


def analyze(*, vacuum: bool = False) -> None:
    """Fresh planner statistics after bulk loading (autovacuum may not have run yet); with
    ``vacuum``, also the visibility map a running database keeps, which index-only scans
    need."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
