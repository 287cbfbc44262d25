"""Writes of the clinical app. Keyword-only, ``by=`` the acting user; each asks
``cases.access``, validates everything before writing anything (a ``ValidationError`` with
every message, nothing half saved) and runs in one transaction under the case's row lock.
django-auditlog records every row written (``AUDITLOG_INCLUDE_TRACKING_MODELS``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import access
from cases.clinical import PREDNISOLONE_MG_PER_KG_PER_DAY, STEROID_START_DAY, TAPER_DAYS
from cases.clock import ist_date, today_ist
from cases.models import Case, LabResult
from cases.selectors import case_baseline_labs
from cases.states import CaseState

from . import catalogue, schedule, thresholds
from .models import (
    SERIOUSNESS,
    AdverseEvent,
    AdverseEventForward,
    LabValue,
    Outcome,
    PanelBridge,
    SafetySignal,
    SteroidCourse,
    SteroidDecision,
    TmaCheck,
)
from .notify import case_team, notify_now

# Baseline lab fields (documents) by test code, for the platelet fall and troponin rise.
_BASELINE_NAMES = {"platelets": "platelets", "troponin_i": "troponin_i"}
# The cases.LabResult fields of each panel, kept in step (see models.PanelBridge).
_BRIDGE_FIELDS = {
    "liver": {"alt": "alt", "ast": "ast", "total_bilirubin": "total_bilirubin"},
    "platelets": {"platelets": "platelets"},
    "troponin": {"troponin_i": "troponin_i"},
}


def _locked(case: Case) -> Case:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("doctor__user", "facilitator")
        .get(pk=case.pk)
    )


def _infusion_day(case: Case) -> dt.date:
    if case.infused_at is None:
        raise ValidationError(_("No infusion is recorded on this case yet."))
    return ist_date(case.infused_at)


def _decimal(raw: Any) -> Decimal | None:
    if raw in (None, ""):
        return None
    try:
        return Decimal(str(raw).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise catalogue.LabInputError(_("'%(raw)s' is not a number.") % {"raw": raw})


@dataclass
class PanelSaved:
    values: list[LabValue] = field(default_factory=list)
    replaced: list[LabValue] = field(default_factory=list)
    signals: list[SafetySignal] = field(default_factory=list)


def lab_values_record(
    *,
    case: Case,
    by: Any,
    sampled_on: dt.date | None,
    values: list[dict[str, Any]],
    slot: str = "",
    lab: str = "",
    source_document: Any = None,
    tma_signs: list[str] | None = None,
) -> PanelSaved:
    """Record a panel of values sampled on one day (a slot's grid, or unscheduled with
    ``slot=""``). Each item: ``test`` (a catalogue code, or "other" with ``name``), ``value``,
    ``unit``, optional ``uln`` and ``reference_range``. Items with neither a value nor a ULN
    are empty cells and skipped. A value for a test that already has one in the slot replaces
    it (the old one stays, marked replaced). Every crossing of a label threshold opens a
    safety signal and notifies the treating doctor and the facilitator at once.
    ``tma_signs``: the TMA watch's ticked signs (``[]``: checked, none seen; None: not
    checked)."""
    if not access.may_record_lab_result(by, case):
        raise PermissionDenied(_("Only the treating doctor or a facilitator records results."))
    errors: list[str] = []
    infusion_day = _infusion_day(case)
    if case.state == CaseState.CANCELLED:
        raise ValidationError(_("The case is cancelled."))
    the_slot = None
    if sampled_on is None:
        errors.append(_("Enter the date the sample was taken."))
    elif sampled_on > today_ist():
        errors.append(_("A sample cannot be taken in the future."))
    elif sampled_on < infusion_day:
        errors.append(
            _("A monitoring sample cannot be taken before the infusion (%(day)s).")
            % {"day": f"{infusion_day:%d %b %Y}"}
        )
    if slot:
        the_slot = schedule.slot_by_code(infusion_day, slot)
        if the_slot is None:
            raise ValidationError(_("There is no monitoring slot %(slot)s.") % {"slot": slot})
        if sampled_on and not errors and not the_slot.accepts(sampled_on):
            errors.append(
                _(
                    "Week %(week)s takes samples from %(opens)s to %(closes)s; this one was taken on %(on)s. Record it without a slot."
                )
                % {
                    "week": the_slot.week,
                    "opens": f"{the_slot.opens:%d %b %Y}",
                    "closes": f"{the_slot.closes:%d %b %Y}",
                    "on": f"{sampled_on:%d %b %Y}",
                }
            )
    clean: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for item in values:
        test = item.get("test", "")
        name = (item.get("name") or "").strip()
        if test not in catalogue.TESTS and test != catalogue.OTHER:
            errors.append(_("Unknown test %(test)s.") % {"test": test})
            continue
        if test == catalogue.OTHER and not name and item.get("value") not in (None, ""):
            errors.append(_("Name the other test."))
            continue
        try:
            value = _decimal(item.get("value"))
            uln = _decimal(item.get("uln"))
            if value is None and uln is None:
                continue
            unit = (item.get("unit") or "").strip()
            canonical = catalogue.check_value(test, value, unit, name=name)
            if uln is not None:
                if uln <= 0:
                    raise catalogue.LabInputError(
                        _("%(test)s: an upper limit of normal must be above 0.")
                        % {"test": catalogue.label_of(test, name)}
                    )
                catalogue.check_value(test, uln, unit, name=name)
        except catalogue.LabInputError as exc:
            errors.append(str(exc))
            continue
        if (test, name) in seen:
            errors.append(
                _("%(test)s is entered twice.") % {"test": catalogue.label_of(test, name)}
            )
            continue
        seen.add((test, name))
        spec = catalogue.TESTS.get(test)
        found = spec.unit(unit) if spec else None
        clean.append(
            {
                "test": test,
                "test_name": name if test == catalogue.OTHER else "",
                "value": value,
                "unit": found.code if found else unit,
                "uln": uln,
                "reference_range": (item.get("reference_range") or "").strip()[:60],
                "canonical": canonical,
            }
        )
    if not clean and tma_signs is None and not errors:
        errors.append(_("Enter at least one value."))
    unknown = set(tma_signs or ()) - set(thresholds.TMA_SIGNS)
    if unknown:
        errors.append(_("Unknown TMA sign."))
    if errors:
        raise ValidationError(errors)

    assert sampled_on is not None  # refused above otherwise
    saved = PanelSaved()
    baseline = case_baseline_labs(case)
    with transaction.atomic():
        case = _locked(case)
        now = timezone.now()
        for item in clean:
            canonical = item.pop("canonical")
            row = LabValue(
                case=case,
                slot=slot,
                sampled_on=sampled_on,
                lab=lab.strip()[:200],
                source_document=source_document,
                recorded_by=by,
                **item,
            )
            previous = None
            if slot:
                previous = (
                    LabValue.objects.select_for_update()
                    .filter(
                        case=case,
                        slot=slot,
                        test=row.test,
                        test_name=row.test_name,
                        replaced_at__isnull=True,
                    )
                    .first()
                )
                if previous is not None:
                    previous.replaced_at = now
                    previous.save(update_fields=["replaced_at"])
            row.full_clean()
            row.save()
            if previous is not None:
                previous.replaced_by = row
                previous.save(update_fields=["replaced_by"])
                saved.replaced.append(previous)
            saved.values.append(row)
            base = baseline.get(_BASELINE_NAMES.get(row.test, ""), {})
            base_value = base.get("value") if isinstance(base, dict) else None
            uln = (
                catalogue.to_canonical(row.test, row.uln, row.unit) if row.uln is not None else None
            )
            for crossing in thresholds.crossings(
                row.test,
                canonical,
                uln=uln,
                baseline=Decimal(str(base_value)) if base_value not in (None, "") else None,
                unit=(
                    catalogue.TESTS[row.test].canonical.code
                    if row.test in catalogue.TESTS
                    else row.unit
                ),
            ):
                saved.signals.append(_open_signal(case, crossing, slot, row))
        if tma_signs is not None:
            check = TmaCheck(case=case, slot=slot, observed_on=sampled_on, recorded_by=by)
            for sign in tma_signs:
                setattr(check, sign, True)
            check.save()
            tma = thresholds.tma_crossing(list(tma_signs))
            if tma is not None:
                saved.signals.append(_open_signal(case, tma, slot, None))
        if slot:
            _bridge(case, the_slot, by)
        for signal in saved.signals:
            notify_now(
                case=case,
                kind="safety_signal",
                key=f"s{signal.pk}:{signal.lab_value_id or 0}",
                recipients=case_team(case),
                context={"signal": signal},
            )
    return saved


def _open_signal(
    case: Case, crossing: thresholds.Crossing, slot: str, value: LabValue | None
) -> SafetySignal:
    """The open signal of this kind and slot, updated with the new value, or a new one."""
    signal = SafetySignal.objects.filter(
        case=case, kind=crossing.code, slot=slot, decided_at__isnull=True
    ).first()
    if signal is None or not slot:
        signal = SafetySignal(case=case, kind=crossing.code, slot=slot)
    signal.message = crossing.message
    signal.lab_value = value
    signal.save()
    return signal


def _bridge(case: Case, slot: schedule.Slot | None, by: Any) -> None:
    """Keep one ``cases.LabResult`` per complete panel of ``slot`` in step with its current
    values, so the calendar, the reminders and the deadlines see the slot done."""
    if slot is None:
        return
    current = {
        v.test: v
        for v in LabValue.objects.filter(case=case, slot=slot.code, replaced_at__isnull=True)
    }
    for panel in slot.panels:
        fields = _BRIDGE_FIELDS[panel]
        tests = catalogue.PANELS[panel]
        bridge = (
            PanelBridge.objects.filter(case=case, slot=slot.code, panel=panel)
            .select_related("result")
            .first()
        )
        if not all(t in current for t in tests):
            continue
        taken = max(current[t].sampled_on for t in tests)
        result = bridge.result if bridge else LabResult(case=case, test=panel, recorded_by=by)
        result.taken_on = taken
        for test, name in fields.items():
            value = current[test]
            setattr(result, name, catalogue.to_canonical(test, value.value, value.unit))
            if hasattr(result, f"{name}_uln"):
                uln = value.uln
                setattr(
                    result,
                    f"{name}_uln",
                    catalogue.to_canonical(test, uln, value.unit) if uln is not None else None,
                )
        result.note = _("Entered as values in the monitoring grid, week %(week)s.") % {
            "week": slot.week
        }
        result.save()
        if bridge is None:
            PanelBridge.objects.create(case=case, slot=slot.code, panel=panel, result=result)


def safety_signal_decide(*, signal: SafetySignal, by: Any, decision: str) -> SafetySignal:
    """The treating doctor records what the crossed threshold means (repeat, treat, refer...);
    the signal closes."""
    if not access.may_decide_safety_signal(by, signal.case):
        raise PermissionDenied(_("Only the treating doctor records a decision on a safety signal."))
    decision = (decision or "").strip()
    if not decision:
        raise ValidationError(_("Write the decision: what will be done about this signal."))
    with transaction.atomic():
        signal = SafetySignal.objects.select_for_update().get(pk=signal.pk)
        if signal.decided_at is not None:
            raise ValidationError(_("A decision is already recorded on this signal."))
        signal.decision = decision
        signal.decided_by = by
        signal.decided_at = timezone.now()
        signal.save(update_fields=["decision", "decided_by", "decided_at"])
    return signal


# --- The steroid course (DOMAIN.md §1.7) ------------------------------------------------------


def _weight_on(case: Case, day: dt.date):
    return case.patient.weights.filter(measured_on__lte=day).order_by("-measured_on", "-pk").first()


def steroid_course_start(
    *, case: Case, by: Any, started_on: dt.date | None = None
) -> SteroidCourse:
    """Start prednisolone on day -1 at 1 mg/kg/day, the dose from the infusion-day weight
    (the newest weight measured on or before the infusion or scheduled day)."""
    if not access.may_record_lab_result(by, case):
        raise PermissionDenied(
            _("Only the treating doctor or a facilitator records the steroid course.")
        )
    when = case.infused_at or case.infusion_scheduled_at
    if when is None:
        raise ValidationError(
            _("Schedule the infusion first: the course starts the day before it.")
        )
    infusion_day = ist_date(when)
    expected = infusion_day + dt.timedelta(days=STEROID_START_DAY)
    started_on = started_on or expected
    if started_on != expected:
        raise ValidationError(
            _("Prednisolone starts on day -1, the day before the infusion: %(day)s.")
            % {"day": f"{expected:%d %b %Y}"}
        )
    weight = _weight_on(case, infusion_day)
    if weight is None:
        raise ValidationError(_("Record the child's weight first: the dose is 1 mg/kg/day."))
    with transaction.atomic():
        _locked(case)
        if SteroidCourse.objects.filter(case=case).exists():
            raise ValidationError(_("The steroid course is already recorded."))
        course = SteroidCourse(
            case=case,
            started_on=started_on,
            weight_kg=weight.weight_kg,
            dose_mg=(Decimal(weight.weight_kg) * PREDNISOLONE_MG_PER_KG_PER_DAY).quantize(
                Decimal("0.01")
            ),
            review_on=infusion_day + dt.timedelta(days=STEROID_START_DAY + 30 - 1),
            recorded_by=by,
        )
        course.full_clean()
        course.save()
    return course


def steroid_review_decide(
    *,
    course: SteroidCourse,
    by: Any,
    decision: str,
    note: str = "",
    next_review_on: dt.date | None = None,
) -> SteroidCourse:
    """The day-30 review's decision: taper over 28 days (results unremarkable), or continue
    at 1 mg/kg/day and review again on ``next_review_on``."""
    if not access.may_record_lab_result(by, course.case):
        raise PermissionDenied(_("Only the treating doctor or a facilitator records the decision."))
    if decision not in SteroidDecision.values:
        raise ValidationError(_("Choose taper or continue."))
    if decision == SteroidDecision.CONTINUE and next_review_on is None:
        raise ValidationError(_("Give the date of the next review when the course continues."))
    if next_review_on is not None and next_review_on <= today_ist():
        raise ValidationError(_("The next review must be after today."))
    with transaction.atomic():
        course = SteroidCourse.objects.select_for_update().get(pk=course.pk)
        if course.taper_started_on is not None:
            raise ValidationError(_("The taper has started; the decision is recorded."))
        course.decision = decision
        course.decision_note = note.strip()
        course.decided_by = by
        course.decided_at = timezone.now()
        course.next_review_on = next_review_on if decision == SteroidDecision.CONTINUE else None
        course.save()
    return course


def steroid_taper_start(*, course: SteroidCourse, by: Any, on: dt.date) -> SteroidCourse:
    if not access.may_record_lab_result(by, course.case):
        raise PermissionDenied(_("Only the treating doctor or a facilitator records the taper."))
    if course.decision != SteroidDecision.TAPER:
        raise ValidationError(_("Record the review's decision to taper first."))
    if on > today_ist():
        raise ValidationError(_("The taper cannot start in the future."))
    if course.review_on and on <= course.review_on:
        raise ValidationError(_("The taper starts after the day-30 review."))
    with transaction.atomic():
        course = SteroidCourse.objects.select_for_update().get(pk=course.pk)
        course.taper_started_on = on
        course.save(update_fields=["taper_started_on"])
    return course


def steroid_taper_end(*, course: SteroidCourse, by: Any, on: dt.date) -> SteroidCourse:
    """The taper's last day. Never stop abruptly: without a started taper this is refused."""
    if not access.may_record_lab_result(by, course.case):
        raise PermissionDenied(_("Only the treating doctor or a facilitator records the taper."))
    if not course.decision:
        raise ValidationError(_("Record the day-30 review's decision first."))
    if course.taper_started_on is None:
        raise ValidationError(
            _("Never stop prednisolone abruptly: record the start of the 28-day taper first.")
        )
    if on > today_ist():
        raise ValidationError(_("The taper's end cannot be in the future."))
    earliest = course.taper_started_on + dt.timedelta(days=TAPER_DAYS - 1)
    if on < earliest:
        raise ValidationError(
            _("A taper lasts 28 days: started %(start)s, it ends on %(end)s at the earliest.")
            % {"start": f"{course.taper_started_on:%d %b %Y}", "end": f"{earliest:%d %b %Y}"}
        )
    with transaction.atomic():
        course = SteroidCourse.objects.select_for_update().get(pk=course.pk)
        course.taper_ended_on = on
        course.save(update_fields=["taper_ended_on"])
    return course


