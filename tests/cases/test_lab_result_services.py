"""Post-infusion lab results are recorded, corrected and removed through services, by a
facilitator or the treating doctor; the case page's inline uses the same services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import LabResult
from cases.services import case_correct_lab_result, case_delete_lab_result, case_record_lab_result
from tests.factories import walk_to

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def infused(case_a, facilitator):
    return walk_to(case_a, "monitoring", facilitator)


def _record(case, by, **values):
    return case_record_lab_result(
        case=case, by=by, **{"test": "liver", "taken_on": TODAY(), "alt": Decimal("30"), **values}
    )


@pytest.mark.parametrize("who", ["facilitator", "doctor1"])
def test_the_treating_doctor_or_a_facilitator_records_a_result(who, request, infused):
    user = request.getfixturevalue(who)

    result = _record(infused, user)

    assert LabResult.objects.get() == result
    assert result.recorded_by == user
    assert result.alt == Decimal("30")


@pytest.mark.parametrize("who", ["doctor2", "hospital1", "staff_non_facilitator", "outsider"])
def test_anyone_else_is_refused_and_nothing_is_recorded(who, request, infused):
    with pytest.raises(PermissionDenied):
        _record(infused, request.getfixturevalue(who))

    assert not LabResult.objects.exists()


def test_a_result_from_the_future_is_refused_and_nothing_is_recorded(infused, doctor1):
    with pytest.raises(ValidationError):
        _record(infused, doctor1, taken_on=TODAY() + dt.timedelta(days=1))

    assert not LabResult.objects.exists()


def test_only_lab_fields_are_recorded(infused, doctor1, doctor2):
    with pytest.raises(ValueError, match="recorded_by"):
        _record(infused, doctor1, recorded_by=doctor2)

    assert not LabResult.objects.exists()


def test_a_result_is_corrected_by_the_same_roles_and_a_bad_value_changes_nothing(
    infused, doctor1, hospital1, facilitator
):
    result = _record(infused, doctor1)

    case_correct_lab_result(result=result, by=facilitator, alt=Decimal("41"))
    with pytest.raises(PermissionDenied):
        case_correct_lab_result(result=result, by=hospital1, alt=Decimal("99"))
    with pytest.raises(ValidationError):
        case_correct_lab_result(result=result, by=doctor1, taken_on=TODAY() + dt.timedelta(days=3))

    result = LabResult.objects.get()
    assert result.alt == Decimal("41")
    assert result.taken_on == TODAY()
    assert result.recorded_by == doctor1


def test_a_result_is_removed_only_by_the_same_roles(infused, doctor1, doctor2, facilitator):
    result = _record(infused, doctor1)

    with pytest.raises(PermissionDenied):
        case_delete_lab_result(result=result, by=doctor2)
    assert LabResult.objects.exists()

    case_delete_lab_result(result=result, by=facilitator)
    assert not LabResult.objects.exists()


# --- The case page's inline ---------------------------------------------------------------------


def _post_case_page(client, case, facilitator, rows, initial=0):
    data = {
        "priority": case.priority,
        "facilitator": facilitator.pk,
        "lab_results-TOTAL_FORMS": str(len(rows)),
        "lab_results-INITIAL_FORMS": str(initial),
    }
    for n, row in enumerate(rows):
        data.update({f"lab_results-{n}-{name}": value for name, value in row.items()})
    return client.post(reverse("admin:cases_case_change", args=[case.pk]), data)


@pytest.fixture
def spy(monkeypatch):
    calls = []
    for name in ("case_record_lab_result", "case_correct_lab_result", "case_delete_lab_result"):
        real = getattr(services, name)
        monkeypatch.setattr(
            services, name, lambda real=real, name=name, **kw: calls.append(name) or real(**kw)
        )
    return calls


def test_the_case_pages_inline_records_corrects_and_removes_through_the_services(
    client, infused, facilitator, doctor1, spy
):
    client.force_login(facilitator)
    row = {"test": "platelets", "taken_on": TODAY().isoformat(), "platelets": "250", "note": ""}

    assert _post_case_page(client, infused, facilitator, [row]).status_code == 302
    result = LabResult.objects.get()
    assert result.recorded_by == facilitator
    assert result.platelets == Decimal("250")

    existing = {**row, "id": result.pk, "case": infused.pk}
    _post_case_page(client, infused, facilitator, [{**existing, "platelets": "260"}], initial=1)
    result.refresh_from_db()
    assert result.platelets == Decimal("260")
    assert result.recorded_by == facilitator

    _post_case_page(client, infused, facilitator, [{**existing, "DELETE": "on"}], initial=1)
    assert not LabResult.objects.exists()
    assert spy == ["case_record_lab_result", "case_correct_lab_result", "case_delete_lab_result"]


def test_a_refused_inline_row_saves_nothing(client, infused, facilitator):
    client.force_login(facilitator)
    row = {"test": "liver", "taken_on": (TODAY() + dt.timedelta(days=2)).isoformat(), "alt": "30"}

    response = _post_case_page(client, infused, facilitator, [row])

    assert response.status_code == 200  # the page again, with the row's error
    assert not LabResult.objects.exists()
