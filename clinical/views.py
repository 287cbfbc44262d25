"""The clinical pages of a case under ``/clinical/``: monitoring (the slots' picture and
list, signals, the steroid course, adverse events, outcomes), a slot's grid of tests, and
the forms behind them. Reads go through ``clinical.selectors`` (404 outside scope, logged);
writes through ``clinical.services``; a refusal is shown as its message."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cases import access
from cases.clock import IST, ist_date

from . import charts, schedule, selectors, services
from .forms import (
    AdverseEventForm,
    DecisionForm,
    OtherValueForm,
    OutcomeForm,
    PanelForm,
    SteroidDateForm,
    SteroidDecisionForm,
)
from .models import Outcome, SteroidCourse


def _messages_of(exc: ValidationError | PermissionDenied) -> list[str]:
    if isinstance(exc, ValidationError):
        return list(exc.messages)
    return [str(exc) or _("You may not do this on this case.")]


def _back(pk: int) -> HttpResponse:
    return redirect(reverse("clinical:monitoring", args=[pk]))


@login_required
def monitoring(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.clinical_case_for(request.user, pk)
    data = selectors.monitoring(request.user, case)
    flagged = {(s.slot, s.lab_value.test) for s in data["signals"] if s.is_open and s.lab_value}
    context = {
        "case": case,
        **data,
        "grid": charts.slot_grid(data["slots"], flagged) if data["slots"] else None,
        "may_record": access.may_record_lab_result(request.user, case),
        "may_decide": access.may_decide_safety_signal(request.user, case),
        "may_report": access.may_report_adverse_event(request.user, case),
        "steroid_decision_form": SteroidDecisionForm(),
        "outcome_months": Outcome.MONTHS,
        "other_form": OtherValueForm(
            initial={"sampled_on": ist_date(case.infused_at)} if case.infused_at else None
        ),
    }
    return render(request, "clinical/monitoring.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def slot_entry(request: HttpRequest, pk: int, slot: str) -> HttpResponse:
    case = selectors.clinical_case_for(request.user, pk)
    if not access.may_record_lab_result(request.user, case) or case.infused_at is None:
        raise Http404("No such page.")
    the_slot = schedule.slot_by_code(ist_date(case.infused_at), slot)
    if the_slot is None:
        raise Http404("No such slot.")
    form = PanelForm(request.POST or None, tests=the_slot.shown, expected=the_slot.expected)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.lab_values_record(
                case=case,
                by=request.user,
                slot=the_slot.code,
                sampled_on=form.cleaned_data["sampled_on"],
                lab=form.cleaned_data["lab"],
                values=form.values(),
                tma_signs=form.tma_signs(),
            )
        except (ValidationError, PermissionDenied) as exc:
            for message in _messages_of(exc):
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("Week %(week)s: %(n)s value(s) saved.")
                % {"week": the_slot.week, "n": len(saved.values)},
            )
            for signal in saved.signals:
                messages.error(request, _("Safety signal opened: %(m)s") % {"m": signal.message})
            return _back(case.pk)
    return render(
        request, "clinical/slot_entry.html", {"case": case, "slot": the_slot, "form": form}
    )


@login_required
@require_POST
def other_value(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.clinical_case_for(request.user, pk)
    form = OtherValueForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.lab_values_record(
                case=case,
                by=request.user,
                sampled_on=data["sampled_on"],
                lab=data["lab"],
                values=[
                    {
                        k: data[k]
                        for k in ("test", "name", "value", "unit", "uln", "reference_range")
                    }
                ],
            )
        except (ValidationError, PermissionDenied) as exc:
            for message in _messages_of(exc):
                messages.error(request, message)
        else:
            messages.success(request, _("Value saved."))
            for signal in saved.signals:
                messages.error(request, _("Safety signal opened: %(m)s") % {"m": signal.message})
    else:
        messages.error(request, _("Enter the test, the value, its unit and the sample date."))
    return _back(case.pk)


@login_required
@require_POST
def signal_decide(request: HttpRequest, pk: int) -> HttpResponse:
    signal = selectors.signal_for(request.user, pk)
    form = DecisionForm(request.POST)
    try:
        services.safety_signal_decide(
            signal=signal, by=request.user, decision=form.data.get("decision", "")
        )
    except (ValidationError, PermissionDenied) as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("Decision recorded; the signal is closed."))
    return _back(signal.case_id)


@login_required
@require_POST
def steroid_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = selectors.clinical_case_for(request.user, pk)
    course = SteroidCourse.objects.filter(case=case).first()
    try:
        if action == "start":
            services.steroid_course_start(case=case, by=request.user)
        elif course is None:
            raise ValidationError(_("Start the steroid course first."))
        elif action == "decide":
            form = SteroidDecisionForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Choose the decision; a next review date must be a date."))
            services.steroid_review_decide(
                course=course,
                by=request.user,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
                next_review_on=form.cleaned_data["next_review_on"],
            )
        elif action in ("taper_start", "taper_end", "stop"):
            dated = SteroidDateForm(request.POST)
            if not dated.is_valid():
                raise ValidationError(_("Enter the date."))
            if action == "taper_start":
                services.steroid_taper_start(
                    course=course, by=request.user, on=dated.cleaned_data["on"]
                )
            else:
                services.steroid_taper_end(
                    course=course, by=request.user, on=dated.cleaned_data["on"]
                )
        else:
            raise Http404("No such action.")
    except (ValidationError, PermissionDenied) as exc:
        for message in _messages_of(exc):
            messages.error(request, message)
    else:
        messages.success(request, _("Steroid course updated."))
    return _back(case.pk)


@login_required
@require_http_methods(["GET", "POST"])
def adverse_event_new(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.clinical_case_for(request.user, pk)
    if not access.may_report_adverse_event(request.user, case):
        raise Http404("No such page.")
    form = AdverseEventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        values = {
            k: v for k, v in form.cleaned_data.items() if v not in (None, "") or isinstance(v, bool)
        }
        try:
            event = services.adverse_event_report(case=case, by=request.user, **values)
        except (ValidationError, PermissionDenied) as exc:
            for message in _messages_of(exc):
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("Adverse event recorded. Forward it to the manufacturer by %(due)s.")
                % {"due": f"{event.forward_due_at.astimezone(IST):%d %b %Y %H:%M}"},
            )
            return redirect(reverse("clinical:adverse_event", args=[event.pk]))
    return render(request, "clinical/adverse_event_form.html", {"case": case, "form": form})


@login_required
def adverse_event(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.adverse_event_for(request.user, pk)
    return render(
        request,
        "clinical/adverse_event.html",
        {"event": event, "case": event.case, "payload": services.adverse_event_payload(event)},
    )


@login_required
def adverse_event_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from .pvpi import pvpi_pdf

    event = selectors.adverse_event_for(request.user, pk)
    response = HttpResponse(pvpi_pdf(event), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="pvpi-{event.case.reference}-ae{event.pk}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def adverse_event_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    event = selectors.adverse_event_for(request.user, pk)
    payload = services.adverse_event_payload(event)
    name = f"ae-{event.case.reference}-{event.pk}"
    if fmt == "json":
        response = HttpResponse(json.dumps(payload, indent=2), content_type="application/json")
    elif fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(payload.keys())
        writer.writerow(["; ".join(v) if isinstance(v, list) else v for v in payload.values()])
        response = HttpResponse(out.getvalue(), content_type="text/csv")
    else:
        raise Http404("No such format.")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def outcome_entry(request: HttpRequest, pk: int, month: int) -> HttpResponse:
    case = selectors.clinical_case_for(request.user, pk)
    if not access.may_record_outcome(request.user, case) or month not in Outcome.MONTHS:
        raise Http404("No such page.")
    existing = case.outcomes.filter(month=month).first()
    form = OutcomeForm(request.POST or None, instance=existing)
    if request.method == "POST" and form.is_valid():
        values: dict[str, Any] = {k: form.cleaned_data[k] for k in OutcomeForm.Meta.fields}
        try:
            services.outcome_record(case=case, by=request.user, month=month, **values)
        except (ValidationError, PermissionDenied) as exc:
            for message in _messages_of(exc):
                form.add_error(None, message)
        else:
            messages.success(request, _("%(m)s-month outcome saved.") % {"m": month})
            return _back(case.pk)
    return render(
        request, "clinical/outcome_form.html", {"case": case, "form": form, "month": month}
    )
