"""Who may run which transition. Doctors and hospital admins act only on their own cases
(covered next to their transitions); everything else is the facilitators' alone."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from cases.selectors import available_transitions
from cases.services import case_apply
from tests.factories import (
    FacilitatorFactory,
    UserFactory,
    bring_to,
    default_facts,
    state_logs,
)

pytestmark = pytest.mark.django_db

FACILITATOR_ONLY = [
    ("documents", "submit_to_regulator"),
    ("regulatory_review", "record_permit"),
    ("regulatory_review", "record_rejection"),
    ("rejected", "resubmit"),
    ("approved", "dispatch"),
    ("customs", "clear_customs"),
    ("monitoring", "close"),
    ("application", "hold"),
    ("on_hold", "resume"),
    ("application", "cancel"),
]
OTHERS = ["doctor1", "hospital1", "staff_non_facilitator", "outsider"]


@pytest.mark.parametrize(("state", "transition"), FACILITATOR_ONLY)
def test_facilitator_only_transitions_are_refused_to_everyone_else(
    case_a, facilitator, state, transition, request, subtests
):
    case = bring_to(case_a, state, facilitator)
    logs_before = len(state_logs(case))

    for who in OTHERS:
        with subtests.test(who=who):
            user = request.getfixturevalue(who)

            with pytest.raises(PermissionDenied):
                case_apply(case=case, transition=transition, by=user, **default_facts(transition))

            case.refresh_from_db()
            assert case.state == state
            assert len(state_logs(case)) == logs_before


def test_an_anonymous_user_may_run_nothing(case_a):
    with pytest.raises(PermissionDenied):
        case_apply(case=case_a, transition="start_document_collection", by=AnonymousUser())


def test_a_deactivated_facilitator_may_run_nothing(case_a):
    former = FacilitatorFactory(username="former", is_active=False)

    with pytest.raises(PermissionDenied):
        case_apply(case=case_a, transition="cancel", by=former, **default_facts("cancel"))

    case_a.refresh_from_db()
    assert case_a.state == "application"


def test_a_superuser_may_run_facilitator_transitions(case_a):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)

    case = case_apply(case=case_a, transition="hold", by=admin, **default_facts("hold"))

    assert case.state == "on_hold"


def test_each_role_is_offered_only_the_transitions_it_may_run_now(
    case_a, case_b, facilitator, doctor1, doctor2, hospital1, hospital2, outsider
):
    assert available_transitions(case_a, facilitator) == [
        "start_document_collection",
        "hold",
        "cancel",
    ]
    assert available_transitions(case_a, doctor1) == ["start_document_collection"]
    assert available_transitions(case_a, doctor2) == []
    assert available_transitions(case_a, hospital1) == []
    assert available_transitions(case_a, outsider) == []

    delivery = bring_to(case_a, "delivery", facilitator)
    assert available_transitions(delivery, hospital1) == ["confirm_delivery_and_schedule"]
    assert available_transitions(delivery, doctor1) == []

    scheduled = bring_to(case_b, "infusion_scheduled", facilitator)
    assert available_transitions(scheduled, doctor2) == ["record_infusion"]
    assert available_transitions(scheduled, doctor1) == []
    assert available_transitions(scheduled, hospital2) == []
