from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_fsm_log.models import StateLog

from cases.access import is_facilitator
from cases.models import Case, Doctor, HospitalAdmin
from cases.states import CaseState

pytestmark = pytest.mark.django_db

DEMO_USERS = ["facilitator", "doctor1", "doctor2", "hospital1", "hospital2"]


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def seed(*args: str) -> None:
    call_command("seed_demo", *args, stdout=io.StringIO())


def counts() -> dict[str, int]:
    """Rows per model, across every installed app: a second run must add none anywhere."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_running_seed_demo_again_creates_nothing_new(settings):
    settings.DEBUG = True
    seed()
    first = counts()
    # The second run is forced with DEBUG off, as on a demo server (`--force`).
    settings.DEBUG = False

    seed("--force")

    assert counts() == first
    assert first["auth.User"] == 5
    assert first["cases.Hospital"] == 2
    assert first["cases.Case"] >= len(CaseState)
    assert first["django_fsm_log.StateLog"] > 0


def test_seed_demo_gives_demo_logins_and_a_case_in_every_state_with_its_history(debug_on):
    seed()

    assert set(Case.objects.values_list("state", flat=True)) == set(CaseState.values)
    for case in Case.objects.exclude(state=CaseState.APPLICATION):
        logs = StateLog.objects.for_(case).order_by("timestamp", "pk")
        assert logs.exists(), case.reference
        assert logs.last().state == case.state, case.reference
        assert all(log.by_id for log in logs), case.reference

    User = get_user_model()
    for username in DEMO_USERS:
        assert User.objects.get(username=username).check_password("demo-pass-2026"), username
    assert is_facilitator(User.objects.get(username="facilitator"))
    assert not any(is_facilitator(User.objects.get(username=n)) for n in DEMO_USERS[1:])
    doctor1 = Doctor.objects.get(user__username="doctor1")
    doctor2 = Doctor.objects.get(user__username="doctor2")
    assert doctor1.hospital != doctor2.hospital
    assert HospitalAdmin.objects.get(user__username="hospital1").hospital == doctor1.hospital
    assert HospitalAdmin.objects.get(user__username="hospital2").hospital == doctor2.hospital


def test_seed_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG off"):
        seed()

    assert Case.objects.count() == 0
    assert not get_user_model().objects.filter(username="facilitator").exists()
