"""Template tags for the clocks of ``cases.deadlines``: the days left to the 2nd birthday on
every case row and page (in red under ``NPP_SECOND_BIRTHDAY_WARNING_DAYS``), and a case's
clocks as a table. The case's patient must be loaded (the lists select it)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext

from ..deadlines import Status
from ..selectors import second_birthday_clock

register = template.Library()


@register.simple_tag
def second_birthday(case, now=None) -> str:
    """How many days are left before the 2nd birthday, in red under the warning window; a
    dash once the child is infused or the case has ended. (Built here rather than from a
    template: lists show it on every row.)"""
    clock = second_birthday_clock(case, at=now)
    if clock is None:
        return format_html('<span class="npp-bday npp-bday-none">{}</span>', "\u2014")
    red = " npp-bday-red" if clock.status in (Status.SOON, Status.OVERDUE) else ""
    if clock.days_left > 0:
        text = ngettext(
            "%(days)d day to 2nd birthday", "%(days)d days to 2nd birthday", clock.days_left
        ) % {"days": clock.days_left}
    elif clock.days_left == 0:
        text = gettext("2nd birthday today")
    else:
        text = ngettext(
            "turned 2 %(days)d day ago", "turned 2 %(days)d days ago", clock.days_past
        ) % {"days": clock.days_past}
    return format_html(
        '<span class="npp-bday{}" title="{}">{}</span>',
        red,
        gettext("2nd birthday %(day)s: the infusion must be before it")
        % {"day": f"{clock.due_on:%d %b %Y}"},
        text,
    )


@register.inclusion_tag("cases/_deadlines.html")
def deadlines_table(clocks, show_met=False):
    """A case's clocks (``deadlines.clocks``), soonest first."""
    return {"clocks": [c for c in clocks if show_met or not c.met]}
