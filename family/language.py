"""Where each person's language is stored: a portal user's on ``LanguagePreference``, the
guardian's on their newest guardian link. ``cases.language`` asks ``languages_for`` (registered
in ``FamilyConfig.ready()``) when it writes reminders."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from cases import access

from .models import GuardianLink, LanguagePreference

SESSION_KEY = "npp_language"


def request_language(request: Any) -> str:
    """A signed-in user's stored language (copied into their session when they sign in or
    choose, so a page costs no query); else the cookie the language switch set (before
    signing in); else the default. Staff pages (the admin, the dashboard) stay in the
    default: their users read them in English."""
    user = getattr(request, "user", None)
    if access.is_staff_account(user):
        return str(settings.LANGUAGE_CODE)
    session = getattr(request, "session", None)
    chosen = session.get(SESSION_KEY, "") if session is not None and user is not None else ""
    if chosen and getattr(user, "is_authenticated", False):
        return str(chosen)
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return cookie if cookie in dict(settings.LANGUAGES) else str(settings.LANGUAGE_CODE)


def remember_on_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """``user_logged_in``: put the user's stored language in their new session."""
    chosen = _preference(user)
    if chosen and request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = chosen


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