# --- Adverse events (DOMAIN.md §5.1, §9) ------------------------------------------------------

AE_FIELDS = (
    "aware_at",
    "onset_on",
    "stopped_on",
    "description",
    "relevant_tests",
    "aesi",
    "death",
    "death_on",
    "life_threatening",
    "hospitalisation",
    "disability",
    "congenital_anomaly",
    "other_medically_important",
    "outcome",
    "dechallenge",
    "rechallenge",
    "concomitant",
)


def forward_window(serious: bool) -> dt.timedelta:
    """DOMAIN.md §5.1 [default, unconfirmed]: serious within 24 hours of awareness,
    non-serious within 15 days; both settings."""
    if serious:
        return dt.timedelta(hours=settings.NPP_AE_FORWARD_SERIOUS_HOURS)
    return dt.timedelta(days=settings.NPP_AE_FORWARD_NON_SERIOUS_DAYS)


def adverse_event_report(*, case: Case, by: Any, **values: Any) -> AdverseEvent:
    """Report an adverse event on a case after its infusion; its forwarding clock starts at
    ``aware_at`` (default now)."""
    if not access.may_report_adverse_event(by, case):
        raise PermissionDenied(
            _("Only the treating doctor or a facilitator reports adverse events.")
        )
    unknown = set(values) - set(AE_FIELDS)
    if unknown:
        raise ValueError(f"An adverse event records no {', '.join(sorted(unknown))}.")
    errors = []
    if case.infused_at is None:
        raise ValidationError(_("Adverse events are reported after the infusion."))
    values.setdefault("aware_at", timezone.now())
    infusion_day = ist_date(case.infused_at)
    onset = values.get("onset_on")
    if onset is None:
        errors.append(_("Enter the onset date."))
    elif onset > today_ist():
        errors.append(_("The onset date cannot be in the future."))
    elif onset < infusion_day:
        errors.append(
            _("The onset cannot be before the infusion (%(day)s).")
            % {"day": f"{infusion_day:%d %b %Y}"}
        )
    if values["aware_at"] > timezone.now():
        errors.append(_("The time you became aware cannot be in the future."))
    stopped = values.get("stopped_on")
    if stopped and onset and stopped < onset:
        errors.append(_("The reaction cannot stop before its onset."))
    if not (values.get("description") or "").strip():
        errors.append(_("Describe the reaction."))
    if values.get("death") and not values.get("death_on"):
        errors.append(_("Give the date of death."))
    if errors:
        raise ValidationError(errors)
    if not values.get("concomitant"):
        course = SteroidCourse.objects.filter(case=case).first()
        values["concomitant"] = (
            f"Prednisolone {course.dose_mg.normalize()} mg/day oral from {course.started_on:%d %b %Y}"
            if course
            else "Prednisolone 1 mg/kg/day oral from day -1"
        )
    event = AdverseEvent(case=case, reported_by=by, **values)
    event.forward_due_at = event.aware_at + forward_window(event.serious)
    event.full_clean()
    with transaction.atomic():
        _locked(case)
        event.save()
    return event


