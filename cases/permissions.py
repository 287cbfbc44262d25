"""Who may act on a case: role predicates used by transitions' ``permission=`` and selectors.

Each predicate takes ``(case, user)`` as django-fsm calls it. A role alone is never enough for
doctors and hospital admins: the case must also be theirs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from .models import Case

    AnyUser = AbstractBaseUser | AnonymousUser

FACILITATORS_GROUP = "Facilitators"


def two_factor_required(user) -> bool:
    """Staff sign in with a second factor (``npp.two_factor`` runs it) unless settings say not."""
    return bool(settings.NPP_REQUIRE_STAFF_2FA and user.is_authenticated and user.is_staff)


def session_verified(user) -> bool:
    """Whether this session passed two-factor (users outside a request count as verified:
    services called from commands and tasks act for the system, not a browser)."""
    if not two_factor_required(user):
        return True
    is_verified = getattr(user, "is_verified", None)
    return True if is_verified is None else bool(is_verified())


def user_is_facilitator(user: AnyUser) -> bool:
    """Facilitators are active staff in the Facilitators group (or superusers), and in a
    browser session only once it passed the second factor (``npp.two_factor``)."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if not session_verified(user):
        return False
    if user.is_superuser:
        return True
    # Cache on the user object: the admin asks this many times per page.
    cached = getattr(user, "_npp_is_facilitator", None)
    if cached is None:
        cached = user.groups.filter(name=FACILITATORS_GROUP).exists()
        user._npp_is_facilitator = cached
    return cached


def user_doctor_id(user: AnyUser) -> int | None:
    doctor = getattr(user, "doctor", None) if user.is_authenticated and user.is_active else None
    return doctor.pk if doctor is not None else None


def user_hospital_id(user: AnyUser) -> int | None:
    """The hospital a hospital admin works for, or None for anyone else."""
    if not (user.is_authenticated and user.is_active):
        return None
    admin = getattr(user, "hospital_admin", None)
    return admin.hospital_id if admin is not None else None


def is_facilitator(case: Case, user: AnyUser) -> bool:
    return user_is_facilitator(user)


def is_own_doctor(case: Case, user: AnyUser) -> bool:
    doctor_id = user_doctor_id(user)
    return doctor_id is not None and case.doctor_id == doctor_id


def is_hospital_admin_of(case: Case, user: AnyUser) -> bool:
    hospital_id = user_hospital_id(user)
    return hospital_id is not None and case.hospital_id == hospital_id


def is_facilitator_or_own_doctor(case: Case, user: AnyUser) -> bool:
    return is_facilitator(case, user) or is_own_doctor(case, user)


def is_facilitator_or_hospital_admin(case: Case, user: AnyUser) -> bool:
    return is_facilitator(case, user) or is_hospital_admin_of(case, user)
