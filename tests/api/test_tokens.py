"""API tokens: stored only as a hash, shown once, refused once revoked or expired; created and
revoked by facilitators in the admin or by an operator's command."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient
from time_machine import travel

from api.models import ApiToken
from api.services import api_token_create, api_token_revoke

from .conftest import token_client

pytestmark = pytest.mark.django_db


def cases_answer(client) -> int:
    return client.get("/api/v1/cases/").status_code


def test_the_raw_token_is_nowhere_in_the_database(doctor1):
    row, token = api_token_create(user=doctor1, name="ERP", by=None)

    assert row.secret_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token.startswith(f"npp_{row.prefix}_")
    secret = token.rsplit("_", 1)[1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apitoken")
        stored = " ".join(str(value) for row_values in cursor.fetchall() for value in row_values)
    assert token not in stored
    assert secret not in stored


def test_a_token_acts_as_its_user(doctor1, case_a, case_b):
    body = token_client(doctor1).get("/api/v1/cases/").json()

    assert [row["reference"] for row in body["results"]] == [case_a.reference]


@pytest.mark.parametrize(
    "header",
    [
        "Token npp_000000000000_not-the-secret",
        "Token something-else",
        "Token",
        "Token a b",
    ],
)
def test_a_wrong_or_malformed_token_answers_401_naming_the_scheme(doctor1, header):
    api_token_create(user=doctor1, name="ERP", by=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/v1/cases/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_right_prefix_with_a_wrong_secret_is_refused(doctor1):
    row, _token = api_token_create(user=doctor1, name="ERP", by=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token npp_{row.prefix}_{'x' * 43}")

    assert cases_answer(client) == 401


def test_no_credentials_answer_401(case_a):
    assert cases_answer(APIClient()) == 401


def test_a_revoked_token_is_refused_from_its_next_request(doctor1, facilitator):
    client = token_client(doctor1)
    assert cases_answer(client) == 200
    row = ApiToken.objects.get()

    assert api_token_revoke(token=row, by=facilitator) is True
    response = client.get("/api/v1/cases/")

    assert response.status_code == 401
    assert response.json() == {"detail": "This token was revoked."}
    assert api_token_revoke(token=row, by=facilitator) is False  # already
    row.refresh_from_db()
    assert row.revoked_by == facilitator


def test_an_expired_token_is_refused(doctor1):
    client = token_client(doctor1)
    expires_at = ApiToken.objects.get().expires_at

    with travel(expires_at + dt.timedelta(seconds=1)):
        response = client.get("/api/v1/cases/")

    assert response.status_code == 401
    assert response.json() == {"detail": "This token has expired."}


def test_tokens_expire_after_the_configured_days(doctor1, settings):
    settings.NPP_API_TOKEN_DAYS = 7
    row, _ = api_token_create(user=doctor1, name="ERP", by=None)

    assert abs(row.expires_at - (timezone.now() + dt.timedelta(days=7))) < dt.timedelta(minutes=1)


def test_an_inactive_users_token_is_refused(doctor1):
    client = token_client(doctor1)
    doctor1.is_active = False
    doctor1.save()

    assert cases_answer(client) == 401


def test_use_is_recorded_at_most_once_a_minute(doctor1):
    client = token_client(doctor1)
    client.get("/api/v1/cases/")
    first = ApiToken.objects.get().last_used_at

    client.get("/api/v1/cases/")
    assert ApiToken.objects.get().last_used_at == first
    with travel(timezone.now() + dt.timedelta(minutes=2)):
        client.get("/api/v1/cases/")
    assert ApiToken.objects.get().last_used_at > first


@pytest.mark.parametrize("who", ["doctor1", "hospital1", "outsider", "staff_non_facilitator"])
def test_only_facilitators_create_or_revoke_tokens(request, who, doctor2):
    by = request.getfixturevalue(who)
    row, _ = api_token_create(user=doctor2, name="ERP", by=None)

    with pytest.raises(PermissionDenied):
        api_token_create(user=doctor2, name="mine", by=by)
    with pytest.raises(PermissionDenied):
        api_token_revoke(token=row, by=by)


def test_a_facilitator_creates_a_token_in_the_admin_and_sees_it_once(client, facilitator, doctor1):
    client.force_login(facilitator)
    expires = timezone.localtime() + dt.timedelta(days=30)

    response = client.post(
        "/admin/api/apitoken/add/",
        {
            "user": doctor1.pk,
            "name": "Hospital ERP",
            "expires_at_0": expires.strftime("%Y-%m-%d"),
            "expires_at_1": expires.strftime("%H:%M:%S"),
        },
    )

    assert response.status_code == 200
    row = ApiToken.objects.get()
    page = response.content.decode()
    token = page.split('<code id="api-token">')[1].split("</code>")[0]
    assert token.startswith(f"npp_{row.prefix}_")
    assert row.created_by == facilitator
    assert row.user == doctor1
    assert "no-store" in response["Cache-Control"]
    assert cases_answer(_with(token)) == 200
    # Shown once: the token's own page and the list do not show it again.
    for url in (f"/admin/api/apitoken/{row.pk}/change/", "/admin/api/apitoken/"):
        page = client.get(url)
        assert page.status_code == 200
        assert row.prefix in page.content.decode()
        assert token not in page.content.decode()


def test_a_facilitator_revokes_tokens_from_the_admin_list(client, facilitator, doctor1):
    _, token = api_token_create(user=doctor1, name="ERP", by=facilitator)
    client.force_login(facilitator)

    client.post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [ApiToken.objects.get().pk]},
    )

    assert ApiToken.objects.get().revoked_at is not None
    assert cases_answer(_with(token)) == 401


def test_other_staff_do_not_see_the_tokens_in_the_admin(client, staff_non_facilitator):
    client.force_login(staff_non_facilitator)

    assert client.get("/admin/api/apitoken/").status_code == 403


def test_the_command_prints_the_token_once_and_it_works(doctor1):
    out, err = io.StringIO(), io.StringIO()

    call_command("create_api_token", "doctor1", "--name", "curl", stdout=out, stderr=err)

    token = out.getvalue().strip()
    assert cases_answer(_with(token)) == 200
    assert "shown only now" in err.getvalue()
    assert ApiToken.objects.get().name == "curl"


def test_the_command_refuses_an_unknown_user(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No active user"):
        call_command("create_api_token", "nobody", stdout=io.StringIO())


def _with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client
