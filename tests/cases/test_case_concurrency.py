"""Two people acting on one case at once: exactly one wins, the other is told to reload.

The threaded tests need two real database connections holding row locks, which only the
PostgreSQL run (CI) has; they are marked ``postgres`` and skipped on SQLite.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from cases.models import Case
from cases.services import CaseConflict, case_apply
from tests.factories import default_facts, give_documents, state_logs, walk_to

THREAD_TIMEOUT = 30


def race(case_pk: int, attempts: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """Run each (transition, user) in its own thread and connection, all released together.

    Each thread reads the case before the barrier, so all start from the same state.
    Returns ("ok", case) or ("error", exception) per attempt, in order.
    """
    barrier = threading.Barrier(len(attempts))
    outcomes: list[tuple[str, object]] = [("missing", None)] * len(attempts)

    def attempt(index: int, transition: str, user) -> None:
        try:
            case = Case.objects.get(pk=case_pk)
            barrier.wait(timeout=THREAD_TIMEOUT)
            outcomes[index] = (
                "ok",
                case_apply(case=case, transition=transition, by=user, **default_facts(transition)),
            )
        except Exception as exc:
            outcomes[index] = ("error", exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=(i, name, user))
        for i, (name, user) in enumerate(attempts)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=THREAD_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a thread hung (lock never released?)"
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    "transitions", [("hold", "hold"), ("hold", "cancel"), ("dispatch", "cancel")]
)
def test_two_concurrent_transitions_on_one_case_exactly_one_wins(case_a, facilitator, transitions):
    case = walk_to(case_a, "approved", facilitator)
    give_documents(case, "customs", facilitator)  # so that dispatch could win
    logs_before = len(state_logs(case))

    outcomes = race(case.pk, [(name, facilitator) for name in transitions])

    winners = [value for kind, value in outcomes if kind == "ok"]
    losers = [value for kind, value in outcomes if kind == "error"]
    assert len(winners) == 1, outcomes
    assert len(losers) == 1, outcomes
    assert isinstance(losers[0], CaseConflict), outcomes
    [message] = losers[0].messages
    assert case.reference in message
    assert "changed by someone else" in message
    assert "Reload the case and try again." in message

    case.refresh_from_db()
    assert case.state == winners[0].state
    assert len(state_logs(case)) == logs_before + 1


@pytest.mark.django_db
def test_acting_on_a_stale_copy_of_the_case_is_a_conflict(case_a, facilitator):
    stale = Case.objects.get(pk=case_a.pk)
    case_apply(case=case_a, transition="hold", by=facilitator, **default_facts("hold"))

    with pytest.raises(CaseConflict) as conflict:
        case_apply(case=stale, transition="cancel", by=facilitator, **default_facts("cancel"))

    assert conflict.value.messages == [
        (
            f"{case_a.reference} was changed by someone else while you were working: it is "
            "now 'On hold'. Reload the case and try again."
        )
    ]
    case_a.refresh_from_db()
    assert case_a.state == "on_hold"
    assert case_a.cancellation_reason == ""
    assert [log.transition for log in state_logs(case_a)] == ["hold"]


@pytest.mark.django_db
def test_the_state_the_user_saw_is_checked_not_just_the_object(case_a, facilitator):
    case = walk_to(case_a, "documents", facilitator)

    with pytest.raises(CaseConflict):
        case_apply(
            case=case,
            transition="hold",
            by=facilitator,
            expected_state="application",
            **default_facts("hold"),
        )

    case.refresh_from_db()
    assert case.state == "documents"