def adverse_event_payload(event: AdverseEvent) -> dict[str, Any]:
    """The AE as the manufacturer receives it (JSON and CSV exports, the forwarding record):
    the PvPI form's fields; the patient by initials, age and sex only."""
    case, patient = event.case, event.case.patient
    initials = "".join(part[0] for part in patient.full_name.split() if part).upper()
    weight = _weight_on(case, ist_date(case.infused_at)) if case.infused_at else None
    doctor = case.doctor
    return {
        "case_reference": case.reference,
        "patient_initials": initials,
        "patient_date_of_birth": patient.date_of_birth.isoformat(),
        "patient_sex": patient.sex,
        "patient_weight_kg": str(weight.weight_kg) if weight else "",
        "aware_at": event.aware_at.isoformat(),
        "onset_on": event.onset_on.isoformat(),
        "stopped_on": event.stopped_on.isoformat() if event.stopped_on else "",
        "description": event.description,
        "relevant_tests": event.relevant_tests,
        "aesi": event.get_aesi_display() if event.aesi else "",
        "serious": event.serious,
        "seriousness": [name for name, _label in SERIOUSNESS if getattr(event, name)],
        "death_on": event.death_on.isoformat() if event.death_on else "",
        "outcome": event.get_outcome_display(),
        "suspected_drug": case.product.name,
        "manufacturer": case.product.manufacturer,
        "batch_lot": case.kit_lot_numbers,
        "infused_at": case.infused_at.isoformat() if case.infused_at else "",
        "route": "Intravenous infusion",
        "dechallenge": event.dechallenge,
        "rechallenge": event.rechallenge,
        "concomitant": event.concomitant,
        "reporter_name": doctor.user.get_full_name() or doctor.user.username,
        "reporter_registration": f"{doctor.registration_number} ({doctor.council})",
        "reporter_profession": doctor.specialty or "Physician",
        "reporter_address": f"{case.hospital.name}, {case.hospital.address}, {case.hospital.city}",
        "reporter_contact": doctor.user.email or case.hospital.phone,
    }


