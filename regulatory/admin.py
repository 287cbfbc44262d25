"""The facilitators' pages for the regulatory and customs file: one page per case (applicant,
importer and consignee, SUGAM with CDSCO's queries, the rare-disease certificate, the shipment,
the Bill of Entry), the list of CDSCO queries with the open ones first, the reference data
(exemption notifications, port offices, tariff headings), the yearly Form 12B utilisation
report and the SUGAM-ready uploads. Every write goes through ``regulatory.services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from cases import access
from cases.admin import AccessInlineMixin, FacilitatorOnlyMixin, shown_by_name
from cases.selectors import case_for
from documents.models import Document

from . import views
from .models import (
    CdscoQuery,
    ExemptionNotification,
    PortOfficeDetail,
    RegulatoryFile,
    TariffHeading,
)
from .services import (
    FILE_FIELDS,
    QUERY_FIELDS,
    cdsco_query_record,
    cdsco_query_update,
    query_problems,
    regulatory_file_update,
)

# --- Reference data -----------------------------------------------------------------------


class ReferenceAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    """Reference rows: facilitators edit them; a row is never deleted (deactivate it)."""

    list_filter = ["confirmed"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ExemptionNotification)
class ExemptionNotificationAdmin(ReferenceAdmin):
    list_display = ["code", "levy", "citation", "active", "confirmed"]
    list_filter = ["levy", "active", "confirmed"]


@admin.register(PortOfficeDetail)
class PortOfficeDetailAdmin(ReferenceAdmin):
    list_display = ["name", "kind", "arrival_point", "rule_43a_listed", "confirmed"]


@admin.register(TariffHeading)
class TariffHeadingAdmin(ReferenceAdmin):
    list_display = ["heading", "description", "confirmed"]


# --- The file of a case ---------------------------------------------------------------------


class CdscoQueryForm(forms.ModelForm):
    class Meta:
        model = CdscoQuery
        fields = [*QUERY_FIELDS, "enclosures"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 3}),
            "answer": forms.Textarea(attrs={"rows": 3}),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, message in query_problems(
            raised_at=data.get("raised_at"),
            due_by=data.get("due_by"),
            answered_at=data.get("answered_at"),
            answer=data.get("answer") or "",
        ).items():
            if name not in self.errors:
                self.add_error(name, message)
        return data


class CdscoQueryInline(AccessInlineMixin, admin.StackedInline):
    """CDSCO's queries on the SUGAM application: an open one (no answer yet) is a deadline and
    stops the permit from being recorded (rule ``cdsco_query_open``)."""

    allowed = staticmethod(access.may_keep_regulatory_file)
    model = CdscoQuery
    form = CdscoQueryForm
    extra = 0
    fields = [*QUERY_FIELDS, "enclosures"]
    filter_horizontal = ["enclosures"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a query stays on record; a wrong one is corrected

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "enclosures":
            case_pk = getattr(request, "_npp_file_case", None)
            kwargs["queryset"] = (
                Document.objects.filter(case_id=case_pk).select_related("document_type")
                if case_pk
                else Document.objects.none()
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


FIELDSETS: list[tuple[str | None, dict[str, Any]]] = [
    (None, {"fields": ["case"]}),
    (
        "Applicant (Form 12A): the parent or guardian applying for the child",
        {
            "fields": [
                "applicant_address",
                ("applicant_city", "applicant_district"),
                ("applicant_state", "applicant_pin"),
                "applicant_occupation",
            ]
        },
    ),
    (
        "Importer of record and consignee",
        {"fields": ["importer_name", "importer_address", "consignee_name", "consignee_address"]},
    ),
    (
        "SUGAM (CDSCO)",
        {"fields": ["sugam_application_number", "sugam_submitted_at", "permit_received_at"]},
    ),
    (
        "Rare-disease certificate (for the duty exemption)",
        {
            "fields": [
                ("certificate_authority", "certificate_office"),
                ("certificate_number", "certificate_date"),
            ]
        },
    ),
    (
        "Shipment",
        {
            "fields": [
                "consignor_name",
                "consignor_address",
                ("country_of_origin", "country_of_export"),
                ("invoice_number", "invoice_date"),
                ("invoice_value", "invoice_currency"),
                "tariff_heading",
                ("batch_number", "batch_expiry"),
                ("quantity_kits", "quantity_vials"),
                ("gross_weight_kg", "net_weight_kg", "dry_ice_kg"),
            ]
        },
    ),
    (
        "Bill of Entry",
        {
            "fields": [
                ("bill_of_entry_number", "bill_of_entry_date"),
                ("broker_name", "broker_licence"),
                ("duty_assessed_inr", "out_of_charge_at"),
            ]
        },
    ),
]


class OpenQueryFilter(admin.SimpleListFilter):
    title = "CDSCO query"
    parameter_name = "query"

    def lookups(self, request, model_admin):
        return [("open", "Open query"), ("none", "No open query")]

    def queryset(self, request, queryset):
        open_query = Q(cdsco_queries__answered_at__isnull=True, cdsco_queries__isnull=False)
        if self.value() == "open":
            return queryset.filter(open_query).distinct()
        if self.value() == "none":
            return queryset.exclude(open_query)
        return queryset


@admin.register(RegulatoryFile)
class RegulatoryFileAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    fieldsets = FIELDSETS  # type: ignore[assignment]
    inlines = [CdscoQueryInline]
    raw_id_fields = ["case"]
    list_display = [
        "case",
        "case_state",
        "sugam_application_number",
        "permit_received_at",
        "certificate_number",
        "bill_of_entry_number",
        "out_of_charge_at",
    ]
    list_select_related = ["case"]
    list_filter = [OpenQueryFilter]
    search_fields = ["case__reference", "sugam_application_number", "bill_of_entry_number"]
    change_form_template = "admin/regulatory/regulatoryfile/change_form.html"

    @admin.display(description="case state", ordering="case__state")
    def case_state(self, obj: RegulatoryFile) -> str:
        return obj.case.get_state_display()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["case"] if obj is not None else []

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs):
        request._npp_file_case = obj.case_id if obj is not None else None  # type: ignore[attr-defined]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        if request.GET.get("case"):
            try:
                case = case_for(request.user, request.GET["case"])
            except Http404:  # not a case of theirs (or not a number): a blank form
                return initial
            initial.update(views.initial_file_values(case))
        return initial

    def save_model(self, request: HttpRequest, obj: RegulatoryFile, form, change: bool) -> None:
        names = [n for n in FILE_FIELDS if n in form.cleaned_data]
        if change:
            names = [n for n in names if n in form.changed_data]
        saved = regulatory_file_update(
            case=obj.case, by=request.user, **{n: form.cleaned_data[n] for n in names}
        )
        obj.pk, obj._state.adding = saved.pk, False

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        """CDSCO's queries through the services (never the admin's own save)."""
        for formset in formsets:
            formset.save(commit=False)  # fills new_objects etc. for the change message
            for query_form in formset.forms:
                if not query_form.has_changed() or not query_form.cleaned_data:
                    continue
                values = {n: query_form.cleaned_data.get(n) for n in QUERY_FIELDS}
                values["answer"] = values["answer"] or ""
                enclosures = query_form.cleaned_data.get("enclosures")
                if query_form.instance.pk:
                    cdsco_query_update(
                        query=query_form.instance, by=request.user, enclosures=enclosures, **values
                    )
                else:
                    query_form.instance = cdsco_query_record(
                        case=form.instance.case, by=request.user, enclosures=enclosures, **values
                    )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("for-case/<int:case_pk>/", wrap(self.for_case), name="regulatory_file_for_case"),
            path("utilisation/", wrap(views.utilisation_report), name="regulatory_utilisation"),
            path("sugam/<int:case_pk>/", wrap(views.sugam_uploads), name="regulatory_sugam"),
            path(
                "sugam/document/<int:document_pk>/",
                wrap(views.sugam_download),
                name="regulatory_sugam_download",
            ),
            *super().get_urls(),
        ]

    def for_case(self, request: HttpRequest, case_pk: int) -> HttpResponse:
        """The case page's link: the case's file, or a new one for it."""
        if not access.may_keep_regulatory_file(request.user):
            raise PermissionDenied
        case = get_object_or_404(access.cases_visible_to(request.user), pk=case_pk)
        found = RegulatoryFile.objects.filter(case=case).first()
        if found is not None:
            return HttpResponseRedirect(
                reverse("admin:regulatory_regulatoryfile_change", args=[found.pk])
            )
        return HttpResponseRedirect(
            reverse("admin:regulatory_regulatoryfile_add") + f"?case={case.pk}"
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        case = obj.case if obj is not None else None
        if case is not None:
            context["npp_case"] = case
            context["npp_missing"] = views.missing_by_packet(case)
        return super().render_change_form(request, context, add, change, form_url, obj)


@admin.register(CdscoQuery)
class CdscoQueryAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    """Every CDSCO query, the open ones first by the day they are due; edited on the file."""

    list_display = ["file_link", "raised_at", "due_by", "status", "answered_at"]
    list_select_related = ["file__case"]
    fields = ["file", *QUERY_FIELDS, "enclosures", "recorded_by_name"]
    readonly_fields = ["recorded_by_name"]
    recorded_by_name = shown_by_name("recorded_by", "recorded by")
    search_fields = ["file__case__reference", "text"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CdscoQuery]:
        return (
            super()
            .get_queryset(request)
            .order_by(F("answered_at").desc(nulls_first=True), "due_by")
        )

    @admin.display(description="case")
    def file_link(self, obj: CdscoQuery) -> str:
        url = reverse("admin:regulatory_regulatoryfile_change", args=[obj.file_id])
        return format_html('<a href="{}">{}</a>', url, obj.file.case.reference)

    @admin.display(description="status")
    def status(self, obj: CdscoQuery) -> str:
        return "open" if obj.is_open else "answered"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
