"""Request budgets: one per token, one per signed-in browser user, one per address for the
few pages open to anyone (the schema and its doc page). Rates are settings
(``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``, from ``NPP_API_RATE_*``)."""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken

TOKEN, SESSION, ANONYMOUS = "api_token", "api_session", "api_anonymous"


class ApiRateThrottle(SimpleRateThrottle):
    """Counts each token's requests apart, so one program cannot use up another's budget
    (or its user's browser session's). Over the budget the answer is 429 with Retry-After."""

    def __init__(self) -> None:
        # The scope, and so the rate, depends on the request: chosen in allow_request.
        pass

    def allow_request(self, request, view) -> bool:
        self.scope = _scope(request)
        # Read per request, not once at import, so a changed setting takes effect.
        self.rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


def _scope(request) -> str:
    if isinstance(request.auth, ApiToken):
        return TOKEN
    if request.user and request.user.is_authenticated:
        return SESSION
    return ANONYMOUS
