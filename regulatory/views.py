"""The admin views of the regulatory file (mounted by ``RegulatoryFileAdmin.get_urls``, so the
admin's login, second factor and CSRF apply): the yearly utilisation report (PDF and CSV),
the SUGAM uploads of a case, and one SUGAM-ready download. Facilitators only
(``cases.access.may_keep_regulatory_file``); a case out of scope is a 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from cases import access
from cases.clock import today_ist
from cases.models import Case
from cases.selectors import case_for
from documents import rendering
from documents.models import Document, ReviewStatus
from documents.packets import letterhead
from documents.selectors import document_for
from documents.services import document_access_log

from . import reports
from .compression import compress_document, limit_bytes
from .packet_facts import missing_facts

# What SUGAM asks for as separate PDFs (DOMAIN.md §2.1 attachments, §9 uploads), in order.
# What the compression can make a SUGAM-ready PDF of.
SUGAM_CONTENT_TYPES = ("application/pdf", "image/jpeg", "image/png")
SUGAM_ENCLOSURES = (
    "prescription",
    "patient_id",
    "commercial_invoice",
    "medical_report",
    "genetic_report",
    "justification_letter",
)


def _facilitator(request: HttpRequest) -> None:
    if not access.may_keep_regulatory_file(request.user):
        raise PermissionDenied


def initial_file_values(case: Case) -> dict[str, Any]:
    """A new file's suggestions: the guardian as importer of record, the hospital as consignee,
    the product's maker as consignor."""
    patient, hospital = case.patient, case.hospital
    return {
        "case": case.pk,
        "applicant_city": patient.city,
        "applicant_state": patient.state,
        "importer_name": f"{patient.guardian_name} ({patient.guardian_relationship.lower()} of "
        f"{patient.full_name}), for the patient's personal use",
        "consignee_name": f"{patient.guardian_name}, care of {hospital.name}",
        "consignee_address": f"{hospital.address}, {hospital.city}, {hospital.state}",
        "consignor_name": case.product.manufacturer,
        "quantity_kits": 1,
    }


def missing_by_packet(case: Case) -> dict[str, list[str]]:
    return {
        "Application packet (Form 12A)": missing_facts(case, "application"),
        "Customs packet": missing_facts(case, "customs"),
    }


# --- The yearly utilisation report -------------------------------------------------------


class UtilisationForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2018, max_value=2100)
    holder = forms.ChoiceField(label=_("Permit holder"), required=False)
    file_format = forms.ChoiceField(
        label=_("Format"), choices=[("pdf", "PDF"), ("csv", "CSV")], initial="pdf"
    )

    def __init__(self, *args: Any, holders: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        holder = self.fields["holder"]
        assert isinstance(holder, forms.ChoiceField)
        holder.choices = [("", _("Every permit holder")), *holders]


def utilisation_report(request: HttpRequest) -> HttpResponse:
    """Choose a year (and a permit holder); get the report as PDF or CSV."""
    _facilitator(request)
    this_year = today_ist().year
    year_text = request.GET.get("year") or str(this_year)
    year = int(year_text) if year_text.isdigit() else this_year
    if not 2018 <= year <= 2100:  # the form's own bounds; the form then says so
        year = this_year
    holders = [(h.key, f"{h.name}, {h.address}".strip(", ")) for h in reports.utilisation(year)]
    form = UtilisationForm(
        request.GET if "file_format" in request.GET else None,
        holders=holders,
        initial={"year": year, "file_format": "pdf"},
    )
    if form.is_bound and form.is_valid():
        year = form.cleaned_data["year"]
        found = reports.utilisation(year, form.cleaned_data["holder"])
        name = f"form-12b-utilisation-{year}"
        if form.cleaned_data["holder"] and found:
            name += f"-{slugify(found[0].name)}"
        if form.cleaned_data["file_format"] == "csv":
            response = HttpResponse(reports.as_csv(found), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(_utilisation_pdf(found, year), content_type="application/pdf")
        ext = form.cleaned_data["file_format"]
        response["Content-Disposition"] = f'attachment; filename="{name}.{ext}"'
        response["Cache-Control"] = "private, no-store"
        return response
    context = {
        **admin.site.each_context(request),
        "title": _("Form 12B utilisation report"),
        "form": form,
        "holders": reports.utilisation(year),
        "year": year,
    }
    return TemplateResponse(request, "admin/regulatory/utilisation.html", context)


def _utilisation_pdf(holders: list[reports.Holder], year: int) -> bytes:
    now = timezone.now()
    context = {
        "title": f"Form 12B utilisation report {year}",
        "year": year,
        "holders": holders,
        "letterhead": letterhead(),
        "generated_at": now,
        "period": (dt.date(year, 1, 1), dt.date(year, 12, 31)),
    }
    footer = rendering.Footer(
        left=f"Form 12B utilisation {year}",
        right=f"Generated {timezone.localtime(now):%d %b %Y, %H:%M %Z}",
    )
    return rendering.render_pdf("regulatory/utilisation.html", context, footer=footer).data


# --- SUGAM uploads ---------------------------------------------------------------------------


def _newest_accepted(case: Case, code: str) -> Document | None:
    return (
        case.documents.filter(document_type__code=code, review_status=ReviewStatus.ACCEPTED)
        .select_related("document_type")
        .order_by("-version")
        .first()
    )


def sugam_uploads(request: HttpRequest, case_pk: int) -> HttpResponse:
    """Each enclosure SUGAM wants, newest accepted version, with a compressed download."""
    _facilitator(request)
    case = case_for(request.user, case_pk)
    rows = []
    for code in SUGAM_ENCLOSURES:
        document = _newest_accepted(case, code)
        rows.append(
            {
                "code": code,
                "document": document,
                "over": document is not None and document.size > limit_bytes(),
                "url": reverse("admin:regulatory_sugam_download", args=[document.pk])
                if document
                else "",
            }
        )
    context = {
        **admin.site.each_context(request),
        "title": _("SUGAM uploads for %(reference)s") % {"reference": case.reference},
        "case": case,
        "rows": rows,
        "limit_mb": f"{limit_bytes() / 1_000_000:.1f}",
    }
    return TemplateResponse(request, "admin/regulatory/sugam.html", context)


def sugam_download(request: HttpRequest, document_pk: int) -> HttpResponse:
    """The document as a PDF under SUGAM's size limit. When it cannot be made small enough,
    the facilitator is sent back with a warning naming the size reached; ``?anyway=1``
    downloads that smallest version all the same."""
    _facilitator(request)
    document = document_for(request.user, document_pk)
    back = reverse("admin:regulatory_sugam", args=[document.case_id])
    if document.content_type not in SUGAM_CONTENT_TYPES:  # a logger's CSV, say
        messages.error(
            request,
            _("%(document)s is not a PDF or an image: SUGAM takes it as it is.")
            % {"document": document},
        )
        return HttpResponseRedirect(back)
    with document.file.open("rb") as handle:
        data = handle.read()
    result = compress_document(data, document.content_type)
    if not result.fits and request.GET.get("anyway") != "1":
        messages.warning(
            request,
            _(
                "%(document)s could not be brought under %(limit).1f MB: the smallest version "
                "is %(size).1f MB (%(step)s). Ask for a lighter scan, or download it anyway."
            )
            % {
                "document": document,
                "limit": result.limit / 1_000_000,
                "size": result.size / 1_000_000,
                "step": result.step,
            },
        )
        return HttpResponseRedirect(back + f"?over={document.pk}")
    document_access_log(
        document=document,
        by=request.user,
        ip_address=request.META.get("REMOTE_ADDR"),
        action="sugam_download",
    )
    response = HttpResponse(result.data, content_type="application/pdf")
    name = f"{document.case.reference}-{document.document_type.code}-v{document.version}-sugam.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["X-NPP-Compression"] = result.step
    return response
