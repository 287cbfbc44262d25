"""What the doctor portal and the hospital portal share.

Owns the decorators that admit each role (``cases.access`` decides the role), the pages both
portals have (the home redirect at ``/portal/``, the reminders list, the no-access page) and
the pieces of a case page common to both: steps, history, document rows, the checklist with
its upload forms, the upload handler, the transition form and the refusal message.

Every case comes from ``case_for`` (404 outside the user's scope), every document list from
``documents_for`` / ``checklist_for``, and every change goes through a service
(``case_apply``, ``document_upload``, ``notifications_mark_read``). Nothing here filters
cases or sets a state.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases import access
from cases.access import DOCTOR, FACILITATOR, HOSPITAL
from cases.forms import TransitionForm, transition_form
from cases.models import Case, today_ist
from cases.selectors import case_clocks_for, latest_weight, notifications_for
from cases.services import TRANSITION_FACTS, CaseActionError, notifications_mark_read
from cases.states import MAIN_LINE, CaseState
from cases.timeline import case_history, case_timeline
from documents.forms import LAB_VALUE_FIELDS
from documents.models import Document
from documents.selectors import (
    checklist_for,
    document_versions_for,
    prefetch_case_documents,
    readable_reasons,
)
from documents.services import document_upload

from .forms import PortalUploadForm, uploadable_type_ids, uploadable_types

_HOMES = {
    FACILITATOR: "admin:index",
    DOCTOR: "portal:doctor_cases",
    HOSPITAL: "portal:hospital_cases",
}


# --- Roles ---------------------------------------------------------------------------------


def portal_role(user: Any) -> str | None:
    """The user's role (``access.role``), in the order ``cases_for`` decides their scope."""
    return access.role(user)


def no_access(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "portals/no_access.html", {"message": message}, status=403)


