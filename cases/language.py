"""The language a reminder is written in: a hook for the app that stores people's languages.

``cases`` stores no language; the family app registers a resolver from its ``ready()``
(``family.language.language_for``) that answers for a portal user or, with ``user=None``, for
the case's guardian. Without one, everything is in ``settings.LANGUAGE_CODE``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from .models import Case

Resolver = Callable[[Any, "Case"], str | None]
_RESOLVERS: list[Resolver] = []


def register_language_resolver(resolver: Resolver) -> None:
    """Add ``resolver(user_or_None, case) -> language code or None``; the first answer wins."""
    if resolver not in _RESOLVERS:
        _RESOLVERS.append(resolver)


def language_for(user: Any, case: Case) -> str:
    """The language to write to ``user`` (None: the case's guardian) about ``case``."""
    for resolver in _RESOLVERS:
        found = resolver(user, case)
        if found:
            return found
    return str(settings.LANGUAGE_CODE)
