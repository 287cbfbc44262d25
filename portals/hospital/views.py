"""Hospital portal pages: the case list, the case page (shipment side; clinical documents only
with granted access), uploads and the delivery confirmation with its temperature log.

Shared pieces (roles, the checklist, the upload handler, refusals) live in ``portals.common``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case as DbCase
from django.db.models import Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases.models import Case
from cases.selectors import available_transitions, case_for, cases_for
from cases.services import (
    CaseActionError,
    CaseConflict,
    case_apply,
    case_check_permission,
    transition_label,
)
from cases.states import CaseState
from documents.services import document_upload, uploads_all_or_nothing
from portals.common import (
    case_page,
    checklist_with_forms,
    handle_upload,
    hospital_admin_required,
    load_case_page,
    ordered_transition_form,
    permit_expired,
    shared_context,
    show_refusal,
)
from portals.forms import PortalUploadForm

from .forms import CONFIRMATION_FILES, confirmation_file_form

CONFIRM_DELIVERY = "confirm_delivery_and_schedule"


@require_GET
@hospital_admin_required
def hospital_case_list(request: HttpRequest) -> HttpResponse:
    # The case waiting for this hospital (the kit to confirm) first, then the newest.
    waiting = DbCase(When(state=CaseState.DELIVERY, then=Value(0)), default=Value(1))
    page = case_page(request, cases_for(request.user), ordering=(waiting, "-created_at", "-pk"))
    rows = [
        {
            "case": case,
            "permit_expired": permit_expired(case),
            # What this hospital owes now (the rest is the facilitator's and the doctor's).
            "actions": [transition_label(n) for n in available_transitions(case, request.user)],
        }
        for case in page.object_list
    ]
    return render(request, "portals/hospital/case_list.html", {"rows": rows, "page": page})


def _on_file(checklist: list[dict], code: str) -> bool:
    return any(
        item["line"].document_type.code == code and item["line"].document is not None
        for item in checklist
    )


def _confirm_forms(user: Any, case: Case, checklist: list[dict], data=None, files=None):
    """The delivery confirmation: the transition's facts plus its files (the temperature-logger
    report and the delivery receipt), each asked for while none is on file."""
    return (
        ordered_transition_form(CONFIRM_DELIVERY, case, data=data),
        *(
            confirmation_file_form(
                user, case, code, required=not _on_file(checklist, code), data=data, files=files
            )
            for code in CONFIRMATION_FILES
        ),
    )


def _render_hospital_case(
    request: HttpRequest,
    case: Case,
    *,
    upload_form: PortalUploadForm | None = None,
    confirm: tuple | None = None,
) -> HttpResponse:
    load_case_page(case)
    user = request.user
    checklist, _leftover = checklist_with_forms(user, case, upload_form)
    if confirm is None and CONFIRM_DELIVERY in available_transitions(case, user):
        confirm = _confirm_forms(user, case, checklist)
    context = {
        **shared_context(user, case),
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
    return handle_upload(
        request, case_for(request.user, pk), _render_hospital_case, "portal:hospital_case"
    )


@require_POST
@hospital_admin_required
def hospital_confirm_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm receipt and schedule the infusion, with the temperature-logger report and the
    delivery receipt.

    All or nothing: the files and the transition are one transaction, so a refused
    confirmation (a guard, a bad file) stores nothing and leaves no file behind.
    """
    user = request.user
    case = case_for(user, pk)
    case_check_permission(case=case, transition=CONFIRM_DELIVERY, by=user)  # 403 before the form
    checklist, _leftover = checklist_with_forms(user, case, None)
    form, *file_forms = _confirm_forms(user, case, checklist, request.POST, request.FILES)
    label = transition_label(CONFIRM_DELIVERY)
    if not all([form.is_valid(), *(f.is_valid() for f in file_forms)]):
        messages.error(
            request, _("%(action)s: please correct the fields below.") % {"action": label}
        )
        return _render_hospital_case(request, case, confirm=(form, *file_forms))
    file_form = None
    try:
        with uploads_all_or_nothing() as stored:
            for file_form in file_forms:
                if file_form.cleaned_data["upload"]:
                    data, filename = file_form.read_upload()
                    document_upload(
                        case=case,
                        by=user,
                        data=data,
                        filename=filename,
                        document_type=file_form.cleaned_data["document_type"],
                    )
            file_form = None
            case = case_apply(
                case=case,
                transition=CONFIRM_DELIVERY,
                by=user,
                description=form.cleaned_data["note"],
                expected_state=form.cleaned_data["seen_state"] or None,
                **form.facts(),
            )
    except ValidationError as exc:  # a file refused: nothing was stored
        if file_form is None:
            raise
        file_form.add_error("upload", exc.messages)
        messages.error(
            request,
            _("%(action)s: %(file)s refused:")
            % {"action": label, "file": file_form.fields["upload"].label}
            + " "
            + " ".join(exc.messages)
            + " "
            + _("Nothing was saved."),
        )
        return _render_hospital_case(request, case, confirm=(form, *file_forms))
    except CaseConflict as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("portal:hospital_case", pk=case.pk)
    except CaseActionError as exc:
        show_refusal(request, case, label, exc, form)
        messages.info(request, _("Nothing was saved; the files you chose must be chosen again."))
        return _render_hospital_case(request, case, confirm=(form, *file_forms))
    for document in stored:
        messages.success(
            request,
            _("Saved %(name)s as version %(version)s; it waits for review.")
            % {"name": _(document.document_type.name), "version": document.version},
        )
    messages.success(
        request,
        _("%(action)s: %(reference)s is now '%(state)s'.")
        % {"action": label, "reference": case.reference, "state": case.get_state_display()},
    )
    return redirect("portal:hospital_case", pk=case.pk)
