"""Deadlines: every clock of a case, declared once and evaluated in two forms.

A deadline has a stable snake_case ``code`` (tests, reminders, the dashboard's links and the
API name it), what it is measured from and its length, in words; whether a hold pauses it;
who is told (``notify``: roles) and how far ahead (``ahead``); and the product it belongs to
(``None``: every product). It is evaluated

- for one case by ``clocks(case, at=...)``: the case pages, the portals, the API. Python over
  the case's own facts; ``Clock`` values, soonest first;
- for many cases by ``rows(cases, at=...)``: the dashboard, the next-deadlines list and the
  reminder sweep. The database computes one row per clock (``ROW_FIELDS``: the case's id, the
  code, a key, ``due_on``, ``due_at``, ``paused``), so nothing is loaded case by case.

Both forms come from one declaration: a ``Deadline`` subclass decorated with ``@deadline``,
whose ``clocks`` and ``rows`` methods read the same fields with the same arithmetic, and
``tests/cases/deadlines/`` checks them against each other on generated cases.

Only the clock of a stage's expected duration (``stage_expected``) stops while a case is on
hold: time on hold still runs against the 2nd birthday, the permit's validity, the
cold-chain window and every other clock (DOMAIN.md §1.5, §2.1, §2.3). The stage clock lives on the case
(``Case.stage_clock_from``: when the stage began, moved later by each hold's length), set by
``cases.services.case_apply`` through ``stage_clock_after``.

Other apps add deadlines from their ``AppConfig.ready()`` (``documents`` adds each document's
validity, DOMAIN.md §4), so ``cases`` imports nothing from them. All dates are India dates
(``cases.clock``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from django.db.models import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    F,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast
from django.utils import timezone

from ..clock import ist_date

if TYPE_CHECKING:
    from ..models import Case

__all__ = [
    "DOCTOR",
    "FACILITATOR",
    "GUARDIAN",
    "HOSPITAL",
    "ROW_FIELDS",
    "Clock",
    "Context",
    "Deadline",
    "Status",
    "clocks",
    "deadline",
    "get",
    "registry",
    "rows",
    "stage_clock_after",
]

# Who is told (the reminder rules map each to recipients).
FACILITATOR, DOCTOR, HOSPITAL, GUARDIAN = "facilitator", "doctor", "hospital", "guardian"

# The columns every SQL form gives, in this order.
ROW_FIELDS = ("dl_case", "dl_code", "dl_key", "dl_due_on", "dl_due_at", "dl_paused")


@dataclass
class Context:
    """The instant a deadline is judged at, with a cache the deadlines of one evaluation share
    (the case's lab results, its documents...)."""

    at: dt.datetime
    cache: dict[str, Any] = field(default_factory=dict)
    # For ``rows``: the caller wants only clocks due on or before this India date, so a
    # deadline may read only the cases that can have one (a hint: the caller still filters).
    due_by: dt.date | None = None

    @property
    def today(self) -> dt.date:
        return ist_date(self.at)

    def memo(self, key: str, compute) -> Any:
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


class Status:
    MET = "met"  # done: nothing more runs against it
    PAUSED = "paused"  # on hold: the clock stands still
    OVERDUE = "overdue"  # its day has passed
    SOON = "soon"  # within the deadline's warning window (``ahead``)
    RUNNING = "running"


@dataclass(frozen=True)
class Clock:
    """One clock of one case as judged at ``at``. ``due_on`` is the India date it falls on
    (the last day allowed, or the day an event is planned); ``due_at`` the instant, for clocks
    kept in hours (the cold chain's 14 x 24 hours, an ETA, a stage's days); ``key`` tells apart
    the clocks of one deadline on one case (a monitoring slot, a document type)."""

    deadline: Deadline
    label: str
    due_on: dt.date
    at: dt.datetime
    due_at: dt.datetime | None = None
    key: str = ""
    paused: bool = False
    met: bool = False
    detail: str = ""

    @property
    def code(self) -> str:
        return self.deadline.code

    @property
    def today(self) -> dt.date:
        return ist_date(self.at)

    @property
    def days_left(self) -> int:
        """Days from today to ``due_on`` (negative once passed; while paused, what is left)."""
        return (self.due_on - self.today).days

    @property
    def days_past(self) -> int:
        """Days since ``due_on`` (0 until it has passed)."""
        return max(-self.days_left, 0)

    @property
    def overdue(self) -> bool:
        if self.due_at is not None:
            return self.due_at <= self.at
        return self.days_left < 0

    @property
    def status(self) -> str:
        """met, paused, overdue, soon (within the deadline's warning window ``ahead``: fewer
        days left than it, or for a window of hours, less time), else running."""
        if self.met:
            return Status.MET
        if self.paused:
            return Status.PAUSED
        if self.overdue:
            return Status.OVERDUE
        if self.days_left < self.deadline.ahead.days:
            return Status.SOON
        ahead = self.deadline.ahead
        if (
            self.due_at is not None
            and ahead < dt.timedelta(days=1)
            and self.due_at - self.at < ahead
        ):
            return Status.SOON  # warned hours ahead (a serious adverse event's 24 h)
        return Status.RUNNING


class Deadline:
    """A clock of a case. Subclasses set the class attributes and implement ``clocks`` (one
    case) and ``rows`` (many cases, in SQL); decorate them with ``@deadline``."""

    code: ClassVar[str]
    label: ClassVar[str]
    measured_from: ClassVar[str]  # in words, e.g. "the child's date of birth"
    length: ClassVar[str]  # in words, e.g. "2 years"
    pauses_on_hold: ClassVar[bool] = False
    notify: ClassVar[tuple[str, ...]] = ()
    product: ClassVar[str | None] = None
    clinical: ClassVar[bool] = False  # about the child's treatment (hidden like lab values)
    summary: ClassVar[str] = ""

    @property
    def ahead(self) -> dt.timedelta:
        """Told, and shown as "soon", this early (a subclass sets a fixed value or reads a
        setting)."""
        return dt.timedelta(0)

    def clocks(self, case: Case, ctx: Context) -> Iterable[Clock]:
        raise NotImplementedError

    def rows(self, cases: QuerySet[Case], ctx: Context) -> list[QuerySet]:
        """Querysets over ``cases`` (or related rows) with the ``ROW_FIELDS`` columns, to be
        combined with ``union``; use ``row_values``."""
        raise NotImplementedError

    def row_label(self, key: str) -> str:
        """What one SQL row of this deadline is, in words (``key`` tells its clocks apart)."""
        return self.label

    def row_labels(self, keys: Iterable[str]) -> dict[str, str]:
        """``row_label`` of many keys at once (a list page labels its rows in one go)."""
        return {key: self.row_label(key) for key in set(keys)}

    def clock(self, ctx: Context, label: str, due_on: dt.date, **kwargs: Any) -> Clock:
        return Clock(self, label, due_on, ctx.at, **kwargs)

    def row_values(
        self, queryset: QuerySet, *, key=None, due_on, due_at=None, paused=None, case="pk"
    ) -> QuerySet:
        """``queryset`` reduced to the ``ROW_FIELDS`` columns; ``case`` names the case's id
        (``"case_id"`` on a related model's rows)."""
        return (
            queryset.annotate(
                dl_case=F(case),
                dl_code=Value(self.code, output_field=CharField()),
                dl_key=key if key is not None else Value("", output_field=CharField()),
                dl_due_on=Cast(due_on, DateField()),
                dl_due_at=due_at if due_at is not None else Cast(Value(None), DateTimeField()),
                dl_paused=paused
                if paused is not None
                else Value(False, output_field=BooleanField()),
            )
            .order_by()
            .values_list(*ROW_FIELDS)
        )

    def __repr__(self) -> str:
        return f"<Deadline {self.code}>"


_REGISTRY: dict[tuple[str, str | None], Deadline] = {}


def deadline(cls: type[Deadline]) -> type[Deadline]:
    """Register a ``Deadline`` subclass (its docstring's first paragraph is its summary); a
    code is declared once per product."""
    code = cls.code
    if not code or not code.replace("_", "").isalnum() or code != code.lower():
        raise ValueError(f"Deadline code {code!r} is not snake_case.")
    key = (code, cls.product)
    existing = _REGISTRY.get(key)
    if existing is not None and type(existing).__qualname__ != cls.__qualname__:
        raise ValueError(f"Deadline {code!r} is already declared for {cls.product or 'all'}.")
    cls.summary = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
    _REGISTRY[key] = cls()
    return cls


def registry() -> list[Deadline]:
    """Every registered deadline, in registration order."""
    return list(_REGISTRY.values())


def get(code: str, product: str | None = None) -> Deadline:
    """The deadline ``code``: the product's own declaration, else the one for every product
    (without ``product``: whichever is declared)."""
    found = _REGISTRY.get((code, product)) or _REGISTRY.get((code, None))
    if found is None and product is None:
        found = next((d for d in _REGISTRY.values() if d.code == code), None)
    if found is None:
        raise KeyError(code)
    return found


def _for_product(product: str | None) -> list[Deadline]:
    return [d for d in _REGISTRY.values() if d.product in (None, product)]


def clocks(
    case: Case,
    *,
    at: dt.datetime | None = None,
    codes: Iterable[str] | None = None,
    ctx: Context | None = None,
) -> list[Clock]:
    """Every clock of ``case`` as of ``at`` (now), soonest first; met clocks last."""
    ctx = ctx or Context(at=at or timezone.now())
    wanted = set(codes) if codes is not None else None
    product = case.product.name if case.product_id else None
    found = [
        c
        for d in _for_product(product)
        if wanted is None or d.code in wanted
        for c in d.clocks(case, ctx)
    ]
    return sorted(
        found,
        key=lambda c: (
            c.met,
            c.due_on,
            c.due_at or dt.datetime.max.replace(tzinfo=dt.UTC),
            c.code,
            c.key,
        ),
    )


def rows(
    cases: QuerySet[Case],
    *,
    at: dt.datetime | None = None,
    codes: Iterable[str] | None = None,
    where=None,
    due_by: dt.date | None = None,
) -> QuerySet:
    """The clocks of ``cases`` as one SQL query (a union of each deadline's ``rows``, a
    product's own deadlines over that product's cases), with the ``ROW_FIELDS`` columns; order
    it (``order_by("dl_due_on", ...)``) and slice it. Met clocks are not in it.
    ``where(deadline, piece, ctx)`` narrows each piece (e.g. ``piece.filter(dl_due_on__lte=
    ...)``); ``due_by`` keeps only clocks due on or before that India date."""
    ctx = Context(at=at or timezone.now(), due_by=due_by)

    def narrowed(deadline: Deadline, piece: QuerySet) -> QuerySet:
        if where is not None:
            piece = where(deadline, piece, ctx)
        return piece if due_by is None else piece.filter(dl_due_on__lte=due_by)

    def of(deadline: Deadline) -> QuerySet[Case]:
        if deadline.product is None:
            return cases
        from ..models import Product

        # A scalar subquery the database runs once per query (not a join per row).
        product = Product.objects.filter(name=deadline.product).values("pk")[:1]
        return cases.filter(product_id=Subquery(product))

    wanted = set(codes) if codes is not None else None
    pieces = [
        narrowed(d, q)
        for d in _REGISTRY.values()
        if wanted is None or d.code in wanted
        for q in d.rows(of(d), ctx)
    ]
    if not pieces:
        return cases.none().values_list("pk")
    first, *rest = pieces
    return first.union(*rest, all=True) if rest else first


# --- The stage clock: what a hold pauses ------------------------------------------------------


def stage_clock_after(
    transition: str, clock_from: dt.datetime | None, state_changed_at: dt.datetime, now: dt.datetime
) -> dt.datetime:
    """``Case.stage_clock_from`` after ``transition`` at ``now``: a hold leaves it (the clock
    stands still from the hold's start, ``state_changed_at``), a resume moves it later by the
    time on hold, and any other transition starts a new stage's clock now."""
    if transition == "hold":
        return clock_from or state_changed_at
    if transition == "resume":
        return (clock_from or state_changed_at) + (now - state_changed_at)
    return now


# The built-in deadlines register themselves on import.
from . import case_facts, zolgensma  # noqa: E402,F401
