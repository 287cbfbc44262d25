"""Writes on cases. ``case_apply`` is the one door through which every state change passes.

The admin, the portals, management commands and tasks all call it; nothing else calls a
transition method or saves a new state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import capfirst
from django_fsm import ConcurrentTransition

from . import permissions, rules
from .models import Case, CaseSequence
from .states import CaseState

# The facts each transition may record on the case, and nothing else. A form or a caller
# passing anything outside this table is a programming error, not user input.
TRANSITION_FACTS: dict[str, tuple[str, ...]] = {
    "start_document_collection": (),
    "submit_to_regulator": (),
    "record_permit": ("permit_number", "permit_issued_on", "permit_valid_until"),
    "record_rejection": ("rejection_reason",),
    "resubmit": (),
    "dispatch": ("supplier_order_ref", "awb_number", "courier", "eta"),
    "clear_customs": ("bill_of_entry_number", "duty_exemption_claimed"),
    "confirm_delivery_and_schedule": (
        "received_at",
        "received_by",
        "temperature_ok",
        "infusion_scheduled_at",
        "band_change_decision",
    ),
    "record_infusion": (
        "infused_at",
        "kit_lot_numbers",
        "band_change_decision",
        "infusion_deviation_note",
    ),
    "close": ("close_reason", "close_override_reason", "steroid_taper_ended_on"),
    "hold": ("hold_reason",),
    "resume": (),
    "cancel": ("cancellation_reason",),
}

# Facts only a facilitator records, whoever runs the transition: the manufacturer's decision
# on a band change and a protocol deviation note (DOMAIN.md §1.10).
FACILITATOR_FACTS = frozenset({"band_change_decision", "infusion_deviation_note"})

# Effects that leave the database, per transition, run once the transition has committed.
# Later issues register theirs here (reminders, packets); keeping them in one table keeps
# "what happens after X" readable in one place.
ON_COMMIT_EFFECTS: dict[str, list[Callable[[Case], None]]] = {name: [] for name in TRANSITION_FACTS}


class CaseActionError(Exception):
    """A transition that could not run; ``messages`` says why, in words for the user."""

    def __init__(self, messages: list[str] | str) -> None:
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__(" ".join(self.messages))


class TransitionRefused(CaseActionError):
    """The case is not ready: a guard found something missing."""


class TransitionNotAvailable(CaseActionError):
    """The transition does not start from the case's current state."""


class CaseConflict(CaseActionError):
    """Someone else changed the case first."""


def transition_label(name: str) -> str:
    method = getattr(Case, name)
    return method._django_fsm.transitions[next(iter(method._django_fsm.transitions))].custom.get(
        "label", name
    )


def case_apply(
    *,
    case: Case,
    transition: str,
    by: Any,
    description: str = "",
    expected_state: str | None = None,
    **facts: Any,
) -> Case:
    """Run ``transition`` on ``case`` as user ``by``, recording ``facts`` on the case.

    Inside one transaction: lock the row, check permission (before anything that would tell
    an outsider about the case), check the caller saw the current state and that the
    transition starts from it, record the facts, check the guards, run the transition
    (django-fsm-log writes its StateLog row), save. Outside effects run on commit.
    ``expected_state`` is the state the user saw when they chose the action (a stale page is
    refused as a conflict). Raises ``PermissionDenied`` or a ``CaseActionError`` subclass
    carrying the reasons; on any error nothing is saved.
    """
    if transition not in TRANSITION_FACTS:
        raise ValueError(f"Unknown transition {transition!r}.")
    unknown = set(facts) - set(TRANSITION_FACTS[transition])
    if unknown:
        raise ValueError(f"{transition} does not record {', '.join(sorted(unknown))}.")

    seen_state = expected_state or case.state
    try:
        with transaction.atomic():
            locked = Case.objects.select_for_update().get(pk=case.pk)
            method = getattr(locked, transition)
            case_check_permission(case=locked, transition=transition, by=by)
            if locked.state != seen_state:
                raise CaseConflict(
                    f"{locked.reference} was changed by someone else while you were working: "
                    f"it is now '{locked.get_state_display()}'. Reload the case and try again."
                )
            if not method._django_fsm.has_transition(locked.state):
                raise TransitionNotAvailable(
                    f"'{transition_label(transition)}' cannot be done while the case is "
                    f"'{locked.get_state_display()}'."
                )
            _check_facilitator_facts(locked, facts, by)
            _record_facts(locked, facts)
            # The rulebook, once, under the row lock; the FSM transitions carry no conditions.
            now = timezone.now()
            found = rules.evaluate(locked, transition, at=now)
            if found.blockers:
                raise TransitionRefused(found.blocker_messages())
            method(by=by, description=description or _history_reason(locked, facts) or None)
            locked.state_changed_at = now
            locked.save()
            if found.deviations:
                _raise_safety_follow_up(locked, transition, found.deviations, by)
            for effect in ON_COMMIT_EFFECTS[transition]:
                # robust: an effect that fails (the broker down) is logged; the transition
                # has committed and the user's page still answers.
                transaction.on_commit(lambda effect=effect: effect(locked), robust=True)
    except ConcurrentTransition as exc:
        raise CaseConflict(
            f"{case.reference} was changed by someone else at the same time. "
            "Reload the case and try again."
        ) from exc
    return locked


REASON_FACTS = ("rejection_reason", "hold_reason", "cancellation_reason", "close_override_reason")


