"""Portal pages for treating doctors and hospital admins. One view per action.

Every case comes from ``case_for`` (404 outside the user's scope), every document list from
``documents_for`` / ``checklist_for``, and every change goes through a service
(``case_apply``, ``document_upload``). Nothing here filters cases or sets a state.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_fsm_log.models import StateLog

from cases import permissions
from cases.forms import TransitionForm, transition_form
from cases.models import Case, today_ist
from cases.selectors import available_transitions, case_for, cases_for
from cases.services import (
    TRANSITION_FACTS,
    CaseActionError,
    CaseConflict,
    case_apply,
    transition_label,
)
from cases.states import MAIN_LINE, CaseState
from documents.forms import LAB_VALUE_FIELDS
from documents.models import Document, DocumentType
from documents.selectors import (
    checklist_for,
    checklists_for_cases,
    documents_for,
    next_state,
    visible_types_q,
)
from documents.services import document_upload
from npp.two_factor import session_verified, two_factor_required

from .forms import (
    TEMPERATURE_LOG,
    PortalUploadForm,
    temperature_log_form,
    uploadable_types,
)

DOCTOR, HOSPITAL, FACILITATOR = "doctor", "hospital", "facilitator"
CONFIRM_DELIVERY = "confirm_delivery_and_schedule"
_HOMES = {
    FACILITATOR: "admin:index",
    DOCTOR: "portal:doctor_cases",
    HOSPITAL: "portal:hospital_cases",
}


# --- Roles ---------------------------------------------------------------------------------


def portal_role(user: Any) -> str | None:
    """The user's role, in the same order ``cases_for`` decides their scope."""
    if permissions.user_is_facilitator(user):
        return FACILITATOR
    if permissions.user_doctor_id(user) is not None:
        return DOCTOR
    if permissions.user_hospital_id(user) is not None:
        return HOSPITAL
    return None


def _no_access(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "portals/no_access.html", {"message": message}, status=403)


