"""Facilitators review documents and read the download log here."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from cases.admin import FacilitatorOnlyMixin

from .models import ClinicalAccessGrant, Document, DocumentAccess, DocumentType, ReviewStatus
from .services import document_review


@admin.register(DocumentType)
class DocumentTypeAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "code", "provider", "required_before", "validity_days", "is_lab",
                    "shipment_side"]
    list_editable = ["validity_days"]
    readonly_fields = ["code"]
    ordering = ["sort_order"]

    def has_add_permission(self, request) -> bool:
        return False  # the checklist's codes are referred to by code; seeded by migration


@admin.register(Document)
class DocumentAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "case_link", "review_status", "uploaded_by", "uploaded_at",
                    "sample_taken_on", "download_link"]
    list_select_related = ["case", "document_type", "uploaded_by"]
    list_filter = ["review_status", "document_type"]
    search_fields = ["case__reference", "original_filename", "sha256"]
    actions = ["accept_selected", "reject_selected"]
    fields = [
        "case", "document_type", "version", "download_link", "original_filename", "size",
        "content_type", "sha256", "page_count", "uploaded_by", "uploaded_at",
        "sample_taken_on", "alt", "ast", "total_bilirubin", "platelets", "troponin_i",
        "creatinine", "anti_aav9_titer",
        "review_status", "review_note", "reviewed_by", "reviewed_at",
    ]

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
            document_review(document=obj, by=request.user, status=obj.review_status,
                            note=obj.review_note)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))

    @admin.action(description="Accept selected documents")
    def accept_selected(self, request, queryset) -> None:
        for document in queryset.select_related("case"):
            document_review(document=document, by=request.user, status=ReviewStatus.ACCEPTED)
        messages.success(request, f"Accepted {queryset.count()} document(s).")

    @admin.action(description="Reject selected documents (note: 'Rejected in bulk review')")
    def reject_selected(self, request, queryset) -> None:
        for document in queryset.select_related("case"):
            document_review(document=document, by=request.user, status=ReviewStatus.REJECTED,
                            note="Rejected in bulk review; see the facilitator for details.")
        messages.success(request, f"Rejected {queryset.count()} document(s).")


@admin.register(DocumentAccess)
class DocumentAccessAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    list_display = ["accessed_at", "username", "action", "document_label", "case_reference",
                    "ip_address"]
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
    list_display = ["case", "granted_by", "granted_at", "reason"]
    readonly_fields = ["granted_by", "granted_at"]

    def save_model(self, request, obj, form, change) -> None:
        obj.granted_by = request.user
        super().save_model(request, obj, form, change)
