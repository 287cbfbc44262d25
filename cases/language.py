"""The language a reminder is written in: a hook for the app that stores people's languages.

``cases`` stores no language; the family app registers a resolver from its ``ready()``
(``family.language.languages_for``): given user ids and case ids, it answers each user's
language and each case's guardian's (two queries, however many reminders a page renders).
Without one, everything is in ``settings.LANGUAGE_CODE``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

# (user ids, case ids) -> ({user id: language}, {case id: the guardian's language})
Resolver = Callable[[set[int], set[int]], tuple[dict[int, str], dict[int, str]]]
_RESOLVERS: list[Resolver] = []


def register_language_resolver(resolver: Resolver) -> None:
    """Add a resolver; for each person the first that answers wins."""
    if resolver not in _RESOLVERS:
        _RESOLVERS.append(resolver)


def default_language() -> str:
    return str(settings.LANGUAGE_CODE)


def languages_for(notifications: Iterable[Any]) -> list[str]:
    """The language of each notification's reader: its recipient, or for a guardian's email
    (no recipient) the case's guardian."""
    rows = list(notifications)
    user_ids = {n.recipient_id for n in rows if n.recipient_id}
    case_ids = {n.case_id for n in rows if not n.recipient_id}
    users: dict[int, str] = {}
    guardians: dict[int, str] = {}
    for resolver in _RESOLVERS:
        found_users, found_guardians = resolver(user_ids, case_ids)
        users = {**found_users, **users}
        guardians = {**found_guardians, **guardians}
    return [
        (users.get(n.recipient_id) if n.recipient_id else guardians.get(n.case_id))
        or default_language()
        for n in rows
    ]
