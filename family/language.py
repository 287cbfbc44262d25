"""Where each person's language is stored: a portal user's on ``LanguagePreference``, the
guardian's on their newest guardian link. ``cases.language`` asks ``languages_for`` (registered
in ``FamilyConfig.ready()``) when it writes reminders."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from cases import access

from .models import GuardianLink, LanguagePreference


def request_language(request: Any) -> str:
    """A signed-in user's stored language; else the cookie the language switch set (before
    signing in, or a user who never chose); else the default. Staff pages (the admin, the
    dashboard) stay in the default: their users read them in English, and their list pages
    keep the query counts they are measured by."""
    user = getattr(request, "user", None)
    if access.is_staff_account(user):
        return str(settings.LANGUAGE_CODE)
    chosen = _preference(user)
    if chosen:
        return chosen
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return cookie if cookie in dict(settings.LANGUAGES) else str(settings.LANGUAGE_CODE)


def _preference(user: Any) -> str:
    """The language ``user`` stored, or "" (anonymous, or never chose)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    cached = getattr(user, "_npp_language", None)
    if cached is None:
        found = LanguagePreference.objects.filter(user=user).values_list("language", flat=True)
        cached = next(iter(found), "")
        user._npp_language = cached
    return str(cached)


def stored_language(user: Any) -> str:
    """The language ``user`` chose, else the site's default."""
    return _preference(user) or str(settings.LANGUAGE_CODE)


def languages_for(user_ids: set[int], case_ids: set[int]) -> tuple[dict[int, str], dict[int, str]]:
    """For ``cases.language``: each user's stored language, and each case's guardian's (their
    newest link's); whoever is missing gets the default."""
    users = dict(
        LanguagePreference.objects.filter(user_id__in=user_ids).values_list("user_id", "language")
    )
    guardians: dict[int, str] = {}
    links = GuardianLink.objects.filter(case_id__in=case_ids).order_by("case_id", "created_at")
    for case_id, language in links.values_list("case_id", "language"):
        guardians[case_id] = language  # the newest last
    return users, guardians
