"""The clinical app's part of the rulebook: ``monitoring_incomplete`` reading the monitoring
slots, the safety signals and the steroid course. It is declared here only (the closing guard
needs this app's records); ``ClinicalConfig.ready()`` imports this module, which registers it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.conf import settings

from cases import clinical
from cases import rules as rulebook
from cases.clock import ist_date
from cases.rules import Context
from cases.rules.zolgensma import PRODUCT

from . import catalogue, schedule

if TYPE_CHECKING:
    from cases.models import Case

CODE = "monitoring_incomplete"


def _day(value: dt.date) -> str:
    return f"{value:%d %b %Y}"


@rulebook.rule(code=CODE, transitions=["close"], product=PRODUCT)
def monitoring_incomplete(case: Case, ctx: Context) -> Iterator[str]:
    """Monitoring is complete: at least the monitoring period since the infusion, every
    slot of the first 3 months (DOMAIN.md §1.8) has its results, the last liver results are
    unremarkable, no safety signal is open, and the prednisolone course has its day-30
    decision and a finished taper (§1.7). A documented reason (death, transfer, lost to
    follow-up, other with words) closes anyway."""
    from .models import LabValue, SteroidCourse

    if case.close_reason or case.close_override_reason.strip():
        return
    tail = " To close anyway, give a documented reason (death, transfer, lost to follow-up, other)."
    if not case.infused_at:
        yield "No infusion is recorded." + tail
        return
    infusion_day = ist_date(case.infused_at)
    days = settings.NPP_MONITORING_DAYS
    if ctx.at < case.infused_at + dt.timedelta(days=days):
        yield f"Monitoring runs at least {days} days after the infusion." + tail
    # A slot's panel is done by its values in the grid, or by a panel result (entered before
    # the grid, or in the admin's lab result rows).
    results = list(case.lab_results.all())
    done = [(r.test, r.taken_on) for r in results]
    current = LabValue.objects.filter(case=case, replaced_at__isnull=True).exclude(slot="")
    for view in schedule.slot_views(infusion_day, current, ctx.today):
        for panel in view.slot.panels:
            tests = catalogue.PANELS[panel]
            if all(t in view.values for t in tests):
                done.append((panel, max(view.values[t].sampled_on for t in tests)))  # type: ignore[attr-defined]
    missing = clinical.monitoring_gaps(infusion_day, done)
    if missing:
        yield "No result for " + ", ".join(missing) + "." + tail
    liver = [r for r in results if r.test == "liver"]
    if liver:
        last = max(liver, key=lambda r: (r.taken_on, r.pk))
        problems = clinical.liver_problems(
            {
                name: (getattr(last, name), getattr(last, f"{name}_uln"))
                for name in ("alt", "ast", "total_bilirubin")
            }
        )
        if problems:
            yield (
                f"The last liver results ({_day(last.taken_on)}) are not unremarkable: "
                + " ".join(problems)
                + tail
            )
    open_signals = list(case.safety_signals.filter(decided_at__isnull=True))
    if open_signals:
        yield (
            f"{len(open_signals)} safety signal(s) still open, each needs the doctor's decision: "
            + " ".join(s.message for s in open_signals)
            + tail
        )
    yield from _steroid_problems(
        case, ctx, infusion_day, SteroidCourse.objects.filter(case=case).first(), tail
    )


def _steroid_problems(case, ctx, infusion_day, course, tail) -> Iterator[str]:
    earliest_end = infusion_day + dt.timedelta(days=clinical.EARLIEST_TAPER_END_DAY)
    if course is None or not course.decision:
        yield (
            "Record the day-30 steroid review's decision (taper, or continue and review "
            "again): the prednisolone taper cannot be shown finished without it." + tail
        )
        return
    ended = course.taper_ended_on or case.steroid_taper_ended_on
    if ended is None:
        yield (
            "Record the day the prednisolone taper ended (never stopped abruptly; at the "
            f"earliest {_day(earliest_end)})." + tail
        )
    elif course.taper_started_on is None and course.taper_ended_on is None:
        yield "Never stop prednisolone abruptly: record the start of the 28-day taper." + tail
    elif ended > ctx.today:
        yield "The prednisolone taper's end date cannot be in the future."
    elif ended < earliest_end:
        yield (
            f"The prednisolone taper cannot have ended on {_day(ended)}: the 30-day course "
            f"and a 28-day taper end on {_day(earliest_end)} at the earliest."
        )
