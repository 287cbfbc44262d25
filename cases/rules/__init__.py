"""The case's rulebook: every guard of every transition, declared once.

A rule has a stable snake_case ``code``, the transitions it gates, the product it belongs to
(``None``: every product) and a check that reads the case's facts as of an instant ``at`` and
yields what is missing, in words a facilitator acts on. ``blockers(case, transition, at=...)``
runs the rules of one transition and returns ``Blocker(code, message)`` values; ``[]`` means
ready. ``cases.services.case_apply`` evaluates the rulebook exactly once per transition, under
the case's row lock; nothing else guards a transition (the django-fsm transitions carry no
conditions).

Other apps add their own rules from their ``AppConfig.ready()`` with ``register`` or the
``rule`` decorator (the documents app registers the document checklist and the packet's
freshness), so ``cases`` imports nothing from them. A second named-patient medicine brings its
rules registered for its product name, without touching these.

Where to add a rule: a function decorated with ``@rule(code=..., transitions=...)`` in
``cases/rules/case_facts.py`` (facts any product needs) or the product's module (``zolgensma``),
plus a row in the table-driven tests (``tests/cases/rules/``): a test walks the registry and
fails for a code no test expects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from ..clock import ist_date

if TYPE_CHECKING:
    from ..models import Case

__all__ = [
    "DEVIATION_FACT",
    "Blocker",
    "Context",
    "Evaluation",
    "Rule",
    "blockers",
    "evaluate",
    "register",
    "registry",
    "rule",
    "rules_for",
]

# The fact in which a facilitator accepts what a deviable rule found (an infusion that has
# already happened outside the label: DOMAIN.md §1.10 "Actual events").
DEVIATION_FACT = "infusion_deviation_note"


@dataclass(frozen=True)
class Blocker:
    """One reason a transition cannot run now. ``deviation``: it gates an event that has
    already happened, so a facilitator may record it with a deviation note instead."""

    code: str
    message: str
    deviation: bool = False

    def __str__(self) -> str:
        return self.message


@dataclass
class Context:
    """What a check may read besides the case: the transition, the instant, and a cache that
    rules of one evaluation share (the latest weight, eligibility...)."""

    transition: str
    at: dt.datetime
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def today(self) -> dt.date:
        return ist_date(self.at)

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


Check = Callable[["Case", Context], Iterable["Blocker | str"]]


@dataclass(frozen=True)
class Rule:
    code: str
    transitions: frozenset[str]
    check: Check
    product: str | None = None  # a Product.name, or None for every product
    deviable_on: frozenset[str] = frozenset()
    summary: str = ""

    def applies_to(self, transition: str, product: str | None) -> bool:
        return transition in self.transitions and self.product in (None, product)


_REGISTRY: dict[tuple[str, str | None], Rule] = {}


def register(new: Rule) -> Rule:
    """Add a rule; a code is declared once per product (re-registering the same check, as a
    module imported twice would, is harmless)."""
    if not new.code or not new.code.replace("_", "").isalnum() or new.code != new.code.lower():
        raise ValueError(f"Rule code {new.code!r} is not snake_case.")
    key = (new.code, new.product)
    existing = _REGISTRY.get(key)
    if existing is not None and existing.check is not new.check:
        raise ValueError(f"Rule {new.code!r} is already declared for {new.product or 'all'}.")
    _REGISTRY[key] = new
    return new


def rule(
    *,
    code: str,
    transitions: Iterable[str],
    product: str | None = None,
    deviable_on: Iterable[str] = (),
) -> Callable[[Check], Check]:
    """Decorator form of ``register``; the function's docstring is the rule's summary."""

    def decorate(check: Check) -> Check:
        summary = (check.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        register(
            Rule(
                code,
                frozenset(transitions),
                check,
                product,
                frozenset(deviable_on),
                " ".join(summary.split()),
            )
        )
        return check

    return decorate


def registry() -> list[Rule]:
    """Every registered rule, in registration order."""
    return list(_REGISTRY.values())


def rules_for(transition: str, product: str | None) -> list[Rule]:
    return [r for r in _REGISTRY.values() if r.applies_to(transition, product)]


@dataclass
class Evaluation:
    blockers: list[Blocker] = field(default_factory=list)
    deviations: list[Blocker] = field(default_factory=list)  # accepted with a deviation note

    @property
    def ok(self) -> bool:
        return not self.blockers

    def blocker_messages(self) -> list[str]:
        return [b.message for b in self.blockers]


def _product_name(case: Case) -> str | None:
    return case.product.name if case.product_id else None


def _found(r: Rule, case: Case, ctx: Context) -> Iterator[Blocker]:
    for item in r.check(case, ctx) or ():
        yield item if isinstance(item, Blocker) else Blocker(r.code, item)


def evaluate(case: Case, transition: str, *, at: dt.datetime | None = None) -> Evaluation:
    """Run every rule gating ``transition`` for the case's product, as of ``at`` (now).

    A deviable rule's finding becomes a deviation when a facilitator's deviation note is
    recorded on the case; otherwise it blocks and says a deviation note is the way through.
    """
    ctx = Context(transition=transition, at=at or timezone.now())
    note = (getattr(case, DEVIATION_FACT, "") or "").strip()
    result = Evaluation()
    for r in rules_for(transition, _product_name(case)):
        for found in _found(r, case, ctx):
            if transition not in r.deviable_on:
                result.blockers.append(found)
            elif note:
                result.deviations.append(found)
            else:
                result.blockers.append(
                    Blocker(
                        found.code,
                        f"{found.message} If this is what happened, a facilitator records it with "
                        "a protocol deviation note.",
                        deviation=True,
                    )
                )
    return result


def blockers(case: Case, transition: str, *, at: dt.datetime | None = None) -> list[Blocker]:
    """What stops ``transition`` on ``case`` as of ``at`` (default now); ``[]`` means ready."""
    return evaluate(case, transition, at=at).blockers


# The built-in rules register themselves on import.
from . import case_facts, zolgensma  # noqa: E402,F401
