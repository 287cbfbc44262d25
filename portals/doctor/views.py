"""Doctor portal pages: the case list, the case page (checklist with uploads, dose plan,
eligibility, calendar), uploads and the transitions a doctor may run. One view per action.

Shared pieces (roles, the checklist, the upload handler, refusals) live in ``portals.common``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases.forms import TransitionForm
from cases.models import Case
from cases.selectors import (
    available_transitions,
    case_calendar,
    case_dose_plan,
    case_eligibility,
    case_for,
    cases_for,
)
from cases.services import (
    TRANSITION_FACTS,
    CaseActionError,
    CaseConflict,
    case_apply,
    case_check_permission,
    transition_label,
)
from cases.states import CaseState
from cases.timeline import calendar_grid
from documents.selectors import LineStatus, checklists_for_cases, next_state
from portals.common import (
    case_page,
    checklist_with_forms,
    doctor_required,
    handle_upload,
    load_case_page,
    ordered_transition_form,
    shared_context,
    show_refusal,
)
from portals.forms import PortalUploadForm, uploadable_types


@require_GET
@doctor_required
def doctor_case_list(request: HttpRequest) -> HttpResponse:
    page = case_page(request, cases_for(request.user))
    # Doctors see every line of their own cases' checklists: one batch for the whole page.
    checklists = checklists_for_cases(list(page.object_list))
    rows = []
    for case, lines in checklists.items():
        target = next_state(case)
        rows.append(
            {
                "case": case,
                "next_step": CaseState(target).label if target else "",
                **owed_by_doctor(request.user, case, lines),
            }
        )
    return render(request, "portals/doctor/case_list.html", {"rows": rows, "page": page})


def owed_by_doctor(user: Any, case: Case, lines: list) -> dict[str, list]:
    """What the doctor owes on ``case`` (documents only they supply that are missing, rejected
    or expired, and the actions they may take now), and who owes the rest."""
    mine, others = [], []
    for line in lines:
        if line.ok:
            continue
        if line.status == LineStatus.PENDING:
            others.append((line, _("Facilitator (review)")))
        elif line.document_type.uploadable_by_doctor:
            mine.append(line)
        else:
            others.append((line, _(line.document_type.get_provider_display())))
    actions = [transition_label(name) for name in available_transitions(case, user)]
    return {"mine": mine, "actions": actions, "others": others}


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
                "form": form or ordered_transition_form(name, case),
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
    load_case_page(case)
    user = request.user
    checklist, leftover = checklist_with_forms(user, case, upload_form)
    any_upload = leftover or PortalUploadForm(document_types=uploadable_types(user, case))
    dose_plan, dose_problem = case_dose_plan(case)
    calendar = case_calendar(case)
    context = {
        **shared_context(user, case),
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
    return handle_upload(
        request, case_for(request.user, pk), _render_doctor_case, "portal:doctor_case"
    )


@require_POST
@doctor_required
def doctor_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Run one transition on the doctor's own case through ``case_apply``."""
    case = case_for(request.user, pk)
    if name not in TRANSITION_FACTS:
        raise Http404("No such action.")
    case_check_permission(case=case, transition=name, by=request.user)  # 403 before the form
    form = ordered_transition_form(name, case, data=request.POST)
    label = transition_label(name)
    if not form.is_valid():
        messages.error(
            request, _("%(action)s: please correct the fields below.") % {"action": label}
        )
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
        show_refusal(request, case, label, exc, form)
        return _render_doctor_case(request, case, action_form=form)
    else:
        messages.success(
            request,
            _("%(action)s: %(reference)s is now '%(state)s'.")
            % {"action": label, "reference": case.reference, "state": case.get_state_display()},
        )
    return redirect("portal:doctor_case", pk=case.pk)
