"""Read-only records: safety follow-ups, the reminder outbox and the audit trail."""

from __future__ import annotations

from django.contrib import admin

from .. import services
from ..models import (
    Notification,
    SafetyFollowUp,
)
from .base import FacilitatorOnlyMixin, shown_by_name


@admin.register(SafetyFollowUp)
class SafetyFollowUpAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    """Protocol deviations recorded with an infusion (DOMAIN.md §1.10): open ones first."""

    list_display = ["case", "codes", "raised_at", "raised_by", "resolved_at"]
    list_filter = [("resolved_at", admin.EmptyFieldListFilter), "codes"]
    search_fields = ["case__reference"]
    ordering = ["-resolved_at", "-raised_at"]
    readonly_fields = [
        "case",
        "transition",
        "codes",
        "details",
        "note",
        "raised_by_name",
        "raised_at",
    ]
    raised_by_name = shown_by_name("raised_by", "raised by")
    fields = [*readonly_fields, "resolution", "resolved_at"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "resolved_at"]  # set by the service with the resolution

    def save_model(self, request, obj, form, change) -> None:
        services.safety_follow_up_resolve(
            follow_up=obj, by=request.user, resolution=form.cleaned_data["resolution"]
        )

    def has_add_permission(self, request) -> bool:
        return False  # raised by case_apply with the infusion it belongs to

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    """Read-only. ``uncertain`` rows need a person: the email may or may not have reached the
    mail server, and nothing sends it again; search its Message-ID in the mail server's log."""

    list_display = [
        "due_at",
        "kind",
        "case",
        "recipient",
        "recipient_email",
        "channel",
        "status",
        "sent_at",
        "attempts",
        "last_error",
    ]
    list_filter = ["status", "channel", "kind", ("sent_at", admin.EmptyFieldListFilter)]
    list_select_related = ["case", "recipient"]
    search_fields = ["case__reference", "recipient__username", "subject"]
    exclude = ["recipient"]
    readonly_fields = [
        f.name if f.name != "recipient" else "recipient_name" for f in Notification._meta.fields
    ] + ["message_id"]
    recipient_name = shown_by_name("recipient", "recipient")

    @admin.display(description="Message-ID")
    def message_id(self, obj: Notification) -> str:
        return obj.message_id if obj.channel == "email" else "-"

    def get_search_results(self, request, queryset, search_term):
        """A Message-ID pasted from a mail log finds its notification."""
        _, marker, rest = search_term.partition("npp-notification-")
        pk = rest.split("-", 1)[0]
        if marker and pk.isdigit():
            return queryset.filter(pk=int(pk)), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# The audit trail (django-auditlog): facilitators read it; nobody edits or deletes it here.
from auditlog.admin import LogEntryAdmin as _AuditLogEntryAdmin  # noqa: E402
from auditlog.models import LogEntry  # noqa: E402

admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class AuditTrailAdmin(FacilitatorOnlyMixin, _AuditLogEntryAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
