"""Facilitators review documents and read the download log here, and the case page gets its
document parts (checklist, versions, upload, packets) from here."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case as DbCase
from django.db.models import F, Q, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from cases import access
from cases.admin import CaseModelAdmin, FacilitatorOnlyMixin, shown_by_name
from cases.models import Case

from .forms import UploadForm
from .models import ClinicalAccessGrant, Document, DocumentAccess, DocumentType, ReviewStatus
from .packets import views as packet_views
from .selectors import checklist, documents_for
from .services import (
    case_grant_clinical_access,
    case_revoke_clinical_access,
    document_review,
    document_upload,
    export_access_log,
)

# cases sits below documents and cannot import it, so the case admin is registered again here
# with the document parts added through CaseModelAdmin's hooks (actions, get_urls,
# case_panel_context, log_identifying_export). One subclass keeps them together and runs
# after cases.admin by construction (this module imports it).
admin.site.unregister(Case)


@admin.register(Case)
class CaseWithDocumentsAdmin(CaseModelAdmin):
    actions = [*CaseModelAdmin.actions, "build_application_packets", "build_customs_packets"]

    @admin.action(description="Build application packets")
    def build_application_packets(self, request: HttpRequest, queryset: QuerySet[Case]):
        return packet_views.build_application_packets(self, request, queryset)

    @admin.action(description="Build customs packets")
    def build_customs_packets(self, request: HttpRequest, queryset: QuerySet[Case]):
        return packet_views.build_customs_packets(self, request, queryset)

    def log_identifying_export(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        export_access_log(
            by=request.user,
            ip_address=request.META.get("REMOTE_ADDR"),
            references=list(queryset.values_list("reference", flat=True)),
        )

    def get_urls(self):
        upload = path(
            "<path:object_id>/upload/",
            self.admin_site.admin_view(self.upload_view),
            name="cases_case_upload",
        )
        return [upload, *super().get_urls()]

    def case_panel_context(self, request: HttpRequest, case: Case) -> dict:
        return {
            **super().case_panel_context(request, case),
            "checklist": checklist(case),
            "documents": documents_for(request.user, case),
            "upload_form": UploadForm(),
            "upload_url": reverse("admin:cases_case_upload", args=[case.pk]),
            "packets": packet_views.packet_panel(request.user, case),
        }

    def upload_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """A facilitator uploads a document (e.g. the permit or the AWB) from the case page."""
        case = get_object_or_404(self.get_queryset(request), pk=object_id)
        change_url = reverse("admin:cases_case_change", args=[case.pk]) + "#npp-documents"
        if request.method != "POST" or not self.has_change_permission(request, case):
            return HttpResponseRedirect(change_url)
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            errors = [f"{e}" for field_errors in form.errors.values() for e in field_errors]
            messages.error(request, "Upload refused: " + " ".join(errors))
            return HttpResponseRedirect(change_url)
        data, name = form.read_upload()
        try:
            document = document_upload(
                case=case,
                document_type=form.cleaned_data["document_type"],
                data=data,
                filename=name,
                by=request.user,
                **form.lab_values(),
            )
        except (ValidationError, PermissionDenied) as exc:
            reasons = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            messages.error(request, "Upload refused: " + " ".join(reasons))
        else:
            messages.success(request, f"Uploaded {document} ({document.original_filename}).")
        return HttpResponseRedirect(change_url)


@admin.register(DocumentType)
class DocumentTypeAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "provider",
        "required_before",
        "validity_days",
        "is_lab",
        "shipment_side",
    ]
    list_editable = ["validity_days"]
    readonly_fields = ["code"]
    ordering = ["sort_order"]

    def has_add_permission(self, request) -> bool:
        return False  # the checklist's codes are referred to by code; seeded by migration


@admin.register(Document)
class DocumentAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "case_link",
        "review_status",
        "uploaded_by",
        "uploaded_at",
        "sample_taken_on",
        "download_link",
    ]
    list_select_related = ["case", "document_type", "uploaded_by"]
    list_filter = ["review_status", "document_type"]
    search_fields = ["case__reference", "original_filename", "sha256"]
    actions = ["accept_selected", "reject_selected"]
    fields = [
        "case",
        "document_type",
        "version",
        "download_link",
        "original_filename",
        "size",
        "content_type",
        "sha256",
        "page_count",
        "uploaded_by_name",
        "uploaded_at",
        "sample_taken_on",
        "alt",
        "ast",
        "total_bilirubin",
        "platelets",
        "troponin_i",
        "creatinine",
        "anti_aav9_titer",
        "review_status",
        "review_note",
        "reviewed_by_name",
        "reviewed_at",
    ]
    uploaded_by_name = shown_by_name("uploaded_by", "uploaded by")
    reviewed_by_name = shown_by_name("reviewed_by", "reviewed by")

    def get_readonly_fields(self, request, obj=None):
        # Only the review may change, and only through the review service (save_model).
        return [f for f in self.fields if f not in ("review_status", "review_note")]

    def has_add_permission(self, request) -> bool:
        return False  # uploads go through the case page, where the file is validated

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # versions are kept, never deleted through the UI

    @admin.display(description="case", ordering="case__reference")
    def case_link(self, obj: Document) -> str:
        url = reverse("admin:cases_case_change", args=[obj.case_id])
        return format_html('<a href="{}">{}</a>', url, obj.case.reference)

    @admin.display(description="file")
    def download_link(self, obj: Document) -> str:
        url = reverse("documents:download", args=[obj.pk])
        return format_html('<a href="{}">Download</a>', url)

    def save_model(self, request, obj: Document, form, change: bool) -> None:
        try:
            document_review(
                document=obj, by=request.user, status=obj.review_status, note=obj.review_note
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))

    def get_ordering(self, request):
        # The review queue first, oldest upload first; then everything else, newest first.
        pending = Q(review_status=ReviewStatus.PENDING)
        return [
            DbCase(When(pending, then=Value(0)), default=Value(1)).asc(),
            DbCase(When(pending, then=F("uploaded_at"))).asc(nulls_last=True),
            "-uploaded_at",
            "-pk",
        ]

    def _review_many(self, request, queryset, status: str, note: str = "") -> None:
        """Review each selected document through the service; the count is of those that the
        review actually changed (the selection is taken before the loop changes it)."""
        documents = list(queryset.select_related("case", "document_type"))
        done, refused = 0, []
        for document in documents:
            try:
                document_review(document=document, by=request.user, status=status, note=note)
                done += 1
            except ValidationError as exc:
                refused.append(f"{document} ({document.case.reference}): {' '.join(exc.messages)}")
        verb = "Accepted" if status == ReviewStatus.ACCEPTED else "Rejected"
        messages.success(request, f"{verb} {done} document(s).")
        for problem in refused:
            messages.error(request, problem)

    @admin.action(description="Accept selected documents")
    def accept_selected(self, request, queryset) -> None:
        self._review_many(request, queryset, ReviewStatus.ACCEPTED)

    @admin.action(description="Reject selected documents (note: 'Rejected in bulk review')")
    def reject_selected(self, request, queryset) -> None:
        self._review_many(
            request,
            queryset,
            ReviewStatus.REJECTED,
            note="Rejected in bulk review; see the facilitator for details.",
        )


@admin.register(DocumentAccess)
class DocumentAccessAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    list_display = [
        "accessed_at",
        "username",
        "action",
        "document_label",
        "case_reference",
        "ip_address",
    ]
    list_filter = ["action"]
    search_fields = ["username", "case_reference"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ClinicalAccessGrant)
class ClinicalAccessGrantAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    """Grants and revocations go through their services (facilitators only, each recorded in
    the access log); deleting a grant here revokes it."""

    list_display = ["case", "granted_by", "granted_at", "reason"]
    exclude = ["granted_by"]
    readonly_fields = ["granted_by_name", "granted_at"]
    granted_by_name = shown_by_name("granted_by", "granted by")

    def get_readonly_fields(self, request, obj=None):
        # A grant belongs to its case: to move it, revoke it and grant on the other case.
        return [*self.readonly_fields, "case"] if obj else self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return access.may_grant_clinical_access(request.user, obj.case if obj else None)

    def save_model(self, request, obj, form, change) -> None:
        grant = case_grant_clinical_access(case=obj.case, by=request.user, reason=obj.reason)
        # The admin goes on with ``obj`` (its log entry, its redirect).
        obj.pk, obj.granted_by, obj.granted_at = grant.pk, grant.granted_by, grant.granted_at
        obj._state.adding = False

    def delete_model(self, request, obj) -> None:
        case_revoke_clinical_access(case=obj.case, by=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for grant in queryset.select_related("case"):
            case_revoke_clinical_access(case=grant.case, by=request.user)
