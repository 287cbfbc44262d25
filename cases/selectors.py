"""Reads on cases, always scoped by who is asking.

Every portal, download and export goes through ``cases_for`` / ``case_for``: a case outside
the user's scope is simply not in the queryset, so views answer 404 without a special case.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from . import permissions
from .models import Case


def cases_for(user: Any) -> QuerySet[Case]:
    """The cases ``user`` may see: all for facilitators, own for doctors, own hospital's for
    hospital admins, none for anyone else."""
    qs = Case.objects.select_related(
        "patient", "product", "hospital", "doctor__user", "facilitator"
    )
    if permissions.user_is_facilitator(user):
        return qs
    doctor_id = permissions.user_doctor_id(user)
    if doctor_id is not None:
        return qs.filter(doctor_id=doctor_id)
    hospital_id = permissions.user_hospital_id(user)
    if hospital_id is not None:
        return qs.filter(hospital_id=hospital_id)
    return qs.none()


def case_for(user: Any, pk: Any) -> Case:
    """One case in ``user``'s scope, or ``Http404``."""
    try:
        return cases_for(user).get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such case.") from exc


def available_transitions(case: Case, user: Any) -> list[str]:
    """Transitions that start from the case's state and that ``user`` may run.

    Guards are not applied here: the facts they need are often entered in the transition's
    own form, so the screen offers the action and shows what is still missing.
    """
    from .services import TRANSITION_FACTS

    names = []
    for name in TRANSITION_FACTS:
        meta = getattr(case, name)._django_fsm
        if meta.has_transition(case.state) and meta.has_transition_perm(case, case.state, user):
            names.append(name)
    return names
