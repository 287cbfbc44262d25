"""Reads on cases, always scoped by who is asking.

Every portal, download and export goes through ``cases_for`` / ``case_for``: a case outside
the user's scope is simply not in the queryset, so views answer 404 without a special case.
Who sees what is ``cases.access``'s decision; these only fetch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django_fsm import can_proceed

from . import access
from .clock import ist_date, today_ist
from .models import Case


def cases_for(user: Any) -> QuerySet[Case]:
    """The cases ``user`` may see (``access.cases_visible_to``), with what lists show."""
    return access.cases_visible_to(
        user,
        Case.objects.select_related(
            "patient", "product", "hospital", "doctor__user", "facilitator"
        ),
    )


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

    return [
        name
        for name in TRANSITION_FACTS
        if can_proceed(getattr(case, name), check_conditions=False)
        and access.may_run(user, case, name)
    ]


# --- Clinical reads: the pure rules of cases.clinical fed from the case's records ------------

# Where baseline lab values come from: functions ``case -> {name: LabValue-like}`` registered
# by the apps that hold them (the documents app registers the accepted lab reports from its
# ``AppConfig.ready()``), so this module needs no import of them. Later sources win per value.
_BASELINE_LAB_SOURCES: list[Callable[[Case], dict]] = []
# The same sources for many cases at once: ``cases -> {case pk: {name: value}}``.
_BATCH_LAB_SOURCES: dict[Callable, Callable[[list[Case]], dict]] = {}


def register_baseline_labs_source(
    source: Callable[[Case], dict], many: Callable[[list[Case]], dict] | None = None
) -> None:
    """``source(case)`` gives a case's values; ``many(cases)``, if given, the same for many
    cases in a fixed number of queries (the dashboard checks a page of cases at once)."""
    if source not in _BASELINE_LAB_SOURCES:
        _BASELINE_LAB_SOURCES.append(source)
    if many is not None:
        _BATCH_LAB_SOURCES[source] = many


def case_baseline_labs(case: Case) -> dict:
    """The case's baseline lab values as ``cases.clinical.Labs`` input (name -> mapping with
    ``value``/``text``, ``sampled_on`` and, where the lab printed one, ``uln``)."""
    labs: dict = {}
    for source in _BASELINE_LAB_SOURCES:
        labs.update(source(case))
    return labs


def case_planned_infusion_date(case: Case, at: dt.datetime | None = None) -> dt.date:
    """The India date eligibility is judged on: the actual infusion's once given, the
    scheduled one's before, else the earliest it could be (the ETA's, or today's once the ETA has passed)."""
    if case.infused_at:  # once given, the infusion judged is the real one
        return ist_date(case.infused_at)
    if case.infusion_scheduled_at:
        return ist_date(case.infusion_scheduled_at)
    today = today_ist(at)
    return max(ist_date(case.eta), today) if case.eta else today


def case_eligibility(case: Case, on_date: dt.date | None = None):
    """``cases.clinical.eligibility`` for the case, with its recorded overrides applied."""
    from .clinical import eligibility

    overrides = {o.criterion: o.reason for o in case.eligibility_overrides.all()}
    return eligibility(
        case.patient,
        on_date or case_planned_infusion_date(case),
        case_baseline_labs(case),
        overrides=overrides,
    )


def cases_eligibility(cases: list[Case]) -> dict[int, Any]:
    """``case_eligibility`` of each case, in a fixed number of queries whatever their number
    (the cases' patients and overrides prefetched, each lab source asked once for all)."""
    from django.db.models import prefetch_related_objects

    from .clinical import eligibility

    prefetch_related_objects(cases, "eligibility_overrides")
    labs: dict[int, dict] = {case.pk: {} for case in cases}
    for source in _BASELINE_LAB_SOURCES:
        many = _BATCH_LAB_SOURCES.get(source)
        found = many(cases) if many else {case.pk: source(case) for case in cases}
        for pk, values in found.items():
            labs[pk].update(values)
    return {
        case.pk: eligibility(
            case.patient,
            case_planned_infusion_date(case),
            labs[case.pk],
            overrides={o.criterion: o.reason for o in case.eligibility_overrides.all()},
        )
        for case in cases
    }


