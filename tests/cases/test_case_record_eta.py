"""A courier's new ETA reaches the case only through ``case_record_eta``, and only while the
kit is on its way."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.services import case_record_eta
from tests.factories import walk_to

pytestmark = pytest.mark.django_db


def test_a_new_eta_is_recorded_while_the_kit_is_in_customs_or_delivery(case_a, facilitator):
    case = walk_to(case_a, "customs", facilitator)
    state_changed_at = case.state_changed_at
    eta = timezone.now() + dt.timedelta(days=3)

    assert case_record_eta(case=case, eta=eta, source="World Courier") is True

    case.refresh_from_db()
    assert (case.eta, case.state, case.state_changed_at) == (eta, "customs", state_changed_at)
    assert case_record_eta(case=case, eta=eta, source="World Courier") is False  # unchanged


@pytest.mark.parametrize("state", ["approved", "infusion_scheduled"])
def test_an_eta_before_dispatch_or_after_receipt_is_not_recorded(case_a, facilitator, state):
    case = walk_to(case_a, state, facilitator)
    before = case.eta

    assert case_record_eta(case=case, eta=timezone.now(), source="World Courier") is False

    case.refresh_from_db()
    assert case.eta == before
