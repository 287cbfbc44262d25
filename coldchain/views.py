"""The logger upload: a hospital admin (at receipt, from the hospital portal) or a facilitator
(from the case page) posts the logger's CSV export; the answer is a redirect back with what
the file said, or the reason it was refused (nothing stored)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases import access
from cases.selectors import case_for
from cases.services import CaseActionError

from .forms import LoggerUploadForm
from .services import logger_upload


def _back(request: HttpRequest, pk: int) -> str:
    if access.may_use_desk(request.user):
        return reverse("admin:cases_case_change", args=[pk]) + "#npp-cold-chain"
    return reverse("portal:hospital_case", args=[pk]) + "#cold-chain"


@require_POST
@login_required
def logger_upload_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = case_for(request.user, pk)  # 404 outside the user's scope
    if not access.may_upload_logger_data(request.user, case):
        return HttpResponse(_("You may not upload a logger file on this case."), status=403)
    form = LoggerUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = [str(e) for errors in form.errors.values() for e in errors]
        messages.error(request, _("Logger file refused: %s") % " ".join(errors))
        return redirect(_back(request, case.pk))
    data, name = form.read()
    try:
        record = logger_upload(case=case, by=request.user, data=data, filename=name)
    except (ValidationError, CaseActionError) as exc:
        messages.error(
            request,
            _("Logger file refused: %(reasons)s Nothing was stored.")
            % {"reasons": " ".join(exc.messages)},
        )
        return redirect(_back(request, case.pk))
    if record.has_excursion:
        messages.warning(
            request,
            _(
                "The logger file shows %(count)s temperature excursion(s) above %(limit)s °C: "
                "%(reference)s is on hold until the manufacturer decides whether the kit may be "
                "used. Keep the kit in the refrigerator; do not use it."
            )
            % {
                "count": record.excursion_count,
                "limit": f"{record.limit_celsius.normalize():f}",
                "reference": case.reference,
            },
        )
    else:
        messages.success(
            request,
            _(
                "Logger file read: %(count)s readings, between %(min)s and %(max)s °C, never "
                "above %(limit)s °C. The temperature on arrival is recorded as OK."
            )
            % {
                "count": record.reading_count,
                "min": record.min_celsius,
                "max": record.max_celsius,
                "limit": f"{record.limit_celsius.normalize():f}",
            },
        )
    return redirect(_back(request, case.pk))
