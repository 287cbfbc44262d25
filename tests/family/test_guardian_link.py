"""The guardian status link: signed, revocable, expiring, rate-limited, logged, no login, and
showing nothing clinical or of another family."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from family import services
from family.models import GuardianLink, GuardianLinkView
from tests.factories import CaseFactory, PatientFactory, upload_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(case_a, facilitator):
    return services.guardian_link_create(case=case_a, by=facilitator)


def path(link) -> str:
    return f"/family/status/{services.link_token(link)}/"


def test_a_fresh_link_shows_the_case_in_plain_words_without_a_login(client, link, case_a):
    response = client.get(path(link))

    assert response.status_code == 200
    page = response.content.decode()
    first_name = case_a.patient.full_name.split()[0]
    assert f"{first_name}&#x27;s case" in page or f"{first_name}'s case" in page
    assert case_a.reference in page
    assert "The application is being prepared." in page
    assert "The treating doctor starts collecting the documents." in page
    assert "Days left before the 2nd birthday" in page
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response.headers["Cache-Control"]


def test_each_view_is_logged(client, link):
    client.get(path(link), REMOTE_ADDR="10.0.0.7", HTTP_USER_AGENT="Phone browser")
    client.get(path(link), REMOTE_ADDR="10.0.0.7")

    views = list(GuardianLinkView.objects.filter(link=link))
    assert len(views) == 2
    assert {v.outcome for v in views} == {"shown"}
    assert views[0].client == views[1].client != "10.0.0.7"  # a keyed hash, not the address
    assert any(v.user_agent == "Phone browser" for v in views)


def test_an_expired_link_answers_410_and_shows_nothing(client, link, case_a):
    with time_machine.travel(link.expires_at + dt.timedelta(seconds=1)):
        response = client.get(path(link))

    assert response.status_code == 410
    page = response.content.decode()
    assert "This link has expired" in page
    assert case_a.reference not in page
    assert GuardianLinkView.objects.get(link=link).outcome == "expired"


def test_a_link_works_until_its_last_second(client, link):
    with time_machine.travel(link.expires_at - dt.timedelta(seconds=1)):
        assert client.get(path(link)).status_code == 200


def test_a_revoked_link_stops_at_once(client, link, facilitator, case_a):
    assert client.get(path(link)).status_code == 200

    services.guardian_link_revoke(link=link, by=facilitator)
    response = client.get(path(link))

    assert response.status_code == 410
    assert "This link has been stopped" in response.content.decode()
    assert case_a.reference not in response.content.decode()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the signature changed
        lambda t: "x" + t[1:],  # the payload changed
        lambda t: t[: len(t) // 2],  # cut short
        lambda t: "made-up-token",
        lambda t: t.replace(":", "", 1),
    ],
    ids=["signature", "payload", "cut-short", "made-up", "no-separator"],
)
def test_a_tampered_link_answers_404_and_logs_nothing_against_the_case(client, link, tamper):
    token = services.link_token(link)
    response = client.get(f"/family/status/{tamper(token)}/")

    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()
    assert not GuardianLinkView.objects.exists()


def test_a_validly_signed_token_for_another_nonce_is_refused(client, link):
    from django.core import signing

    other_salt = signing.Signer(salt="other-salt").sign_object({"l": link.pk, "n": link.nonce})
    assert client.get(f"/family/status/{other_salt}/").status_code == 404
    guessed = signing.Signer(salt=services.SALT).sign_object({"l": link.pk, "n": "guessed"})
    assert client.get(f"/family/status/{guessed}/").status_code == 404
    assert client.get(path(link)).status_code == 200  # the real one still works


def test_past_the_hourly_limit_the_page_answers_429(client, link, settings):
    settings.NPP_GUARDIAN_LINK_VIEWS_PER_HOUR = 3
    for _ in range(3):
        assert client.get(path(link)).status_code == 200

    response = client.get(path(link))

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3600"
    assert GuardianLinkView.objects.filter(link=link).count() == 3
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1, seconds=1)):
        assert client.get(path(link)).status_code == 200


def test_the_page_shows_no_clinical_values_and_no_other_family(
    client, case_a, case_b, facilitator, link
):
    upload_document(case_a, "liver_function", by=facilitator, alt="77.7")
    upload_document(case_a, "medical_report", by=facilitator)

    page = client.get(path(link)).content.decode()

    assert case_b.reference not in page
    assert case_b.patient.full_name not in page
    assert case_a.patient.guardian_phone not in page
    for clinical in ("77.7", "SMA", "SMN", "titre", "Liver", "Clinical report", "kg"):
        assert clinical not in page


def test_documents_still_needed_from_the_family_are_listed(client, case_a, facilitator, link):
    from cases.services import case_apply

    case_apply(case=case_a, transition="start_document_collection", by=facilitator)

    page = client.get(path(link)).content.decode()
    assert "Documents we still need from you" in page
    assert "identity document" in page
    upload_document(case_a, "patient_id", by=facilitator, accept=True)
    upload_document(case_a, "guardian_consent", by=facilitator, accept=True)
    assert "Documents we still need from you" not in client.get(path(link)).content.decode()


def test_only_a_facilitator_makes_sends_or_revokes_links(case_a, doctor1, hospital1, link):
    for user in (doctor1, hospital1, None):
        with pytest.raises(PermissionDenied):
            services.guardian_link_create(case=case_a, by=user)
        with pytest.raises(PermissionDenied):
            services.guardian_link_revoke(link=link, by=user)
        with pytest.raises(PermissionDenied):
            services.guardian_link_send(link=link, by=user)
    assert not GuardianLink.objects.exclude(pk=link.pk).exists()
    assert GuardianLink.objects.get(pk=link.pk).revoked_at is None


def test_the_link_is_emailed_in_the_guardians_language(
    case_a, facilitator, django_capture_on_commit_callbacks
):
    link = services.guardian_link_create(case=case_a, by=facilitator, language="hi")
    with django_capture_on_commit_callbacks(execute=True):
        services.guardian_link_send(link=link, by=facilitator)

    (message,) = mail.outbox
    assert message.to == [case_a.patient.guardian_email]
    assert services.link_url(link) in message.body
    assert case_a.reference in message.subject
    assert "स्थिति" in message.subject or "मामला" in message.subject  # Hindi
    link.refresh_from_db()
    assert link.sent_to == case_a.patient.guardian_email
    assert link.sent_at is not None


def test_a_link_without_a_guardian_email_is_not_sent(facilitator, doctor1):
    case = CaseFactory(patient=PatientFactory(guardian_email=""), doctor=doctor1.doctor)
    link = services.guardian_link_create(case=case, by=facilitator)
    with pytest.raises(ValidationError, match="no email address"):
        services.guardian_link_send(link=link, by=facilitator)
    assert not mail.outbox


def test_a_revoked_link_is_not_sent(link, facilitator):
    services.guardian_link_revoke(link=link, by=facilitator)
    with pytest.raises(ValidationError, match="revoked or expired"):
        services.guardian_link_send(link=link, by=facilitator)


def test_an_access_request_includes_the_links_and_their_views(client, link, case_a, tmp_path):
    import json

    from django.core.management import call_command

    client.get(path(link))
    out = tmp_path / "export.json"
    call_command("export_patient_data", case_a.reference, out=str(out))

    data = json.loads(out.read_text())
    (exported,) = data["guardian_links"]
    assert exported["case"] == case_a.reference
    assert [v["outcome"] for v in exported["views"]] == ["shown"]


def test_the_admin_lists_links_with_their_state_and_views(client, link, facilitator):
    client.get(path(link))
    client.get(path(link))
    services.guardian_link_revoke(
        link=services.guardian_link_create(case=link.case, by=facilitator), by=facilitator
    )
    client.force_login(facilitator)

    page = client.get("/admin/family/guardianlink/").content.decode()

    assert '<td class="field-state">open</td><td class="field-sent_to">' in page
    assert '<td class="field-views">2</td>' in page
    assert '<td class="field-state">revoked</td>' in page


def test_the_days_to_the_2nd_birthday_are_the_cases_clock_and_go_once_infused(
    client, link, case_a, facilitator
):
    from cases.selectors import second_birthday_clock
    from tests.factories import walk_to

    clock = second_birthday_clock(case_a)
    before = client.get(path(link)).content.decode()
    walk_to(case_a, "monitoring", facilitator)
    after = client.get(path(link)).content.decode()

    assert f"{clock.days_left} days (2nd birthday:" in before
    assert "Days left before the 2nd birthday" not in after
    assert "Infusion given on" in after