def _role_required(role: str, message: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if portal_role(request.user) != role:
                return _no_access(request, message)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


doctor_required = _role_required(DOCTOR, "These pages are for treating doctors.")
hospital_admin_required = _role_required(HOSPITAL, "These pages are for hospital admins.")


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Where everyone lands after signing in: each role's own home. Staff who have not yet
    passed the second factor go to it first."""
    if two_factor_required(request.user) and not session_verified(request.user):
        return redirect(f"{reverse('two_factor')}?next={reverse('admin:index')}")
    role = portal_role(request.user)
    if role is None:
        return _no_access(request, "Your account has no portal access.")
    return redirect(_HOMES[role])


# --- Pieces shared by both portals ----------------------------------------------------------


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


def _history(case: Case):
    return StateLog.objects.for_(case).select_related("by", "content_type").order_by("timestamp", "pk")


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
        for doc in documents_for(user, case)
    ]


def _checklist(user: Any, case: Case, bound: PortalUploadForm | None) -> tuple[list[dict], Any]:
    """Checklist lines, each with an upload form if ``user`` may upload that type.

    A form that came back with errors replaces the blank one on its line; if it belongs to no
    line it is returned as the leftover (the doctor's "any document" form).
    """
    types = uploadable_types(user, case)
    allowed = {t.pk for t in types}
    items = []
    for line in checklist_for(user, case):
        form = None
        if line.document_type.pk in allowed:
            if bound is not None and bound.posted_type_pk() == str(line.document_type.pk):
                form, bound = bound, None
            else:
                form = PortalUploadForm(document_types=types)
            form.place(line.document_type)
        items.append({"line": line, "form": form})
    return items, bound


def _permit_expired(case: Case) -> bool:
    return bool(case.permit_valid_until and case.permit_valid_until < today_ist())


def _shared_context(user: Any, case: Case) -> dict:
    from cases.dashboard import case_timeline

    return {
        "case": case,
        "timeline": case_timeline(case),
        "steps": _steps(case),
        "documents": _document_rows(user, case),
        "history": _history(case),
        "permit_expired": _permit_expired(case),
    }


def _handle_upload(
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
                f"Uploaded {document.document_type.name}, version {document.version} "
                f"({document.original_filename}); it now waits for review.",
            )
            return redirect(reverse(page, args=[case.pk]) + "#checklist")
    messages.error(request, "Upload refused. " + " ".join(form.error_sentences()))
    return render_page(request, case, upload_form=form)


def _transition_form(name: str, case: Case, data=None) -> TransitionForm:
    """The transition's form with its facts first and the optional note last."""
    form = transition_form(name, case, data=data)
    form.order_fields([*TRANSITION_FACTS[name], "note"])
    return form


CLINICAL_REASONS_HIDDEN = (
    "Some clinical requirements (clinical documents or the eligibility check) are not met "
    "yet; the facilitator and the treating doctor can see which."
)


def _readable_reasons(user: Any, case: Case, reasons: list[str]) -> list[str]:
    """The refusal reasons ``user`` may read.

    Guards name clinical documents and quote lab values ("Eligibility: ... ALT 95 is above
    2 x ULN"). A hospital admin without clinical access gets one sentence in their place.
    """
    only = visible_types_q(user, case)
    if not only:
        return reasons
    hidden = DocumentType.objects.exclude(
        **{key.removeprefix("document_type__"): value for key, value in only.items()}
    )
    prefixes = ("Eligibility:", *(f"{doc_type.name}:" for doc_type in hidden))
    readable = [reason for reason in reasons if not reason.startswith(prefixes)]
    if len(readable) < len(reasons):
        readable.append(CLINICAL_REASONS_HIDDEN)
    return readable


def _refused(
    request: HttpRequest, case: Case, label: str, exc: CaseActionError, form: Any
) -> None:
    reasons = _readable_reasons(request.user, case, exc.messages)
    messages.error(request, f"{label} refused: " + " ".join(reasons))
    form.add_error(None, reasons)


# --- Doctor portal ---------------------------------------------------------------------------


@require_GET
@doctor_required
def doctor_case_list(request: HttpRequest) -> HttpResponse:
    page = _page(request, cases_for(request.user))
    # Doctors see every line of their own cases' checklists: one batch for the whole page.
    checklists = checklists_for_cases(list(page.object_list))
    rows = []
    for case, lines in checklists.items():
        target = next_state(case)
        rows.append(
            {
                "case": case,
                "next_step": CaseState(target).label if target else "",
                "missing": [line for line in lines if not line.ok],
            }
        )
    return render(request, "portals/doctor/case_list.html", {"rows": rows, "page": page})


PAGE_SIZE = 50


def _page(request: HttpRequest, queryset):
    """One page of a case list (lists stay fast however many cases a hospital has)."""
    return Paginator(queryset.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page"))


def _doctor_actions(user: Any, case: Case, bound: TransitionForm | None) -> list[dict]:
    actions = []
    for name in available_transitions(case, user):
        form = bound if bound is not None and bound.transition_name == name else None
        # Blockers a form cannot fix (no facts to enter) are shown before anyone tries.
        standing = [] if TRANSITION_FACTS[name] else case.blockers(name)
        actions.append(
            {
                "name": name,
                "label": transition_label(name),
                "form": form or _transition_form(name, case),
                "blockers": standing,
                "url": reverse("portal:doctor_transition", args=[case.pk, name]),
            }
        )
    return actions


def _render_doctor_case(
    request: HttpRequest,
    case: Case,
    *,
    upload_form: PortalUploadForm | None = None,
    action_form: TransitionForm | None = None,
) -> HttpResponse:
    user = request.user
    checklist, leftover = _checklist(user, case, upload_form)
    any_upload = leftover or PortalUploadForm(document_types=uploadable_types(user, case))
    from cases.dashboard import calendar_grid
    from cases.selectors import case_calendar, case_dose_plan, case_eligibility

    dose_plan, dose_problem = case_dose_plan(case)
    calendar = case_calendar(case)
    context = {
        **_shared_context(user, case),
        "dose_plan": dose_plan,
        "dose_problem": dose_problem,
        "eligibility": case_eligibility(case),
        "calendar": calendar,
        "calendar_months": calendar_grid(calendar),
        "checklist": checklist,
        "any_upload": any_upload.place(None),
        "upload_url": reverse("portal:doctor_upload", args=[case.pk]),
        "actions": _doctor_actions(user, case, action_form),
        "show_notes": True,
    }
    return render(request, "portals/doctor/case_detail.html", context)


@require_GET
@doctor_required
def doctor_case(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_doctor_case(request, case_for(request.user, pk))


@require_POST
@doctor_required
def doctor_upload(request: HttpRequest, pk: int) -> HttpResponse:
    return _handle_upload(
        request, case_for(request.user, pk), _render_doctor_case, "portal:doctor_case"
    )


@require_POST
@doctor_required
def doctor_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Run one transition on the doctor's own case through ``case_apply``."""
    case = case_for(request.user, pk)
    if name not in TRANSITION_FACTS:
        raise Http404("No such action.")
    form = _transition_form(name, case, data=request.POST)
    label = transition_label(name)
    if not form.is_valid():
        messages.error(request, f"{label}: please correct the fields below.")
        return _render_doctor_case(request, case, action_form=form)
    try:
        # PermissionDenied (not the doctor's to run) is left to answer 403.
        case = case_apply(
            case=case,
            transition=name,
            by=request.user,
            description=form.cleaned_data["note"],
            expected_state=form.cleaned_data["seen_state"] or None,
            **form.facts(),
        )
    except CaseConflict as exc:
        messages.error(request, " ".join(exc.messages))  # the page reloads with the new state
    except CaseActionError as exc:
        _refused(request, case, label, exc, form)
        return _render_doctor_case(request, case, action_form=form)
    else:
        messages.success(request, f"{label}: {case.reference} is now '{case.get_state_display()}'.")
    return redirect("portal:doctor_case", pk=case.pk)


# --- Hospital admin portal ---------------------------------------------------------------------


@require_GET
@hospital_admin_required
def hospital_case_list(request: HttpRequest) -> HttpResponse:
    page = _page(request, cases_for(request.user))
    rows = [{"case": case, "permit_expired": _permit_expired(case)} for case in page.object_list]
    return render(request, "portals/hospital/case_list.html", {"rows": rows, "page": page})


def _has_temperature_log(checklist: list[dict]) -> bool:
    return any(
        item["line"].document_type.code == TEMPERATURE_LOG and item["line"].document is not None
        for item in checklist
    )


def _confirm_forms(user: Any, case: Case, checklist: list[dict], data=None, files=None):
    """The delivery confirmation: the transition's facts plus the temperature-logger file."""
    return (
        _transition_form(CONFIRM_DELIVERY, case, data=data),
        temperature_log_form(
            user, case, required=not _has_temperature_log(checklist), data=data, files=files
        ),
    )


def _render_hospital_case(
    request: HttpRequest,
    case: Case,
    *,
    upload_form: PortalUploadForm | None = None,
    confirm: tuple | None = None,
) -> HttpResponse:
    user = request.user
    checklist, _ = _checklist(user, case, upload_form)
    if confirm is None and CONFIRM_DELIVERY in available_transitions(case, user):
        confirm = _confirm_forms(user, case, checklist)
    context = {
        **_shared_context(user, case),
        "checklist": checklist,
        "upload_url": reverse("portal:hospital_upload", args=[case.pk]),
        "confirm": confirm,
        "confirm_url": reverse("portal:hospital_confirm_delivery", args=[case.pk]),
        "show_notes": False,  # transition notes and hold reasons may be clinical
    }
    return render(request, "portals/hospital/case_detail.html", context)


@require_GET
@hospital_admin_required
def hospital_case(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_hospital_case(request, case_for(request.user, pk))


@require_POST
@hospital_admin_required
def hospital_upload(request: HttpRequest, pk: int) -> HttpResponse:
    return _handle_upload(
        request, case_for(request.user, pk), _render_hospital_case, "portal:hospital_case"
    )


@require_POST
@hospital_admin_required
def hospital_confirm_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm receipt and schedule the infusion, with the temperature-logger report.

    The report is stored first (it is a document in its own right, kept as a version even if
    the confirmation is then refused); a file that fails validation stops everything.
    """
    user = request.user
    case = case_for(user, pk)
    checklist, _ = _checklist(user, case, None)
    form, log_form = _confirm_forms(user, case, checklist, request.POST, request.FILES)
    label = transition_label(CONFIRM_DELIVERY)
    if not all([form.is_valid(), log_form.is_valid()]):
        messages.error(request, f"{label}: please correct the fields below.")
        return _render_hospital_case(request, case, confirm=(form, log_form))
    if log_form.cleaned_data["upload"]:
        if not _store_temperature_log(request, case, log_form):
            return _render_hospital_case(request, case, confirm=(form, log_form))
        # The log is on file now: the form shown again no longer asks for it.
        log_form = temperature_log_form(user, case, required=False)
    try:
        case = case_apply(
            case=case,
            transition=CONFIRM_DELIVERY,
            by=user,
            description=form.cleaned_data["note"],
            expected_state=form.cleaned_data["seen_state"] or None,
            **form.facts(),
        )
    except CaseConflict as exc:
        messages.error(request, " ".join(exc.messages))
    except CaseActionError as exc:
        _refused(request, case, label, exc, form)
        return _render_hospital_case(request, case, confirm=(form, log_form))
    else:
        messages.success(request, f"{label}: {case.reference} is now '{case.get_state_display()}'.")
    return redirect("portal:hospital_case", pk=case.pk)


def _store_temperature_log(request: HttpRequest, case: Case, log_form: PortalUploadForm) -> bool:
    data, filename = log_form.read_upload()
    try:
        document = document_upload(
            case=case,
            document_type=log_form.cleaned_data["document_type"],
            data=data,
            filename=filename,
            by=request.user,
        )
    except ValidationError as exc:
        log_form.add_error("upload", exc.messages)
        messages.error(request, "Temperature log refused: " + " ".join(exc.messages))
        return False
    messages.success(
        request, f"Saved the temperature log as version {document.version}; it waits for review."
    )
    return True


@require_GET
@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's in-app reminders, newest first; opening the page marks them read."""
    from django.utils import timezone

    from cases.models import Notification
    from cases.selectors import notifications_for

    if portal_role(request.user) not in (DOCTOR, HOSPITAL):
        return _no_access(request, "Reminders for facilitators are in the admin.")
    items = list(notifications_for(request.user))
    unread = [n.pk for n in items if n.read_at is None]
    Notification.objects.filter(pk__in=unread).update(read_at=timezone.now())
    case_view = "portal:doctor_case" if portal_role(request.user) == DOCTOR else "portal:hospital_case"
    return render(request, "portals/notifications.html",
                  {"items": items, "unread": set(unread), "case_view": case_view})
