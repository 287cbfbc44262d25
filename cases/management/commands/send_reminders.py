"""Run the reminder sweep as of a given time; ``--dry-run`` only prints what would go out."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cases.reminders import due_reminders, reminders_sweep


class Command(BaseCommand):
    help = "Create the reminders due now (or at --now) and enqueue their emails."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--now", help="ISO date-time to run the sweep as of (default: now).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Print one JSON object a line; change nothing.")

    def handle(self, *args, now: str | None = None, dry_run: bool = False, **options) -> None:
        when = self._parse(now) if now else timezone.now()
        if dry_run:
            for reminder in due_reminders(when):
                for user in reminder.recipients:
                    self.stdout.write(json.dumps({
                        "case": reminder.case.reference,
                        "kind": reminder.kind,
                        "recipient": user.username,
                        "due_at": reminder.due_at.isoformat(),
                    }))
            return
        created = reminders_sweep(now=when)
        self.stdout.write(f"{created} notification(s) created as of {when.isoformat()}.")

    def _parse(self, text: str) -> dt.datetime:
        value = parse_datetime(text)
        if value is None:
            try:
                value = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(9, 0))
            except ValueError as exc:
                raise CommandError(f"--now must be an ISO date or date-time, not {text!r}.") from exc
        return timezone.make_aware(value) if timezone.is_naive(value) else value
