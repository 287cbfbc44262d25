"""Facilitator pages outside the admin's model screens: the dashboard, the next deadlines and
the help page."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from cases import access
from cases.models import Hospital, Product
from clinical.selectors import open_signals
from funding.charts import in_lakh
from funding.money import format_inr
from funding.selectors import waiting_on_money

from . import next_deadlines, selectors, stages
from .charts import grouped_hbar_chart, hbar_chart

# The dashboard lists at most this many open safety signals, oldest first.
SIGNALS_SHOWN = 20


def _facilitator_only(request: HttpRequest) -> None:
    if not access.may_use_desk(request.user):
        raise PermissionDenied


def _filters(request: HttpRequest) -> dict:
    return {
        "hospitals": Hospital.objects.all(),
        "products": Product.objects.all(),
        "facilitators": access.assignable_facilitators(),
    }


@staff_member_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    _facilitator_only(request)
    now = timezone.now()
    params = request.GET
    cases = selectors.filtered_cases(params, access.cases_visible_to(request.user))
    pipeline = selectors.pipeline(cases, params)
    stats_at, durations = stages.kept("durations", cases, now)
    attention = selectors.needs_attention(cases, now, params)
    week = selectors.this_week(cases, now, params)
    risk = selectors.birthday_risk(cases, now, params)
    selectors.attach_cases([*attention, *week, risk])
    money = waiting_on_money(cases)
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "pipeline_chart": hbar_chart(
            "Cases in each state",
            pipeline,
            description="Number of cases per state, in the order of the state machine; "
            "each bar opens the filtered case list.",
        ),
        "duration_chart": grouped_hbar_chart(
            "Days spent in each stage (last 90 days)",
            durations,
            [("median", "median days", "npp-bar"), ("p90", "90th percentile", "npp-bar-p90")],
            description="Median and 90th percentile days per stage, over closed and open cases.",
            unit=" d",
        ),
        "durations": durations,
        "money_chart": hbar_chart(
            "Cases waiting on money",
            [
                {
                    "label": f"{row['case'].reference} {row['case'].patient.full_name}"[:28],
                    "value": in_lakh(row["short"]),
                    "href": reverse("admin:cases_case_change", args=[row["case"].pk])
                    + "#npp-funding",
                }
                for row in money
            ],
            description="Cases not yet ordered whose money received, net of platform fees, "
            "does not cover the manufacturer's quote: the amount short in lakh rupees; each bar "
            "opens the case.",
            unit=" lakh",
        ),
        "money_waiting": money,
        "money_short_total": format_inr(sum((row["short"] for row in money), Decimal("0"))),
        "stats_at": stats_at,
        "attention": attention,
        "signals": list(open_signals(cases)[:SIGNALS_SHOWN]),
        "week": week,
        "risk": risk,
        "top": selectors.TOP,
        "deadlines_url": selectors.deadlines_url(params),
        **_filters(request),
        "selected": {k: params.get(k, "") for k in ("hospital", "product", "facilitator")},
    }
    return render(request, "dashboard/index.html", context)


@staff_member_required
def deadlines_view(request: HttpRequest) -> HttpResponse:
    """Every clock of the facilitator's cases (or everyone's), soonest first, filterable."""
    _facilitator_only(request)
    now = timezone.now()
    listing = next_deadlines.listing(
        request.GET, access.cases_visible_to(request.user), user=request.user, now=now
    )
    context = {
        **admin.site.each_context(request),
        "title": "Next deadlines",
        "listing": listing,
        **_filters(request),
    }
    return render(request, "dashboard/deadlines.html", context)


@staff_member_required
def help_view(request: HttpRequest) -> HttpResponse:
    _facilitator_only(request)
    return render(
        request,
        "dashboard/help.html",
        {**admin.site.each_context(request), "title": "How cases move"},
    )
