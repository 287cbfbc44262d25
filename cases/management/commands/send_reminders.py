"""Run the reminder sweep as of a given time; ``--dry-run`` only prints what would go out."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cases.clock import IST
from cases.reminders import notifications_to_create, reminders_sweep


class Command(BaseCommand):
    help = "Create the reminders due now (or at --now) and enqueue their emails."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--now",
            help="ISO date or date-time to run the sweep as of (default: now). Without an "
            "offset it is India time; a date alone means 09:00 that day.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print one JSON object a line for each notification a real "
            "run would create now; change nothing.",
        )

    def handle(self, *args, now: str | None = None, dry_run: bool = False, **options) -> None:
        when = self._parse(now) if now else timezone.now()
        if dry_run:
            # What a real run would create: reminders already stored are not listed again.
            for row in notifications_to_create(when):
                self.stdout.write(
                    json.dumps(
                        {
                            "case": row.case.reference,
                            "kind": row.kind,
                            "recipient": row.recipient.username
                            if row.recipient
                            else row.recipient_email,
                            "channel": row.channel,
                            "due_at": timezone.localtime(row.due_at).isoformat(),
                            "subject": row.subject,
                        }
                    )
                )
            return
        created = reminders_sweep(now=when)
        self.stdout.write(f"{created} notification(s) created as of {when.isoformat()}.")

    def _parse(self, text: str) -> dt.datetime:
        message = (
            f"--now must be an ISO date or date-time such as 2026-03-01 or "
            f"2026-03-01T09:30+05:30, not {text!r}."
        )
        text = text.strip()
        try:
            # A date alone first: parse_datetime would read it as midnight. parse_datetime
            # returns None for the wrong shape and raises ValueError for a well-formed
            # impossible value such as 2026-02-30T10:00.
            try:
                value: dt.datetime | None = dt.datetime.combine(
                    dt.date.fromisoformat(text), dt.time(9, 0)
                )
            except ValueError:
                value = parse_datetime(text)
            if value is None:
                raise ValueError(text)
        except ValueError as exc:
            raise CommandError(message) from exc
        return timezone.make_aware(value, IST) if timezone.is_naive(value) else value
