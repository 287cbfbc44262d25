"""Old names of the role checks, kept for imports written before ``cases.access``.

Nothing is decided here: each name is ``cases.access``'s, and the ``(case, user)`` predicates
(the shape django-fsm's ``permission=`` calls) only swap the arguments. New code imports
``cases.access``; ``tests/test_access_single_source.py`` checks this module stays this thin.
"""

from __future__ import annotations

from typing import Any

from . import access
from .access import FACILITATORS_GROUP, session_verified, two_factor_required

__all__ = [
    "FACILITATORS_GROUP",
    "is_facilitator",
    "is_facilitator_or_hospital_admin",
    "is_facilitator_or_own_doctor",
    "is_hospital_admin_of",
    "is_own_doctor",
    "session_verified",
    "two_factor_required",
    "user_doctor_id",
    "user_hospital_id",
    "user_is_facilitator",
]

user_is_facilitator = access.is_facilitator
user_doctor_id = access.doctor_id
user_hospital_id = access.hospital_id


def is_facilitator(case: Any, user: Any) -> bool:
    return access.is_facilitator(user)


def is_own_doctor(case: Any, user: Any) -> bool:
    return access.is_treating_doctor(user, case)


def is_hospital_admin_of(case: Any, user: Any) -> bool:
    return access.is_hospital_admin_of(user, case)


def is_facilitator_or_own_doctor(case: Any, user: Any) -> bool:
    return access.is_facilitator(user) or access.is_treating_doctor(user, case)


def is_facilitator_or_hospital_admin(case: Any, user: Any) -> bool:
    return access.is_facilitator(user) or access.is_hospital_admin_of(user, case)