def _history_reason(case: Case, facts: dict[str, Any]) -> str:
    """Reasons stay in the case's history even when a later step clears the field."""
    parts = []
    if facts.get("close_reason"):
        parts.append(f"Closed: {case.get_close_reason_display()}.")
    if (facts.get("infusion_deviation_note") or "").strip():
        parts.append(f"Protocol deviation: {facts['infusion_deviation_note'].strip()}")
    reason = next((facts[f] for f in REASON_FACTS if facts.get(f)), "")
    if reason:
        parts.append(str(reason).strip())
    return " ".join(parts)


def _check_facilitator_facts(case: Case, facts: dict[str, Any], by: Any) -> None:
    given = [name for name in FACILITATOR_FACTS
             if name in facts and str(facts[name] or "").strip()]
    if given and not permissions.is_facilitator(case, by):
        labels = ", ".join(str(Case._meta.get_field(name).verbose_name) for name in sorted(given))
        raise TransitionRefused(f"Only a facilitator may record the {labels}.")


def _raise_safety_follow_up(case: Case, transition: str, deviations: list, by: Any) -> None:
    """A deviation accepted with a facilitator's note becomes a follow-up task (DOMAIN.md
    §1.10), in the same transaction as the transition it came with."""
    from .models import SafetyFollowUp

    SafetyFollowUp.objects.create(
        case=case,
        transition=transition,
        codes=", ".join(sorted({d.code for d in deviations})),
        details="\n".join(d.message for d in deviations),
        note=case.infusion_deviation_note.strip(),
        raised_by=by if getattr(by, "pk", None) else None,
    )


def case_check_permission(*, case: Case, transition: str, by: Any) -> None:
    """Raise ``PermissionDenied`` unless ``by`` may run ``transition`` on ``case``.

    ``case_apply`` checks it first, under the row lock; views ask it before they read the
    transition's form, so someone who may not run it learns nothing from a form error."""
    if not _permitted(getattr(case, transition), case, by):
        raise PermissionDenied(f"You may not '{transition_label(transition)}' on {case.reference}.")


def _permitted(method, case: Case, user: Any) -> bool:
    """The transition's permission predicate, whatever state the case is in (every source of
    one transition shares it), so an outsider learns nothing about the case's state."""
    transitions = method._django_fsm.transitions.values()
    return all(t.has_perm(case, user) for t in transitions)


def _record_facts(case: Case, facts: dict[str, Any]) -> None:
    if not facts:
        return
    for name, value in facts.items():
        if isinstance(value, str):
            value = value.strip()
        setattr(case, name, value)
    exclude = [f.name for f in Case._meta.fields if f.name not in facts]
    try:
        case.clean_fields(exclude=exclude)
    except ValidationError as exc:
        raise TransitionRefused(
            [f"{capfirst(Case._meta.get_field(field).verbose_name)}: {msg}"
             for field, msgs in exc.message_dict.items() for msg in msgs]
        ) from exc


def case_next_reference(*, year: int) -> str:
    """The next reference of ``year``, e.g. ``NPP-2026-0007``. Call inside a transaction.

    The year's counter row is locked while it is incremented, so concurrent creators queue
    on it and every number is handed out once.
    """
    try:
        with transaction.atomic():
            CaseSequence.objects.get_or_create(year=year)
    except IntegrityError:
        pass  # another creator inserted the row first; it exists now
    sequence = CaseSequence.objects.select_for_update().get(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return f"NPP-{year}-{sequence.last_number:04d}"


def case_create(*, by: Any = None, **fields: Any) -> Case:
    """Open a new case in ``application`` with a fresh reference."""
    with transaction.atomic():
        reference = case_next_reference(year=timezone.localdate().year)
        case = Case(reference=reference, state=CaseState.APPLICATION, **fields)
        case.full_clean(exclude=["state"])  # protected: only transitions set it
        case.save()
    return case



def case_override_eligibility(*, case: Case, criterion: str, reason: str, by: Any):
    """A facilitator lets one failing eligibility criterion pass, with a written reason.

    One failing criterion per call; every override is kept with who and when (the newest per
    criterion is in force) and shown in the case's history on the admin page. Raises
    ``PermissionDenied`` or ``CaseActionError``.
    """
    from .clinical import CRITERIA
    from .models import EligibilityOverride

    if not permissions.is_facilitator(case, by):
        raise PermissionDenied("Only a facilitator may override an eligibility criterion.")
    if criterion not in CRITERIA:
        raise CaseActionError(f"Unknown eligibility criterion {criterion!r}.")
    reason = (reason or "").strip()
    if not reason:
        raise CaseActionError("Write the reason for overriding; it is kept in the case log.")
    from .selectors import case_eligibility

    current = case_eligibility(case)[criterion]
    if current.passed and not current.overridden:
        raise CaseActionError(f"'{current.label}' passes; there is nothing to override.")
    # A new row each time: earlier decisions stay on record with who made them.
    return EligibilityOverride.objects.create(case=case, criterion=criterion, reason=reason, by=by)


def case_record_lab_result(*, case: Case, by: Any, **values: Any):
    """Record a post-infusion result (facilitator or the case's own doctor)."""
    from .models import LabResult

    if not permissions.is_facilitator_or_own_doctor(case, by):
        raise PermissionDenied("Only the treating doctor or a facilitator records results.")
    result = LabResult(case=case, recorded_by=by, **values)
    result.full_clean()
    result.save()
    return result
