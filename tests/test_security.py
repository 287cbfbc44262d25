"""Security settings, login protection, two-factor sign-in and the audit trail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.models import Patient
from tests.manifest import write_static_manifest

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "demo-pass-2026"


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=120,
    )


PRODUCTION = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "x" * 30 + "-not-a-real-secret-but-long-and-random-enough-9fj2K",
    "DJANGO_ALLOWED_HOSTS": "npp.example.in",
}


def test_production_settings_pass_check_deploy_without_warnings(tmp_path):
    static_root = tmp_path / "staticfiles"
    write_static_manifest(static_root)  # what collectstatic leaves (tests/test_static_files.py)
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        NPP_VAR_DIR=str(tmp_path),
        DJANGO_STATIC_ROOT=str(static_root),
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = _manage("check", NPP_VAR_DIR=str(tmp_path), **env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set in production" in result.stderr


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy_and_frame_and_referrer_headers(
    client, doctor1
):
    client.force_login(doctor1)
    response = client.get("/portal/doctor/")
    csp = response["Content-Security-Policy"]
    script_src = next(part for part in csp.split(";") if "script-src" in part)
    assert "'unsafe-inline'" not in script_src
    assert "'self'" in script_src
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_five_failed_logins_lock_the_username_from_that_address_with_a_clear_message(
    client, doctor1
):
    for _ in range(4):
        response = client.post(reverse("login"), {"username": "doctor1", "password": "wrong"})
        assert response.status_code == 200
    fifth = client.post(reverse("login"), {"username": "doctor1", "password": "wrong"})
    assert fifth.status_code == 429  # the fifth failure locks
    locked = client.post(reverse("login"), {"username": "doctor1", "password": PASSWORD})
    assert locked.status_code == 429
    assert "locked" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address is not locked out of the same account.
    other = client.post(
        reverse("login"), {"username": "doctor1", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert other.status_code == 302
    # Thirty minutes later the lock lifts.
    with time_machine.travel(timezone.now() + timezone.timedelta(minutes=31)):
        client.logout()
        later = client.post(reverse("login"), {"username": "doctor1", "password": PASSWORD})
        assert later.status_code == 302


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.mark.django_db
def test_a_facilitator_needs_the_authenticator_code_to_open_the_admin(client, facilitator):
    device = TOTPDevice.objects.create(user=facilitator, name="phone", confirmed=True)
    no_code = client.post(reverse("login"), {"username": "facilitator", "password": PASSWORD})
    assert no_code.status_code == 200
    assert "6-digit code" in no_code.content.decode()
    wrong = client.post(
        reverse("login"), {"username": "facilitator", "password": PASSWORD, "otp_token": "000000"}
    )
    assert wrong.status_code == 200
    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wrong code throttles the next try; reset it
    device.save()
    ok = client.post(
        reverse("login"),
        {"username": "facilitator", "password": PASSWORD, "otp_token": _code(device)},
    )
    assert ok.status_code == 302
    assert client.get(reverse("admin:cases_case_changelist")).status_code == 200


@pytest.mark.django_db
def test_a_password_only_staff_session_sees_no_patient_data_until_it_sets_up_two_factor(
    client, facilitator, case_a
):
    client.post(reverse("login"), {"username": "facilitator", "password": PASSWORD})
    admin_page = client.get(reverse("admin:cases_case_changelist"))
    assert admin_page.status_code == 302
    follow = client.get(admin_page["Location"])
    assert follow["Location"].startswith(reverse("two_factor"))
    assert client.get(reverse("dashboard")).status_code in (302, 403)

    setup = client.get(reverse("two_factor"))
    assert "Scan this code" in setup.content.decode()
    device = TOTPDevice.objects.get(user=facilitator)
    assert device.confirmed is False
    verified = client.post(reverse("two_factor"), {"token": _code(device), "next": "/admin/"})
    assert verified["Location"] == "/admin/"
    device.refresh_from_db()
    assert device.confirmed is True
    page = client.get(reverse("admin:cases_case_change", args=[case_a.pk]))
    assert page.status_code == 200
    assert case_a.patient.full_name in page.content.decode()


@pytest.mark.django_db
def test_portal_sessions_time_out_after_thirty_idle_minutes_and_staff_after_eight_hours(
    client, doctor1, facilitator
):
    client.force_login(doctor1)
    client.get("/portal/doctor/")
    assert client.session.get_expiry_age() == 30 * 60
    client.force_login(facilitator)
    client.get(reverse("admin:index"))
    assert client.session.get_expiry_age() == 8 * 60 * 60


@pytest.mark.django_db
def test_every_change_to_a_patient_is_in_the_read_only_audit_trail(client, facilitator, case_a):
    patient = case_a.patient
    client.force_login(facilitator)
    url = reverse("admin:cases_patient_change", args=[patient.pk])
    form = client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    data.update(
        {
            "full_name": patient.full_name,
            "guardian_phone": "+91 90000 11111",
            "date_of_birth": patient.date_of_birth.isoformat(),
            "genetic_test_date": patient.genetic_test_date.isoformat(),
            "smn1_biallelic_confirmed": "on",
            "consents-TOTAL_FORMS": "0",
            "consents-INITIAL_FORMS": "0",
            "weights-TOTAL_FORMS": "0",
            "weights-INITIAL_FORMS": "0",
        }
    )
    data.pop("active_infection", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = (
        LogEntry.objects.get_for_object(Patient.objects.get(pk=patient.pk))
        .filter(action=LogEntry.Action.UPDATE)
        .latest("timestamp")
    )
    assert entry.actor == facilitator
    assert "guardian_phone" in entry.changes_dict
    # The trail can be read, never edited or deleted, through the admin.
    log_url = reverse("admin:auditlog_logentry_change", args=[entry.pk])
    assert client.get(log_url).status_code == 200
    assert (
        client.post(
            reverse("admin:auditlog_logentry_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def _cache_directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.mark.django_db
def test_every_page_showing_patient_data_says_no_store_and_private(
    client, case_a, facilitator, doctor1, hospital1
):
    from tests.factories import upload_document

    document = upload_document(case_a, "cbc", doctor1)
    pages = {
        facilitator: [
            reverse("admin:cases_case_change", args=[case_a.pk]),
            reverse("admin:cases_case_changelist"),
            reverse("dashboard"),
            reverse("documents:download", args=[document.pk]),
        ],
        doctor1: [
            reverse("portal:doctor_cases"),
            reverse("portal:doctor_case", args=[case_a.pk]),
            reverse("portal:notifications"),
            reverse("documents:download", args=[document.pk]),
        ],
        hospital1: [
            reverse("portal:hospital_cases"),
            reverse("portal:hospital_case", args=[case_a.pk]),
        ],
    }
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert {"no-store", "private"} <= _cache_directives(response), (user, url)


def test_static_files_keep_their_own_caching():
    from django.http import HttpResponse
    from django.test import RequestFactory

    from npp.middleware import NoStoreMiddleware

    def static_file(request):
        response = HttpResponse("body{}", content_type="text/css")
        response["Cache-Control"] = "max-age=315360000, public, immutable"
        return response

    request = RequestFactory().get("/static/npp/portal.abc123.css")
    response = NoStoreMiddleware(static_file)(request)
    assert response["Cache-Control"] == "max-age=315360000, public, immutable"


def _example_values() -> dict[str, str]:
    """``.env.example`` as django-environ reads it (``KEY=value`` lines; the rest comments)."""
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def test_the_env_example_as_written_is_a_clean_production_profile(tmp_path):
    values = _example_values()
    assert values["DJANGO_SECRET_KEY"] == ""  # the one value each installation must fill in
    static_root = tmp_path / "staticfiles"
    write_static_manifest(static_root)
    env = {
        **values,
        "DJANGO_SECRET_KEY": PRODUCTION["DJANGO_SECRET_KEY"],
        # Where files go on this machine, not the example's ./var.
        "NPP_VAR_DIR": str(tmp_path / "var"),
        "NPP_PRIVATE_STORAGE_ROOT": str(tmp_path / "p"),
        "DJANGO_STATIC_ROOT": str(static_root),
    }

    checked = _manage("check", "--deploy", "--fail-level", "WARNING", **env)
    shown = _manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.CELERY_BROKER_URL, s.CELERY_RESULT_BACKEND)",
        **env,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "System check identified no issues" in checked.stdout
    # Empty optional overrides fall back to REDIS_URL instead of Celery's amqp default.
    assert shown.stdout.split() == ["False", values["REDIS_URL"], values["REDIS_URL"]], shown.stderr


def _without_csrf_token(response) -> str:
    import re

    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["000000", ""])
def test_a_right_password_with_a_wrong_code_looks_exactly_like_a_wrong_password(
    client, facilitator, code
):
    """The sign-in page must not confirm a facilitator's password to someone without the
    authenticator: both failures give the same page, word for word."""
    TOTPDevice.objects.create(user=facilitator, name="phone", confirmed=True)

    wrong_password = client.post(
        reverse("login"), {"username": "facilitator", "password": "not-it", "otp_token": code}
    )
    wrong_code = client.post(
        reverse("login"), {"username": "facilitator", "password": PASSWORD, "otp_token": code}
    )

    assert wrong_password.status_code == wrong_code.status_code == 200
    assert _without_csrf_token(wrong_password) == _without_csrf_token(wrong_code)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_five_wrong_codes_lock_the_account_like_five_wrong_passwords(client, facilitator):
    device = TOTPDevice.objects.create(user=facilitator, name="phone", confirmed=True)
    for _ in range(4):
        response = client.post(
            reverse("login"),
            {"username": "facilitator", "password": PASSWORD, "otp_token": "000000"},
        )
        assert response.status_code == 200
    fifth = client.post(
        reverse("login"), {"username": "facilitator", "password": PASSWORD, "otp_token": "000000"}
    )
    assert fifth.status_code == 429

    device.refresh_from_db()
    device.throttling_failure_count = 0  # django-otp's own throttle, not what is tested here
    device.save()
    locked = client.post(
        reverse("login"),
        {"username": "facilitator", "password": PASSWORD, "otp_token": _code(device)},
    )
    assert locked.status_code == 429
    assert "locked" in locked.content.decode()
    assert "_auth_user_id" not in client.session
