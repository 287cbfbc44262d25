"""Two reminder sweeps at once on PostgreSQL: every reminder exists once, and each email is
enqueued by exactly one of them.

The sweeps run in two threads with their own connections. In the first test one sweep stops
inside its transaction after its first statement, holding uncommitted rows, until the other
has started; the other's inserts of the same keys wait for it, then skip them. In the second
both start together, several times over.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from cases.models import Channel, Notification
from cases.reminders import outbox, reminders_sweep
from tests.factories import CaseFactory, walk_to

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREAD_TIMEOUT = 60


@pytest.fixture
def due_everywhere(facilitator, doctor1, hospital1):
    """Cases with reminders of several rules due three days from now: ETAs passed, kits
    received, infusions planned, tests due."""
    for state in ("customs", "customs", "infusion_scheduled", "monitoring", "documents"):
        walk_to(CaseFactory(doctor=doctor1.doctor, facilitator=facilitator), state, facilitator)
    return timezone.now() + dt.timedelta(days=3, hours=1)


def run_two(now, *, hold_first: bool) -> dict:
    """Two sweeps at ``now``; with ``hold_first``, sweep "a" waits after its first statement
    (uncommitted) until sweep "b" is under way. Returns what each created and enqueued."""
    results: dict[str, dict] = {}
    enqueued: list[tuple[str, int]] = []
    a_inserted, b_started = threading.Event(), threading.Event()
    insert = outbox.insert

    def held_insert(pieces, roles, *, now):
        rows = insert(pieces, roles, now=now)
        if hold_first and threading.current_thread().name == "a" and not a_inserted.is_set():
            a_inserted.set()
            b_started.wait(THREAD_TIMEOUT)
            time.sleep(0.5)  # b is now waiting on a's uncommitted keys
        return rows

    def sweep(name: str) -> None:
        try:
            if hold_first and name == "b":
                a_inserted.wait(THREAD_TIMEOUT)
                b_started.set()
            created = reminders_sweep(now=now)
            results[name] = {"created": created, "ended": time.monotonic()}
        except Exception as exc:
            results[name] = {"error": exc}
        finally:
            connection.close()

    def delay(pk: int) -> None:
        enqueued.append((threading.current_thread().name, pk))

    with (
        mock.patch.object(outbox, "insert", held_insert),
        mock.patch("cases.tasks.deliver_notification_task.delay", delay),
    ):
        threads = [threading.Thread(target=sweep, args=(name,), name=name) for name in "ab"]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(THREAD_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a sweep hung"
    assert all("error" not in r for r in results.values()), results
    return {"results": results, "enqueued": enqueued}


def assert_each_once(outcome: dict) -> None:
    rows = list(Notification.objects.values_list("dedupe_key", "channel", "pk"))
    assert rows, "the scenario has reminders due"
    assert len({key for key, *_ in rows}) == len(rows)  # no reminder twice
    created = sum(r["created"] for r in outcome["results"].values())
    assert created == len(rows)  # each row counted by the sweep that inserted it
    emails = sorted(pk for _, channel, pk in rows if channel == Channel.EMAIL)
    by_pk = Counter(pk for _, pk in outcome["enqueued"])
    assert sorted(by_pk) == emails
    assert set(by_pk.values()) == {1}


def test_a_sweep_that_overlaps_another_waits_for_its_rows_and_creates_none_of_them(due_everywhere):
    outcome = run_two(due_everywhere, hold_first=True)

    assert_each_once(outcome)
    a, b = outcome["results"]["a"], outcome["results"]["b"]
    assert a["created"] > 0
    assert b["ended"] > a["ended"]  # b waited for a's uncommitted keys


def test_sweeps_started_together_create_every_reminder_once(due_everywhere):
    for offset in range(3):  # each round sweeps a day later: some reminders are new
        before = set(Notification.objects.values_list("pk", flat=True))
        outcome = run_two(due_everywhere + dt.timedelta(days=offset), hold_first=False)

        keys = list(Notification.objects.values_list("dedupe_key", flat=True))
        assert len(set(keys)) == len(keys)
        new = Notification.objects.exclude(pk__in=before)
        assert sum(r["created"] for r in outcome["results"].values()) == new.count()
        enqueued = [pk for _, pk in outcome["enqueued"]]
        assert sorted(enqueued) == sorted(
            new.filter(channel=Channel.EMAIL).values_list("pk", flat=True)
        )
