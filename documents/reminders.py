"""The documents' reminder rule. ``DocumentsConfig.ready()`` adds it to the sweep in
``cases.reminders``, which runs it with the built-in rules and keeps its promises: the
notification kind, dedupe key and email templates are the sweep's."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cases.reminders import Reminder, rule_cases, setting
from cases.states import CaseState

from .selectors import LineStatus, checklists_for_cases


def documents_missing(now: dt.datetime) -> list[Reminder]:
    """Every N days in `documents` while a document is missing, rejected or expired: the
    doctor. A document waiting for the facilitator's review is not the doctor's to chase."""
    to_act = {LineStatus.MISSING, LineStatus.REJECTED, LineStatus.EXPIRED}
    every = dt.timedelta(days=setting("NPP_REMINDER_DOCUMENTS_EVERY_DAYS"))
    cases = list(rule_cases(state=CaseState.DOCUMENTS, state_changed_at__lte=now - every))
    reminders = []
    # Judged on the sweep's day, so `send_reminders --now` sees expiry as of that day.
    checklists = checklists_for_cases(cases, today=timezone.localdate(now))
    for case, lines in checklists.items():
        missing = [line for line in lines if line.status in to_act]
        if not missing:
            continue
        periods = (now - case.state_changed_at) // every
        due_at = case.state_changed_at + periods * every
        reminders.append(
            Reminder(case, "documents_missing", due_at, (case.doctor.user,), {"lines": missing})
        )
    return reminders
