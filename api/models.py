"""API tokens: one per program a user connects, stored only as a hash."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A user's token for the API (``Authorization: Token <token>``).

    Only the SHA-256 of the token is kept: the token is shown once, when it is created
    (``api.services.api_token_create``), and cannot be read back. ``prefix`` is the token's
    first, public part: it finds the row and names the token in the admin and in logs.
    A token works until it expires or a facilitator revokes it; it acts as its user, with
    exactly that user's scope.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        max_length=100, help_text="What the token is for, e.g. the hospital's ERP."
    )
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField("SHA-256 of the token", max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def refusal(self, now: dt.datetime) -> str:
        """Why the token no longer works at ``now``, or "" while it does."""
        if self.revoked_at is not None:
            return "This token was revoked."
        if self.expires_at <= now:
            return "This token has expired."
        return ""