def adverse_event_forward(
    *,
    event: AdverseEvent,
    by: Any,
    sent_to: str = "",
    channel: str = "email",
    sent_at: dt.datetime | None = None,
) -> AdverseEventForward:
    """Record that the AE was sent to the manufacturer: what (the payload and its hash), to
    whom and when. The record is never changed."""
    if not access.may_forward_adverse_event(by, event.case):
        raise PermissionDenied(_("Only a facilitator records what was forwarded."))
    sent_to = (sent_to or settings.NPP_AE_MANUFACTURER_SAFETY_EMAIL).strip()
    if not sent_to:
        raise ValidationError(_("Say to whom it was sent."))
    sent_at = sent_at or timezone.now()
    if sent_at > timezone.now():
        raise ValidationError(_("It cannot have been sent in the future."))
    payload = adverse_event_payload(event)
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    with transaction.atomic():
        return AdverseEventForward.objects.create(
            adverse_event=event,
            sent_at=sent_at,
            sent_to=sent_to[:254],
            channel=channel[:30],
            payload=payload,
            sha256=digest,
            sent_by=by,
        )


# --- Outcomes ---------------------------------------------------------------------------------

OUTCOME_FIELDS = (
    "assessed_on",
    "head_control",
    "sits_unaided",
    "stands",
    "walks",
    "ventilation",
    "feeding",
    "note",
)


