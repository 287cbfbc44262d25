"""Create an API token for a user and print it once (it is stored only as a hash)."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from api.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print it (only this once)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="What the token is for.")
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Days until it expires (default: NPP_API_TOKEN_DAYS).",
        )

    def handle(self, *args, username: str, name: str, days: int | None, **options) -> None:
        try:
            user = get_user_model().objects.get(username=username, is_active=True)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No active user {username!r}.") from exc
        expires_at = timezone.now() + dt.timedelta(days=days) if days is not None else None
        try:
            # by=None: an operator on the server, who can do anything anyway.
            row, token = api_token_create(user=user, name=name, by=None, expires_at=expires_at)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stderr.write(
            f"Token {row.prefix} for {username}, valid until "
            f"{timezone.localtime(row.expires_at):%Y-%m-%d %H:%M}. "
            "It is shown only now:"
        )
        self.stdout.write(token)
