"""Writes on cases. ``case_apply`` is the one door through which every state change passes.

The admin, the portals, management commands and tasks all call it; nothing else calls a
transition method or saves a new state.

A transition sends nothing itself: everything that leaves the database afterwards (reminders,
emails) is derived from the committed state by the reminder sweep (``cases.reminders``) and
delivered by the outbox (``cases.delivery``), so a broker that is down when a transition
commits loses nothing. Writes that do enqueue work (packet builds, the sweep's deliveries) do
it with ``transaction.on_commit``.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import capfirst
from django_fsm import ConcurrentTransition, Transition, can_proceed

from . import access, deadlines, rules
from .models import Case, CaseSequence, SafetyFollowUp
from .states import CaseState

logger = logging.getLogger(__name__)

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
        "syringe_drawn_at",
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


class CaseActionError(Exception):
    """A transition that could not run; ``messages`` says why, in words for the user."""

    def __init__(self, messages: list[str] | str) -> None:
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__(" ".join(self.messages))


class TransitionRefused(CaseActionError):
    """The case is not ready: a guard found something missing. ``codes`` holds the code of
    each message (the rulebook's code where a rule refused), for the API."""

    def __init__(self, messages: list[str] | str, codes: list[str] | None = None) -> None:
        super().__init__(messages)
        self.codes = list(codes) if codes is not None else ["refused"] * len(self.messages)


class TransitionNotAvailable(CaseActionError):
    """The transition does not start from the case's current state."""


class CaseConflict(CaseActionError):
    """Someone else changed the case first."""


def _transitions_named(name: str) -> list[Transition]:
    """The django-fsm transitions of method ``name``, one per source state."""
    return [t for t in Case().get_all_state_transitions() if t.name == name]


def transition_label(name: str) -> str:
    return next((t.custom.get("label", name) for t in _transitions_named(name)), name)


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
    (django-fsm-log writes its StateLog row), save. Nothing leaves the database here.
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
            if not can_proceed(method, check_conditions=False):
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
                raise TransitionRefused(
                    found.blocker_messages(), [blocker.code for blocker in found.blockers]
                )
            method(by=by, description=description or _history_reason(locked, facts) or None)
            locked.stage_clock_from = deadlines.stage_clock_after(
                transition, locked.stage_clock_from, locked.state_changed_at, now
            )
            locked.state_changed_at = now
            locked.save()
            if found.deviations:
                _raise_safety_follow_up(locked, transition, found.deviations, by)
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
    given = [name for name in FACILITATOR_FACTS if name in facts and str(facts[name] or "").strip()]
    if given and not access.may_record_facilitator_facts(by, case):
        labels = ", ".join(str(Case._meta.get_field(name).verbose_name) for name in sorted(given))
        raise TransitionRefused(
            f"Only a facilitator may record the {labels}.", ["facilitator_facts"]
        )


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
    """Raise ``PermissionDenied`` unless ``by`` may run ``transition`` on ``case``, whatever
    state the case is in, so an outsider learns nothing about it.

    ``case_apply`` checks it first, under the row lock; views ask it before they read the
    transition's form, so someone who may not run it learns nothing from a form error."""
    if not access.may_run(by, case, transition):
        raise PermissionDenied(f"You may not '{transition_label(transition)}' on {case.reference}.")


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
        messages = [
            f"{capfirst(Case._meta.get_field(field).verbose_name)}: {msg}"
            for field, msgs in exc.message_dict.items()
            for msg in msgs
        ]
        raise TransitionRefused(messages, ["invalid_fact"] * len(messages)) from exc


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


# What a new case is opened with; everything else is recorded by its transitions.
CASE_CREATE_FIELDS = ("patient", "product", "doctor", "hospital", "facilitator", "priority")


def case_create(*, by: Any, **fields: Any) -> Case:
    """Open a new case in ``application`` with a fresh reference (a facilitator, or a command
    acting as one). Raises ``PermissionDenied``, or ``ValidationError`` with nothing numbered."""
    refuse_unknown("A case is opened with", fields, CASE_CREATE_FIELDS)
    if not access.may_create_case(by):
        raise PermissionDenied("Only a facilitator may open a case.")
    with transaction.atomic():
        reference = case_next_reference(year=timezone.localdate().year)
        case = Case(reference=reference, state=CaseState.APPLICATION, **fields)
        case.full_clean(exclude=["state"])  # protected: only transitions set it
        case.save()
    return case


# Who and what the application is for is settled once it goes to the regulator.
CASE_PARTIES = ("patient", "product", "doctor", "hospital")
PARTIES_EDITABLE_IN = (CaseState.APPLICATION, CaseState.DOCUMENTS)


def case_update(*, case: Case, by: Any, **fields: Any) -> Case:
    """Change a case's own details (``CASE_CREATE_FIELDS``; never its state or the facts its
    transitions record). The parties only while the case is in application or documents.
    Raises ``PermissionDenied``, or ``ValidationError`` with nothing saved."""
    refuse_unknown("A case's details are", fields, CASE_CREATE_FIELDS)
    if not access.may_create_case(by):
        raise PermissionDenied("Only a facilitator may change a case's details.")
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        settled = [
            name
            for name in CASE_PARTIES
            if name in fields and getattr(locked, f"{name}_id") != getattr(fields[name], "pk", None)
        ]
        if settled and locked.state not in PARTIES_EDITABLE_IN:
            raise ValidationError(
                f"{locked.reference} has gone to the regulator: its {', '.join(settled)} can no "
                "longer change."
            )
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.full_clean(exclude=["state"])
        locked.save(update_fields=[*fields, "updated_at"])
    return locked


def safety_follow_up_resolve(
    *, follow_up: SafetyFollowUp, by: Any, resolution: str
) -> SafetyFollowUp:
    """A facilitator closes a protocol deviation's follow-up with what was done (kept with
    when); an empty resolution reopens it."""
    if not access.may_use_desk(by):
        raise PermissionDenied("Only a facilitator resolves a safety follow-up.")
    resolution = (resolution or "").strip()
    follow_up.resolution = resolution
    follow_up.resolved_at = timezone.now() if resolution else None
    follow_up.save(update_fields=["resolution", "resolved_at"])
    return follow_up


# The kit is on its way in these states: a courier's newer ETA replaces the one of dispatch.
ETA_STATES = (CaseState.CUSTOMS, CaseState.DELIVERY)


def case_record_eta(*, case: Case, eta: dt.datetime, source: str) -> bool:
    """Record the kit's new ETA as ``source`` reports it (a courier's signed tracking event,
    received by the webhooks app). Only while the kit is on its way (``ETA_STATES``); no
    transition runs and no rule is evaluated. No user acts: the sender's verified signature is
    its authority, so ``access`` is not asked. Returns whether the ETA changed."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.state not in ETA_STATES or locked.eta == eta:
            return False
        locked.eta = eta
        locked.save(update_fields=["eta", "updated_at"])
    logger.info("%s: ETA %s reported by %s", locked.reference, eta.isoformat(), source)
    return True


def refuse_unknown(what: str, values: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """A caller passing a field a service does not write is a programming error."""
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError(f"{what} {', '.join(allowed)}; not {', '.join(sorted(unknown))}.")


def save_validated(obj: Any, values: dict[str, Any]) -> Any:
    """Set ``values`` on ``obj``, validate the whole row and save it. When validation fails
    nothing is saved (the instance in memory holds the refused values)."""
    for name, value in values.items():
        setattr(obj, name, value)
    obj.full_clean()
    obj.save()
    return obj


def case_override_eligibility(*, case: Case, criterion: str, reason: str, by: Any):
    """A facilitator lets one failing eligibility criterion pass, with a written reason.

    One failing criterion per call; every override is kept with who and when (the newest per
    criterion is in force) and shown in the case's history on the admin page. Raises
    ``PermissionDenied`` or ``CaseActionError``.
    """
    from .clinical import CRITERIA
    from .models import EligibilityOverride

    if not access.may_override_eligibility(by, case):
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


# What a lab result records; the case and who recorded it are the service's.
LAB_RESULT_FIELDS = (
    "test",
    "taken_on",
    "alt",
    "ast",
    "total_bilirubin",
    "platelets",
    "troponin_i",
    "alt_uln",
    "ast_uln",
    "total_bilirubin_uln",
    "note",
)


def case_record_lab_result(*, case: Case, by: Any, **values: Any):
    """Record a post-infusion result (facilitator or the case's own doctor). Raises
    ``PermissionDenied`` or ``ValidationError``; then nothing is saved."""
    from .models import LabResult

    refuse_unknown("A lab result records", values, LAB_RESULT_FIELDS)
    if not access.may_record_lab_result(by, case):
        raise PermissionDenied("Only the treating doctor or a facilitator records results.")
    return save_validated(LabResult(case=case, recorded_by=by), values)


def case_correct_lab_result(*, result, by: Any, **values: Any):
    """Correct a recorded result (who recorded it first stays; django-auditlog keeps the
    earlier values). Same roles as recording it."""
    refuse_unknown("A lab result records", values, LAB_RESULT_FIELDS)
    if not access.may_record_lab_result(by, result.case):
        raise PermissionDenied("Only the treating doctor or a facilitator corrects results.")
    return save_validated(result, values)


def case_delete_lab_result(*, result, by: Any) -> None:
    """Remove a result entered in error (django-auditlog keeps what it said)."""
    if not access.may_record_lab_result(by, result.case):
        raise PermissionDenied("Only the treating doctor or a facilitator removes results.")
    result.delete()


# --- Patients: weights and consents ---------------------------------------------------------

WEIGHT_FIELDS = ("measured_on", "weight_kg", "measured_by")
CONSENT_FIELDS = (
    "given_by",
    "relationship",
    "verified_how",
    "notice_version",
    "given_at",
    "withdrawn_at",
)


def patient_record_weight(*, patient, by: Any, **values: Any):
    """Record a weight (it decides the dose and the kit's band): facilitators. Raises
    ``PermissionDenied`` or ``ValidationError`` (a future date, an impossible weight)."""
    from .models import WeightMeasurement

    refuse_unknown("A weight records", values, WEIGHT_FIELDS)
    if not access.may_record_weight(by, patient):
        raise PermissionDenied("Only a facilitator records a weight.")
    return save_validated(WeightMeasurement(patient=patient), values)


def patient_correct_weight(*, weight, by: Any, **values: Any):
    """Correct a recorded weight (django-auditlog keeps the earlier value)."""
    refuse_unknown("A weight records", values, WEIGHT_FIELDS)
    if not access.may_record_weight(by, weight.patient):
        raise PermissionDenied("Only a facilitator corrects a weight.")
    return save_validated(weight, values)


def patient_delete_weight(*, weight, by: Any) -> None:
    """Remove a weight entered in error (django-auditlog keeps what it said)."""
    if not access.may_record_weight(by, weight.patient):
        raise PermissionDenied("Only a facilitator removes a weight.")
    weight.delete()


def patient_record_consent(*, patient, by: Any, **values: Any):
    """Record the guardian's consent (DPDP Act 2023 s.9(1)) with who recorded it:
    facilitators. Raises ``PermissionDenied`` or ``ValidationError``."""
    from .models import Consent

    refuse_unknown("A consent records", values, CONSENT_FIELDS)
    if not access.may_record_consent(by, patient):
        raise PermissionDenied("Only a facilitator records a consent.")
    return save_validated(Consent(patient=patient, recorded_by=by), values)


def patient_change_consent(*, consent, by: Any, **values: Any):
    """Change a recorded consent, typically to record its withdrawal (``withdrawn_at``); a
    consent is never deleted. Who recorded it stays (``by`` when nobody was recorded)."""
    refuse_unknown("A consent records", values, CONSENT_FIELDS)
    if not access.may_record_consent(by, consent.patient):
        raise PermissionDenied("Only a facilitator changes a consent.")
    if consent.recorded_by_id is None:
        values = {**values, "recorded_by": by}
    return save_validated(consent, values)


# --- Reminders ------------------------------------------------------------------------------


def notifications_mark_read(*, user: Any, ids) -> int:
    """Mark ``user``'s own in-app reminders among ``ids`` read; returns how many changed.

    Ids of anyone else's reminders, of reminders about cases out of the user's scope, or of
    ones already read are ignored. Raises ``PermissionDenied`` for users without portal
    reminders and ``ValidationError`` for ids that are not numbers (then nothing changes).
    """
    if not access.may_read_portal_reminders(user):
        raise PermissionDenied("Only doctors and hospital admins have reminders here.")
    try:
        pks = {int(pk) for pk in ids}
    except (TypeError, ValueError) as exc:
        raise ValidationError("Reminder ids must be numbers.") from exc
    unread = access.notifications_visible_to(user).filter(pk__in=pks, read_at__isnull=True)
    return unread.update(read_at=timezone.now())
