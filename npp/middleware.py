"""Session lifetimes by role: portal users time out after idling, staff after a work day."""

from __future__ import annotations

from django.conf import settings

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
