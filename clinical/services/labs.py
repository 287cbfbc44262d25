"""Lab values and safety signals: ``lab_values_record``, ``safety_signal_decide``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import access
from cases.clock import today_ist
from cases.models import Case, LabResult
from cases.selectors import case_baseline_labs
from cases.states import CaseState

from .. import catalogue, schedule, thresholds
from ..models import (
    LabValue,
    PanelBridge,
    SafetySignal,
    TmaCheck,
)
from ..notify import case_team, notify_now
from ._common import _decimal, _infusion_day, _locked

# Baseline lab fields (documents) by test code, for the platelet fall and troponin rise.
_BASELINE_NAMES = {"platelets": "platelets", "troponin_i": "troponin_i"}
# The cases.LabResult fields of each panel, kept in step (see models.PanelBridge).
_BRIDGE_FIELDS = {
    "liver": {"alt": "alt", "ast": "ast", "total_bilirubin": "total_bilirubin"},
    "platelets": {"platelets": "platelets"},
    "troponin": {"troponin_i": "troponin_i"},
}


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
                context={"signal": signal.pk},
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
