"""Where each person's language is stored: a portal user's on ``LanguagePreference``, the
guardian's on their newest guardian link. ``cases.language`` asks ``language_for`` (registered
in ``FamilyConfig.ready()``) when it writes a reminder."""

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


def language_for(user: Any, case: Any) -> str | None:
    """For ``cases.language``: a user's stored language; for ``user=None``, the case's
    guardian's (their newest link's), or None to let the default stand."""
    if user is not None:
        return stored_language(user)
    link = GuardianLink.objects.filter(case=case).order_by("-created_at").first()
    return link.language if link is not None else None