def latest_weight(patient):
    """The patient's newest weight, read once per patient object (a page shows it in several
    places)."""
    if "_npp_latest_weight" not in patient.__dict__:
        patient._npp_latest_weight = patient.latest_weight()
    return patient._npp_latest_weight


def case_dose_plan(case: Case):
    """The dose and kit plan for the latest weight, or ``(None, reason)`` when there is none."""
    from .clinical import WeightOutOfRange, zolgensma_dose

    weight = latest_weight(case.patient)
    if weight is None:
        return None, "No weight recorded."
    try:
        return zolgensma_dose(weight.weight_kg), ""
    except WeightOutOfRange as exc:
        return None, str(exc)


def case_calendar(case: Case, today=None) -> list[dict]:
    """The treatment calendar with each event's status (done / due / overdue / upcoming).

    A planned test is done when a result of that test was taken within 3 days of its date;
    schedules are generated from the infusion date and judged when read.
    """
    from django.utils import timezone

    from .clinical import SLOT_TOLERANCE_DAYS, calendar_status, treatment_calendar

    when = case.infused_at or case.infusion_scheduled_at
    if when is None:
        return []
    today = today or timezone.localdate()
    received_on = timezone.localdate(case.received_at) if case.received_at else None
    results = list(case.lab_results.all())
    rows = []
    for event in treatment_calendar(timezone.localdate(when), received_on=received_on):
        test = event.code.split("_week_")[0] if "_week_" in event.code else None
        if event.code == "liver_review_day30":
            test = "liver"
        done = (
            case.infused_at is not None
            and test is not None
            and any(
                r.test == test and abs((r.taken_on - event.date).days) <= SLOT_TOLERANCE_DAYS
                for r in results
            )
        )
        if event.code == "cold_chain_use_by":
            done = case.infused_at is not None
        if event.kind == "steroid":
            # Courses are given at home; the calendar shows them, nobody records each dose.
            done = case.infused_at is not None and (event.end_date or event.date) < today
        rows.append({"event": event, "status": calendar_status(event, today, done)})
    return rows


def notifications_for(user: Any, limit: int = 100) -> list:
    """The in-app reminders addressed to ``user`` about cases still in their scope, newest
    first (``access.notifications_visible_to``), with their text rendered now (an in-app
    reminder is delivered by being listed: ``cases.reminders.texts``)."""
    from .reminders.texts import with_texts

    return with_texts(
        access.notifications_visible_to(user)
        .select_related("case__patient", "case__hospital", "case__doctor__user")
        .order_by("-due_at", "-pk")[:limit]
    )


def case_clocks_for(user: Any, case: Case, *, at: dt.datetime | None = None) -> list:
    """The clocks of ``case`` (``cases.deadlines.clocks``) that ``user`` may see: the
    treatment's (``Deadline.clinical``) only for those who see the clinical side. The portals'
    case pages and the API read them here."""
    from . import deadlines

    clinical = access.sees_clinical(user, case)
    return [c for c in deadlines.clocks(case, at=at) if clinical or not c.deadline.clinical]


def second_birthday_clock(case: Case, *, at: dt.datetime | None = None):
    """The case's ``second_birthday`` clock (the deadline's one-case form, no query beyond the
    patient), or None once the child is infused, the case has ended, or its product has no
    such deadline: what every case row shows."""
    from django.utils import timezone

    from . import deadlines

    try:
        deadline = deadlines.get("second_birthday")
    except KeyError:
        return None
    ctx = deadlines.Context(at=at or timezone.now())
    return next(iter(deadline.clocks(case, ctx)), None)
