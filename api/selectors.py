"""Reads the API adds on top of the apps' selectors: a case by its reference (in scope or 404),
the blockers of the transitions a user may run (in words they may read), and the timeline as
data. Scope is ``cases.access``'s, through ``cases_for``; nothing here widens it."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cases import rules
from cases.models import Case
from cases.selectors import available_transitions, cases_for
from cases.services import TRANSITION_FACTS, transition_label
from cases.timeline import case_timeline
from documents.selectors import readable_reasons


def case_by_reference(user: Any, reference: str) -> Case:
    """One case in ``user``'s scope by its reference, or 404 (the same for a case that does
    not exist and one that is not theirs)."""
    try:
        return cases_for(user).get(reference=reference)
    except Case.DoesNotExist as exc:
        raise Http404("No such case.") from exc


def case_blockers(user: Any, case: Case, request) -> dict:
    """Each transition ``user`` may run now, with what stops it (``rules.blockers``) as the
    case's facts stand; the facts a transition records may be what is missing."""
    transitions = []
    for name in available_transitions(case, user):
        found = rules.blockers(case, name)
        messages, codes = readable_reasons(
            user, case, [b.message for b in found], [b.code for b in found]
        )
        url = reverse(f"api:case-transition-{name}", args=[case.reference])
        transitions.append(
            {
                "name": name,
                "label": transition_label(name),
                "url": request.build_absolute_uri(url),
                "facts": list(TRANSITION_FACTS[name]),
                "ready": not found,
                "blockers": [
                    {"code": c, "message": m} for m, c in zip(messages, codes, strict=True)
                ],
            }
        )
    return {"reference": case.reference, "state": case.state, "transitions": transitions}


def case_timeline_data(case: Case) -> dict:
    """The case's stays in each state and its milestones (``cases.timeline``), as data."""
    timeline = case_timeline(case, now=timezone.now())
    return {
        "reference": case.reference,
        "spans": [
            {
                "state": row["state"],
                "label": row["label"],
                "start": row["start"],
                "end": row["end"],
                "days": row["days"],
                "ongoing": row["ongoing"],
                "side": row["side"],
            }
            for row in timeline.rows
        ],
        "milestones": [
            {"label": m["label"], "at": m["date"], "future": m["future"]} for m in timeline.markers
        ],
    }
