"""Writes on API tokens: create one (its token is returned once, never stored), revoke one,
note its use. Facilitators create and revoke tokens for users in the admin; the
``create_api_token`` command does the same for an operator on the server."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cases import access

from .models import ApiToken

# Tokens read "npp_<prefix>_<secret>": the prefix finds the row, the secret (32 random bytes)
# proves it. A scanner for leaked credentials can match the "npp_" start.
TOKEN_START = "npp"
# last_used_at is written at most this often per token, not on every request.
TOUCH_EVERY = dt.timedelta(minutes=1)


def token_hash(token: str) -> str:
    """What is stored of a token. SHA-256 without a salt is enough for 256 random bits: the
    point is that a copy of the database does not hold working tokens."""
    return hashlib.sha256(token.encode()).hexdigest()


def default_expiry(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) + dt.timedelta(days=settings.NPP_API_TOKEN_DAYS)


def api_token_create(
    *, user: Any, name: str, by: Any, expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token for ``user`` and return it with its row; the token is shown once.

    ``by`` is the facilitator creating it in the admin, or None for the ``create_api_token``
    command (an operator with the server's shell). The token acts as ``user`` with exactly
    that user's scope. Raises ``PermissionDenied`` or ``ValidationError``; then nothing is
    stored.
    """
    if by is not None and not access.may_use_desk(by):
        raise PermissionDenied("Only facilitators create API tokens.")
    expires_at = expires_at or default_expiry()
    if expires_at <= timezone.now():
        raise ValidationError({"expires_at": "A token must expire in the future."})
    prefix = secrets.token_hex(6)
    token = f"{TOKEN_START}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken(
        user=user,
        name=(name or "").strip(),
        prefix=prefix,
        secret_hash=token_hash(token),
        expires_at=expires_at,
        created_by=by if getattr(by, "pk", None) else None,
    )
    row.full_clean()
    row.save()
    return row, token


def api_token_revoke(*, token: ApiToken, by: Any) -> bool:
    """Revoke ``token`` at once (facilitators, or None for an operator's command); False if
    it was revoked already. A revoked token is refused from its next request on."""
    if by is not None and not access.may_use_desk(by):
        raise PermissionDenied("Only facilitators revoke API tokens.")
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=by if getattr(by, "pk", None) else None
    )
    token.refresh_from_db(fields=["revoked_at", "revoked_by"])
    return bool(revoked)


def api_token_touch(*, token: ApiToken, now: dt.datetime) -> None:
    """Record that ``token`` was used (for the admin's list), at most once a minute."""
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
