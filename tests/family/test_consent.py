"""Verifiable parental consent through the guardian page (DPDP Act 2023 s.9, Rules 2025 Rule
10): given with the notice version shown and the identity check chosen, withdrawn as easily,
and a withdrawal stops processing (the case on hold through case_apply) without deleting."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from cases import rules
from cases.models import Consent
from cases.services import CaseActionError, case_apply
from cases.states import CaseState
from documents.models import Document
from family import services
from family.models import GuardianConsent
from tests.factories import CaseFactory, PatientFactory, upload_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_case(doctor1, facilitator):
    """A case whose patient has no consent on record yet."""
    return CaseFactory(patient=PatientFactory(consent=False), doctor=doctor1.doctor)


@pytest.fixture
def link(fresh_case, facilitator):
    return services.guardian_link_create(case=fresh_case, by=facilitator)


def url(link) -> str:
    return f"/family/status/{services.link_token(link)}/"


def give(client, link, **overrides):
    data = {
        "action": "consent",
        "given_by": "Sunita Rao",
        "relationship": "Mother",
        "verified_how": "details_held",
        "identity_reference": "",
        "notice_version": "2026-11",
        "read_notice": "on",
        **overrides,
    }
    return client.post(url(link), data, follow=True)


def test_the_guardian_gives_consent_with_the_notice_and_identity_check_recorded(
    client, link, fresh_case
):
    page = client.get(url(link)).content.decode()
    assert "Privacy notice (version 2026-11)" in page

    response = give(client, link, verified_how="digilocker", identity_reference="DL-123")

    assert "Thank you: your consent is recorded." in response.content.decode()
    consent = fresh_case.patient.current_consent()
    assert consent.given_by == "Sunita Rao"
    assert consent.verified_how == "digilocker"
    assert consent.notice_version == "2026-11"
    assert consent.recorded_by.username == "guardian-link"
    extra = consent.guardian_page
    assert extra.link == link
    assert extra.identity_reference == "DL-123"
    assert extra.notice_version_shown == "2026-11"
    # The consent gate before the regulator now passes.
    assert "consent_missing" not in {
        b.code for b in rules.blockers(fresh_case, "submit_to_regulator")
    }


def test_a_consent_sent_twice_is_recorded_once(client, link, fresh_case):
    give(client, link)

    again = give(client, link)

    assert "Your consent is already recorded." in again.content.decode()
    assert Consent.objects.filter(patient=fresh_case.patient).count() == 1
    assert GuardianConsent.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"read_notice": ""}, "Tick the box to say you read the notice and consent."),
        ({"verified_how": "in_person"}, "Select a valid choice."),
        ({"given_by": ""}, "This field is required."),
        ({"notice_version": "2020-01"}, "The privacy notice has changed since you opened"),
    ],
    ids=["notice-not-ticked", "not-a-page-choice", "no-name", "stale-notice"],
)
def test_an_incomplete_consent_says_why_and_records_nothing(client, link, overrides, message):
    response = give(client, link, **overrides)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Consent.objects.filter(patient=link.case.patient).exists()


def test_withdrawal_is_one_tick_and_a_button_and_puts_the_case_on_hold(
    client, link, fresh_case, facilitator
):
    give(client, link)
    case_apply(case=fresh_case, transition="start_document_collection", by=facilitator)
    upload_document(fresh_case, "patient_id", by=facilitator)
    page = client.get(url(link)).content.decode()
    assert "Withdraw consent" in page

    response = client.post(url(link), {"action": "withdraw", "confirm": "on"}, follow=True)

    assert "Your consent is withdrawn." in response.content.decode()
    fresh_case.refresh_from_db()
    assert fresh_case.state == CaseState.ON_HOLD
    assert fresh_case.hold_from_state == CaseState.DOCUMENTS
    assert "withdrew consent" in fresh_case.hold_reason
    consent = Consent.objects.get(patient=fresh_case.patient)  # kept, marked withdrawn
    assert consent.withdrawn_at is not None
    assert GuardianConsent.objects.get(consent=consent).withdrawn_through_link == link
    assert Document.objects.filter(case=fresh_case).count() == 1  # nothing deleted
    # The page now offers consent again, and the case cannot resume without it.
    assert "Give consent" in client.get(url(link)).content.decode()
    with pytest.raises(CaseActionError, match="withdrew consent"):
        case_apply(case=fresh_case, transition="resume", by=facilitator)
    give(client, link)
    fresh_case.refresh_from_db()
    assert case_apply(case=fresh_case, transition="resume", by=facilitator).state == "documents"


def test_withdrawal_without_ticking_changes_nothing(client, link, fresh_case):
    give(client, link)
    response = client.post(url(link), {"action": "withdraw"}, follow=True)

    assert "Tick the box to withdraw your consent." in response.content.decode()
    assert fresh_case.patient.current_consent() is not None
    fresh_case.refresh_from_db()
    assert fresh_case.state == CaseState.APPLICATION


def test_withdrawal_also_withdraws_a_consent_the_facilitator_recorded(client, case_a, facilitator):
    link = services.guardian_link_create(case=case_a, by=facilitator)
    assert case_a.patient.current_consent() is not None  # recorded in person (factory)

    assert services.guardian_consent_withdraw(link=link) == 1

    assert case_a.patient.current_consent() is None
    case_a.refresh_from_db()
    assert case_a.state == CaseState.ON_HOLD


def test_a_withdrawal_on_a_closed_case_keeps_the_case_as_it_is(case_a, facilitator):
    case_apply(case=case_a, transition="cancel", by=facilitator, cancellation_reason="Moved")
    link = services.guardian_link_create(case=case_a, by=facilitator)

    assert services.guardian_consent_withdraw(link=link) == 1
    case_a.refresh_from_db()
    assert case_a.state == CaseState.CANCELLED


def test_an_expired_or_revoked_link_takes_no_consent_and_no_withdrawal(
    client, link, facilitator, fresh_case
):
    services.guardian_link_revoke(link=link, by=facilitator)

    assert give(client, link).status_code == 410
    with pytest.raises(PermissionDenied):
        services.guardian_consent_give(
            link=link,
            given_by="X",
            relationship="Mother",
            verified_how="document",
            notice_version="2026-11",
        )
    with pytest.raises(PermissionDenied):
        services.guardian_consent_withdraw(link=link)
    assert not Consent.objects.filter(patient=fresh_case.patient).exists()


def test_the_guardian_account_holds_one_case_and_cannot_sign_in(client, link, case_b):
    give(client, link)
    account = services.guardian_account()

    assert not account.has_usable_password()
    assert not account.is_staff
    # Unbound, or bound to another case, it may not put case_b on hold.
    with pytest.raises(PermissionDenied):
        case_apply(case=case_b, transition="hold", by=account, hold_reason="x")
    from cases import access

    bound = access.guardian_actor_for(account, link.case)
    with pytest.raises(PermissionDenied):
        case_apply(case=case_b, transition="hold", by=bound, hold_reason="x")
    client.post("/accounts/login/", {"username": "guardian-link", "password": "x"})
    assert "_auth_user_id" not in client.session
