"""The prednisolone course (DOMAIN.md §1.7)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import access
from cases.clinical import (
    LIVER_REVIEW_DAY,
    PREDNISOLONE_MG_PER_KG_PER_DAY,
    STEROID_START_DAY,
    TAPER_DAYS,
)
from cases.clock import ist_date, today_ist
from cases.models import Case

from ..models import (
    SteroidCourse,
    SteroidDecision,
)
from ._common import _locked

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
            review_on=infusion_day + dt.timedelta(days=LIVER_REVIEW_DAY),
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
        case = _locked(course.case)
        course = SteroidCourse.objects.select_for_update().get(pk=course.pk)
        course.taper_ended_on = on
        course.save(update_fields=["taper_ended_on"])
        # The case's own field, which its taper_end deadline and closing fact read, in step.
        case.steroid_taper_ended_on = on
        case.save(update_fields=["steroid_taper_ended_on", "updated_at"])
    return course