def outcome_record(*, case: Case, by: Any, month: int, **values: Any) -> Outcome:
    """The 3-, 6- or 12-month outcome; recording a month again replaces it (auditlog keeps
    the earlier values)."""
    if not access.may_record_outcome(by, case):
        raise PermissionDenied(_("Only the treating doctor or a facilitator records outcomes."))
    unknown = set(values) - set(OUTCOME_FIELDS)
    if unknown:
        raise ValueError(f"An outcome records no {', '.join(sorted(unknown))}.")
    if month not in Outcome.MONTHS:
        raise ValidationError(_("Outcomes are recorded at 3, 6 and 12 months."))
    infusion_day = _infusion_day(case)
    assessed = values.get("assessed_on")
    if assessed is None:
        raise ValidationError(_("Enter the date of the assessment."))
    if assessed > today_ist():
        raise ValidationError(_("The assessment cannot be in the future."))
    if assessed < infusion_day:
        raise ValidationError(_("The assessment cannot be before the infusion."))
    with transaction.atomic():
        _locked(case)
        outcome = Outcome.objects.filter(case=case, month=month).first() or Outcome(
            case=case, month=month
        )
        for name, value in values.items():
            setattr(outcome, name, value)
        outcome.recorded_by = by
        outcome.full_clean()
        outcome.save()
    return outcome
