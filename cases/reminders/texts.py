"""What a reminder says, rendered when it is delivered: by ``cases.delivery`` for an email,
by the portal's reminder list for an in-app one.

The sweep stores a kind and a compact context (the state the case was in, and what the rule
knew that the case does not say: a stage's limit, the permit's date, the test); the text comes
from ``templates/emails/`` with the case as it is when the reminder goes out. Rows stored by
the earlier sweep, which rendered them itself, keep their stored text.

An app above ``cases`` adds the context its own kinds need with ``register_context`` (the
documents app: the checklist lines of ``documents_missing``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from .. import clinical
from ..clock import ist_date
from ..language import languages_for
from ..models import Notification
from ..states import CaseState

# kind -> function(notifications of that kind, cases loaded) -> one extra context each.
ContextBuilder = Callable[[list[Notification]], list[dict]]
_BUILDERS: dict[str, ContextBuilder] = {}


def register_context(kind: str, builder: ContextBuilder) -> None:
    """``builder`` gives the extra context of each notification of ``kind`` (a batch: the
    portal renders a page of reminders at once)."""
    _BUILDERS[kind] = builder


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _event(notification: Notification) -> clinical.Event | None:
    code = notification.context.get("code")
    when = notification.case.infused_at or notification.case.infusion_scheduled_at
    if not code or when is None:
        return None
    return next((e for e in clinical.treatment_calendar(ist_date(when)) if e.code == code), None)


def _builtin(notification: Notification) -> dict:
    """The context the built-in kinds need beyond the case."""
    context, case = notification.context, notification.case
    kind = notification.kind
    if kind.startswith("stage_overdue_"):
        return {"limit": context.get("limit")}
    if kind == "permit_expiring":
        return {"valid_until": _day(context.get("valid_until"))}
    if kind == "cold_chain":
        return {"use_by": case.cold_chain_deadline()}
    if kind == "prednisolone_tomorrow":
        return {"start": ist_date(notification.due_at) + dt.timedelta(days=1)}
    if kind in ("lab_due_tomorrow", "lab_overdue", "liver_review_due"):
        event = _event(notification)
        return {"event": event, "code": getattr(event, "code", "")}
    return {}


def _template(kind: str) -> str:
    return "stage_overdue" if kind.startswith("stage_overdue_") else kind


def _state_label(notification: Notification) -> str:
    state = notification.context.get("state") or notification.case.state
    return str(CaseState(state).label)


def _render(notification: Notification, extra: dict) -> tuple[str, str, str]:
    """Subject, text body and HTML body. The guardian has no portal account, so their copy
    carries no portal link."""
    context = {
        "case": notification.case,
        "state_label": _state_label(notification),
        "guardian": notification.recipient_id is None,
        "site_url": settings.NPP_SITE_URL,
        **_builtin(notification),
        **extra,
    }
    kind = _template(notification.kind)
    subject = " ".join(render_to_string(f"emails/kinds/{kind}_subject.txt", context).split())
    context["message"] = render_to_string(f"emails/kinds/{kind}.txt", context).strip()
    body = render_to_string("emails/reminder.txt", context)
    html = render_to_string("emails/reminder.html", context)
    return subject[:200], body, html


def render(notifications: Iterable[Notification]) -> dict[int, tuple[str, str, str]]:
    """``{id: (subject, body, html)}`` for ``notifications`` (their ``case`` loaded with its
    patient, hospital and doctor); stored text wins. A kind's registered context is built once
    for all of its notifications."""
    rows = list(notifications)
    texts: dict[int, tuple[str, str, str]] = {}
    by_kind: dict[str, list[Notification]] = {}
    for row in rows:
        if row.subject:
            texts[id(row)] = (row.subject, row.body, row.html_body)
        else:
            by_kind.setdefault(row.kind, []).append(row)
    for kind, group in by_kind.items():
        builder = _BUILDERS.get(kind)
        extras = builder(group) if builder else [{}] * len(group)
        # Each in the language its reader reads (``cases.language``: the family app stores it).
        for row, extra, language in zip(group, extras, languages_for(group), strict=True):
            with translation.override(language):
                texts[id(row)] = _render(row, extra)
    return {row.pk if row.pk is not None else id(row): texts[id(row)] for row in rows}


def render_one(notification: Notification) -> tuple[str, str, str]:
    return next(iter(render([notification]).values()))


def with_texts(notifications: Iterable[Notification]) -> list[Notification]:
    """``notifications`` with ``subject`` and ``body`` filled in memory (for lists)."""
    rows = list(notifications)
    texts = render(rows)
    for row in rows:
        row.subject, row.body, row.html_body = texts[row.pk if row.pk is not None else id(row)]
    return rows
