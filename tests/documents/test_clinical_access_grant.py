"""Clinical access for a case's hospital admins is granted and revoked through services, by
facilitators only, each recorded in the access log; the grant admin uses the same services."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cases import access
from documents import admin as documents_admin
from documents.models import ClinicalAccessGrant, DocumentAccess
from documents.services import case_grant_clinical_access, case_revoke_clinical_access

pytestmark = pytest.mark.django_db

OTHERS = ["doctor1", "hospital1", "staff_non_facilitator", "outsider"]


def _logged():
    return list(
        DocumentAccess.objects.order_by("pk").values_list("action", "username", "document_label")
    )


def test_a_facilitator_grants_access_with_a_reason_and_it_is_logged(case_a, facilitator, hospital1):
    grant = case_grant_clinical_access(case=case_a, by=facilitator, reason=" Infusion team. ")

    assert grant.granted_by == facilitator
    assert grant.reason == "Infusion team."
    assert access.sees_clinical(hospital1, case_a)
    assert _logged() == [
        ("grant_clinical_access", "facilitator", "Clinical access granted: Infusion team.")
    ]


@pytest.mark.parametrize("who", OTHERS)
def test_no_one_else_grants_or_revokes(who, request, case_a, case_b, facilitator):
    user = request.getfixturevalue(who)
    case_grant_clinical_access(case=case_b, by=facilitator, reason="Infusion team.")

    with pytest.raises(PermissionDenied):
        case_grant_clinical_access(case=case_a, by=user, reason="Please.")
    with pytest.raises(PermissionDenied):
        case_revoke_clinical_access(case=case_b, by=user)

    assert list(ClinicalAccessGrant.objects.values_list("case", flat=True)) == [case_b.pk]
    assert len(_logged()) == 1


def test_a_grant_without_a_reason_changes_nothing(case_a, facilitator):
    with pytest.raises(ValidationError):
        case_grant_clinical_access(case=case_a, by=facilitator, reason="   ")

    assert not ClinicalAccessGrant.objects.exists()
    assert _logged() == []


def test_a_revocation_hides_the_clinical_side_again_and_is_logged(case_a, facilitator, hospital1):
    case_grant_clinical_access(case=case_a, by=facilitator, reason="Infusion team.")

    assert case_revoke_clinical_access(case=case_a, by=facilitator, reason="Infusion done.")

    assert not access.sees_clinical(hospital1, case_a)
    assert _logged()[-1] == (
        "revoke_clinical_access",
        "facilitator",
        "Clinical access revoked: Infusion done.",
    )
    assert not case_revoke_clinical_access(case=case_a, by=facilitator)  # nothing left
    assert len(_logged()) == 2


# --- The grant admin ----------------------------------------------------------------------------


@pytest.fixture
def spy(monkeypatch):
    calls = []
    for name in ("case_grant_clinical_access", "case_revoke_clinical_access"):
        real = getattr(documents_admin, name)
        monkeypatch.setattr(
            documents_admin,
            name,
            lambda real=real, name=name, **kw: calls.append(name) or real(**kw),
        )
    return calls


def test_the_grant_admin_grants_and_revokes_through_the_services(
    client, case_a, facilitator, hospital1, spy
):
    client.force_login(facilitator)

    response = client.post(
        reverse("admin:documents_clinicalaccessgrant_add"),
        {"case": case_a.pk, "reason": "Infusion team."},
    )

    assert response.status_code == 302
    grant = ClinicalAccessGrant.objects.get()
    assert grant.granted_by == facilitator
    assert access.sees_clinical(hospital1, case_a)

    response = client.post(
        reverse("admin:documents_clinicalaccessgrant_delete", args=[grant.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not ClinicalAccessGrant.objects.exists()
    assert spy == ["case_grant_clinical_access", "case_revoke_clinical_access"]
    assert [action for action, _, _ in _logged()] == [
        "grant_clinical_access",
        "revoke_clinical_access",
    ]


def test_a_grant_stays_on_its_case_when_edited(client, case_a, case_b, facilitator):
    grant = case_grant_clinical_access(case=case_a, by=facilitator, reason="Infusion team.")
    client.force_login(facilitator)

    client.post(
        reverse("admin:documents_clinicalaccessgrant_change", args=[grant.pk]),
        {"case": case_b.pk, "reason": "Pharmacy too."},
    )

    grant.refresh_from_db()
    assert grant.case == case_a
    assert grant.reason == "Pharmacy too."
