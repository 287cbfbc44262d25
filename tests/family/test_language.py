"""Each portal user's language is stored and follows them to a new sign-in; staff pages stay
in English."""

from __future__ import annotations

import pytest

from family import services
from family.models import LanguagePreference

pytestmark = pytest.mark.django_db


def sign_in(client, username: str) -> None:
    response = client.post("/accounts/login/", {"username": username, "password": "demo-pass-2026"})
    assert response.status_code == 302


def test_a_doctors_choice_is_stored_and_used_at_the_next_sign_in(client, doctor1, case_a):
    sign_in(client, "doctor1")
    client.post("/family/language/", {"language": "hi", "next": "/portal/doctor/"})
    assert LanguagePreference.objects.get(user=doctor1).language == "hi"

    client.logout()
    client.cookies.clear()  # another phone: no cookie
    sign_in(client, "doctor1")
    page = client.get("/portal/doctor/").content.decode()

    assert '<html lang="hi">' in page
    assert "मेरे मामले" in page


def test_the_switch_only_goes_back_to_our_own_pages(client, doctor1):
    sign_in(client, "doctor1")
    response = client.post("/family/language/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/portal/"


def test_a_bad_language_changes_nothing(client, doctor1):
    sign_in(client, "doctor1")
    client.post("/family/language/", {"language": "fr", "next": "/portal/"})
    assert not LanguagePreference.objects.filter(user=doctor1).exists()


def test_nobody_sets_another_users_language(doctor1, doctor2):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.language_set(user=doctor2, language="hi", by=doctor1)