def _role_required(role: str, message: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if portal_role(request.user) != role:
                return no_access(request, message)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


doctor_required = _role_required(DOCTOR, gettext_lazy("These pages are for treating doctors."))
hospital_admin_required = _role_required(
    HOSPITAL, gettext_lazy("These pages are for hospital admins.")
)


# --- Pages both portals have ----------------------------------------------------------------


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where everyone lands after signing in: each role's own home. Staff who have not yet
    passed the second factor go to it first."""
    if access.two_factor_required(request.user) and not access.session_verified(request.user):
        return redirect(f"{reverse('two_factor')}?next={reverse('admin:index')}")
    role = portal_role(request.user)
    if role is None:
        return no_access(request, _("Your account has no portal access."))
    return redirect(_HOMES[role])


@require_GET
@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's in-app reminders, newest first; opening the page marks them read."""
    if not access.may_read_portal_reminders(request.user):
        return no_access(request, _("Reminders for facilitators are in the admin."))
    items = list(notifications_for(request.user))
    unread = [n.pk for n in items if n.read_at is None]
    notifications_mark_read(user=request.user, ids=unread)
    case_view = (
        "portal:doctor_case" if portal_role(request.user) == DOCTOR else "portal:hospital_case"
    )
    return render(
        request,
        "portals/notifications.html",
        {"items": items, "unread": set(unread), "case_view": case_view},
    )


# --- Case lists -----------------------------------------------------------------------------

PAGE_SIZE = 50


def case_page(request: HttpRequest, queryset, ordering=("-created_at", "-pk")) -> Page:
    """One page of a case list (lists stay fast however many cases a hospital has)."""
    return Paginator(queryset.order_by(*ordering), PAGE_SIZE).get_page(request.GET.get("page"))


def permit_expired(case: Case) -> bool:
    return case.permit_expired_on(today_ist())


# --- Pieces of a case page ------------------------------------------------------------------


def _steps(case: Case) -> list[dict]:
    """The main line with the case's place on it (a held case keeps the step it left)."""
    position = {
        CaseState.ON_HOLD: case.hold_from_state,
        CaseState.REJECTED: CaseState.REGULATORY_REVIEW,
    }.get(case.state, case.state)
    current = MAIN_LINE.index(position) if position in MAIN_LINE else None
    return [
        {"label": state.label, "current": i == current, "done": current is not None and i < current}
        for i, state in enumerate(MAIN_LINE)
    ]


def load_case_page(case: Case) -> Case:
    """Read what a case page shows many times once: the documents and their types, the lab
    results, the eligibility overrides and the latest weight. The page then makes the same
    few queries however many documents, versions and results the case has."""
    access.page_cache(case)
    prefetch_related_objects([case], "lab_results", "eligibility_overrides")
    prefetch_case_documents(case)
    latest_weight(case.patient)
    return case


_LAB_LABELS = [(name, Document._meta.get_field(name).verbose_name) for name in LAB_VALUE_FIELDS]


def _document_rows(user: Any, case: Case) -> list[dict]:
    return [
        {
            "document": doc,
            "lab_values": [
                (label, getattr(doc, name))
                for name, label in _LAB_LABELS
                if getattr(doc, name) not in (None, "")
            ],
        }
        for doc in document_versions_for(user, case)
    ]


def shared_context(user: Any, case: Case) -> dict:
    """What both case pages show: the case, its clocks, timeline, steps, documents and
    history."""
    return {
        "case": case,
        "clocks": case_clocks_for(user, case),
        "timeline": case_timeline(case),
        "steps": _steps(case),
        "documents": _document_rows(user, case),
        "history": case_history(case),
        "permit_expired": permit_expired(case),
    }


def checklist_with_forms(
    user: Any, case: Case, bound: PortalUploadForm | None
) -> tuple[list[dict], Any]:
    """Checklist lines, each with an upload form if ``user`` may upload that type.

    A form that came back with errors replaces the blank one on its line; if it belongs to no
    line it is returned as the leftover (the doctor's "any document" form).
    """
    types = uploadable_types(user, case)
    allowed = uploadable_type_ids(user, case)
    items = []
    for line in checklist_for(user, case):
        form, html = None, ""
        if line.document_type.pk in allowed:
            if bound is not None and bound.posted_type_pk() == str(line.document_type.pk):
                form, bound = bound, None
                form.place(line.document_type)
            else:
                form = PortalUploadForm(document_types=types).place(line.document_type)
                html = _blank_form_fields(form)
        items.append({"line": line, "form": form, "form_html": html})
    return items, bound


# A blank upload form on a checklist line renders the same on every page for its document
# type and language (its element ids, the lab values it asks for): rendered once per process.
_BLANK_FORM_FIELDS: dict[tuple, str] = {}


def _blank_form_fields(form: PortalUploadForm) -> str:
    key = (form.line_type.pk, form.line_type.code, form.line_type.is_lab, get_language())
    if key not in _BLANK_FORM_FIELDS:
        _BLANK_FORM_FIELDS[key] = render_to_string(
            "portals/includes/form_fields.html", {"form": form, "fields": form.shown_fields()}
        )
    return _BLANK_FORM_FIELDS[key]


def handle_upload(
    request: HttpRequest, case: Case, render_page: Callable, page: str
) -> HttpResponse:
    """Store one uploaded version, or show the page again with the form's errors."""
    form = PortalUploadForm(
        request.POST, request.FILES, document_types=uploadable_types(request.user, case)
    )
    if form.is_valid():
        data, filename = form.read_upload()
        try:
            document = document_upload(
                case=case,
                document_type=form.cleaned_data["document_type"],
                data=data,
                filename=filename,
                by=request.user,
                **form.lab_values(),
            )
        except ValidationError as exc:  # the file's content or a value the model refuses
            form.add_error(None if hasattr(exc, "error_dict") else "upload", exc.messages)
        else:
            messages.success(
                request,
                _("Uploaded %(name)s, version %(version)s (%(file)s); it now waits for review.")
                % {
                    "name": _(document.document_type.name),
                    "version": document.version,
                    "file": document.original_filename,
                },
            )
            return redirect(reverse(page, args=[case.pk]) + "#checklist")
    messages.error(request, _("Upload refused.") + " " + " ".join(form.error_sentences()))
    return render_page(request, case, upload_form=form)


# --- Transitions ----------------------------------------------------------------------------


def ordered_transition_form(name: str, case: Case, data=None) -> TransitionForm:
    """The transition's form with its facts first and the optional note last."""
    form = transition_form(name, case, data=data)
    form.order_fields([*TRANSITION_FACTS[name], "note"])
    for field_name, label in FACT_LABELS.items():
        if field_name in form.fields:
            form.fields[field_name].label = label
    return form


# The labels of the facts the portals' forms ask for, in the reader's language (the model's
# verbose names stay the admin's).
FACT_LABELS = {
    "received_at": gettext_lazy("Delivery received at"),
    "received_by": gettext_lazy("Received by"),
    "temperature_ok": gettext_lazy("Temperature on arrival OK"),
    "infusion_scheduled_at": gettext_lazy("Infusion scheduled at"),
    "infused_at": gettext_lazy("Actual infusion"),
    "kit_lot_numbers": gettext_lazy("Kit lot number(s)"),
    "note": gettext_lazy("Note for the case log"),
}


def show_refusal(
    request: HttpRequest, case: Case, label: str, exc: CaseActionError, form: Any
) -> None:
    """The refusal as a message and as the form's error, in words ``request.user`` may read."""
    reasons, _hidden = readable_reasons(request.user, case, exc.messages)
    messages.error(request, _("%(action)s refused:") % {"action": label} + " " + " ".join(reasons))
    form.add_error(None, reasons)
