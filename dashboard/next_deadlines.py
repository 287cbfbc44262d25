"""The next-deadlines list: every clock of the cases a facilitator runs (or everyone's),
soonest first, filtered by deadline, urgency, hospital, product, state and facilitator.

One SQL union of the deadlines' set-based forms (``cases.deadlines.rows``), counted and sliced
a page at a time in one query; the page's cases are loaded in one more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from math import ceil
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from cases import deadlines
from cases.clock import ist_date
from cases.models import Case
from cases.states import CaseState

from .selectors import SOONEST_FIRST, as_date, as_instant, counted_top
from .stages import birthday_before_infusion, kept

PAGE_SIZE = 50
MAX_PAGE = 10**9
WHEN = {"": "Any time", "overdue": "Overdue", "soon": "Soon or overdue"}


@dataclass
class Item:
    case: Case | None
    deadline: deadlines.Deadline
    label: str
    due_on: dt.date
    due_at: dt.datetime | None
    paused: bool
    today: dt.date
    at: dt.datetime

    @property
    def days_left(self) -> int:
        return (self.due_on - self.today).days

    @property
    def days_past(self) -> int:
        return max(-self.days_left, 0)

    @property
    def status(self) -> str:
        clock = deadlines.Clock(
            self.deadline, self.label, self.due_on, self.at, due_at=self.due_at, paused=self.paused
        )
        return clock.status


@dataclass
class Listing:
    page: Page
    items: list[Item]
    selected: dict[str, str]
    codes: list[tuple[str, str]]
    states: list[tuple[str, str]]
    when: dict[str, str]
    basis: str = ""


def _when(name: str, now: dt.datetime):
    today = ist_date(now)

    def where(deadline: deadlines.Deadline, piece: QuerySet, ctx) -> QuerySet:
        if name == "overdue":
            passed = Q(dl_due_at__isnull=False, dl_due_at__lte=now) | Q(
                dl_due_at__isnull=True, dl_due_on__lt=today
            )
            return piece.filter(passed, dl_paused=False)
        if name == "soon":
            return piece.filter(dl_due_on__lt=today + deadline.ahead, dl_paused=False)
        return piece

    return where


def _within(days: int, now: dt.datetime):
    last = ist_date(now) + dt.timedelta(days=days)
    return lambda deadline, piece, ctx: piece.filter(dl_due_on__lte=last)


def _number(value: Any) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _scope(params, cases: QuerySet[Case], user) -> QuerySet[Case]:
    facilitator = params.get("facilitator", "")
    if facilitator == "":
        cases = cases.filter(facilitator=user)  # the facilitator's own cases by default
    elif _number(facilitator) is not None:
        cases = cases.filter(facilitator_id=int(facilitator))
    for param in ("hospital", "product"):
        if _number(params.get(param)) is not None:
            cases = cases.filter(**{f"{param}_id": int(params[param])})
    if params.get("state") in CaseState.values:
        cases = cases.filter(state=params["state"])
    return cases


def listing(params, cases: QuerySet[Case], *, user, now: dt.datetime) -> Listing:
    """One page of clocks, soonest first (three queries: the count, the page, its cases)."""
    cases = _scope(params, cases, user)
    code = params.get("code", "")
    codes = [code] if code in {d.code for d in deadlines.registry()} else None
    basis = ""
    if params.get("risk"):  # the dashboard's "2nd birthday before the predicted infusion"
        _, found = kept("prediction", cases, now)
        cases, codes, basis = (
            birthday_before_infusion(cases, now, found),
            ["second_birthday"],
            found.basis(),
        )
    when = params.get("when", "")
    where = _when(when, now) if when in WHEN else None
    within = _number(params.get("within"))
    if within is not None:
        base, near = where, _within(within, now)
        where = near if base is None else (lambda d, p, c: near(d, base(d, p, c), c))
    found = deadlines.rows(cases, at=now, codes=codes, where=where)
    page = counted_page(found, params.get("page"))
    return Listing(
        page, _items(page.object_list, now), _selected(params), _codes(), _states(), WHEN, basis
    )


def counted_page(found: QuerySet, number: Any) -> Page:
    """Page ``number`` of the clocks ``found``, soonest first, and how many there are, from one
    query (the union of every clock of every case is computed once for both); a number past
    the last page gives the last page, anything else not a page number the first (like
    ``Paginator.get_page``)."""
    # A page number past any real list (or past what SQL's OFFSET takes) is the last page.
    wanted = min(_number(number) or 1, MAX_PAGE)
    count, rows = counted_top(
        found, SOONEST_FIRST, limit=PAGE_SIZE, offset=(wanted - 1) * PAGE_SIZE
    )
    if not rows and wanted > 1:  # past the end: the count, then the last page
        count = found.count()
        wanted = max(ceil(count / PAGE_SIZE), 1)
        count, rows = counted_top(
            found, SOONEST_FIRST, limit=PAGE_SIZE, offset=(wanted - 1) * PAGE_SIZE
        )
    converted = [
        (case_id, code, key, as_date(due_on), as_instant(due_at), bool(paused))
        for case_id, code, key, due_on, due_at, paused in rows
    ]
    return Page(converted, wanted, Paginator(range(count), PAGE_SIZE))


def _items(rows, now: dt.datetime) -> list[Item]:
    rows = list(rows)
    loaded = Case.objects.select_related("patient", "hospital").in_bulk({r[0] for r in rows})
    labels: dict[str, dict[str, str]] = {}
    for code in {r[1] for r in rows}:
        labels[code] = deadlines.get(code).row_labels(r[2] for r in rows if r[1] == code)
    today = ist_date(now)
    return [
        Item(
            loaded.get(case_id),
            deadlines.get(code),
            labels[code][key],
            due_on,
            due_at,
            paused,
            today,
            now,
        )
        for case_id, code, key, due_on, due_at, paused in rows
    ]


def _selected(params) -> dict[str, str]:
    names = ("code", "when", "within", "hospital", "product", "facilitator", "state", "risk")
    return {name: params.get(name, "") for name in names}


def _codes() -> list[tuple[str, str]]:
    return [(d.code, d.label) for d in deadlines.registry()]


def _states() -> list[tuple[str, str]]:
    return [
        (s.value, s.label) for s in CaseState if s not in (CaseState.CLOSED, CaseState.CANCELLED)
    ]
