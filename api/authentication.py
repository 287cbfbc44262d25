"""``Authorization: Token <token>``: a user's API token, checked against its stored hash."""

from __future__ import annotations

import hmac

from django.utils import timezone
from rest_framework import authentication, exceptions

from .models import ApiToken
from .services import TOKEN_START, api_token_touch, token_hash

KEYWORD = "Token"
INVALID = "Invalid token."


def _token_row(raw: str) -> ApiToken | None:
    """The row whose hash matches ``raw``, or None. The prefix finds the row; the comparison
    of hashes takes the same time wherever they differ."""
    start, _, rest = raw.partition("_")
    prefix, _, secret = rest.partition("_")
    if start != TOKEN_START or not prefix or not secret:
        return None
    row = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if row is None or not hmac.compare_digest(row.secret_hash, token_hash(raw)):
        return None
    return row


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Authenticates a request carrying ``Authorization: Token npp_...``; ``request.auth`` is
    then the ``ApiToken`` (throttling counts per token). A request without that header is
    left to the next authenticator (the browser's session)."""

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Send 'Authorization: Token <token>' with one token."
            )
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(INVALID) from None
        row = _token_row(raw)
        if row is None:
            raise exceptions.AuthenticationFailed(INVALID)
        now = timezone.now()
        refusal = row.refusal(now)
        if refusal:
            raise exceptions.AuthenticationFailed(refusal)
        if not row.user.is_active:
            raise exceptions.AuthenticationFailed("This token's user is inactive.")
        api_token_touch(token=row, now=now)
        return row.user, row

    def authenticate_header(self, request) -> str:
        # A 401 names the scheme, so clients know to send a token.
        return KEYWORD
