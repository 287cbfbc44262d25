"""Template tags for the clocks of ``cases.deadlines``: the days left to the 2nd birthday on
every case row and page (in red under ``NPP_SECOND_BIRTHDAY_WARNING_DAYS``), and a case's
clocks as a table. The case's patient must be loaded (the lists select it)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from .. import deadlines

register = template.Library()


@register.inclusion_tag("cases/_second_birthday.html")
def second_birthday(case, now=None):
    """How many days are left before the 2nd birthday; nothing once the child is infused or
    the case has ended."""
    ctx = deadlines.Context(at=now or timezone.now())
    clock = next(iter(deadlines.get("second_birthday").clocks(case, ctx)), None)
    return {"clock": clock}


@register.inclusion_tag("cases/_deadlines.html")
def deadlines_table(clocks, show_met=False):
    """A case's clocks (``deadlines.clocks``), soonest first."""
    return {"clocks": [c for c in clocks if show_met or not c.met]}
