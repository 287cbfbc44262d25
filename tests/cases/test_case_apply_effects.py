"""Effects that leave the database (tasks, email) run only once a transition has committed."""

from __future__ import annotations

import pytest

from cases import services
from cases.services import TransitionRefused, case_apply
from tests.factories import default_facts

pytestmark = pytest.mark.django_db


@pytest.fixture
def hold_effect(monkeypatch):
    seen = []
    monkeypatch.setitem(services.ON_COMMIT_EFFECTS, "hold", [lambda case: seen.append(case.state)])
    return seen


def test_an_effect_runs_after_the_transition_commits(
    case_a, facilitator, hold_effect, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case_apply(case=case_a, transition="hold", by=facilitator, **default_facts("hold"))
        assert hold_effect == []  # not before the commit

    for callback in callbacks:
        callback()
    assert hold_effect == ["on_hold"]


def test_a_refused_transition_runs_no_effect(
    case_a, facilitator, hold_effect, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(TransitionRefused),
    ):
        case_apply(case=case_a, transition="hold", by=facilitator, hold_reason="")

    assert callbacks == []
    assert hold_effect == []
