"""Session lifetimes by role, and no page of ours kept in a cache."""

from __future__ import annotations

from django.conf import settings
from django.utils.cache import patch_cache_control

from cases import access


class SessionTimeoutMiddleware:
    """Portal users (doctors, hospital admins) are logged out after
    ``NPP_PORTAL_IDLE_SECONDS`` without a request: each request slides their expiry. Staff
    keep the fixed ``SESSION_COOKIE_AGE`` (8 hours) counted from login."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not access.is_staff_account(user):
            request.session.set_expiry(settings.NPP_PORTAL_IDLE_SECONDS)
        return self.get_response(request)


class NoStoreMiddleware:
    """Every page we render says ``Cache-Control: no-store, private``.

    Pages show patient data (admin, portals, dashboard, downloads, the packets' JSON): a shared
    computer's browser cache or a proxy must not keep them. Directives a view set stay (the
    admin's ``never_cache``); static files (served by WhiteNoise before this runs, or under
    ``STATIC_URL`` otherwise) keep their long-lived caching."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            patch_cache_control(response, no_store=True, private=True)
        return response
