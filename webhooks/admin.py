"""Facilitators configure endpoints and sources, read the delivery log, replay a delivery,
and see a case's inbound events on its page. Every write goes through ``webhooks.services``."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.urls import reverse

import documents.admin  # noqa: F401 - registers the case admin this module extends
from cases.admin import FacilitatorOnlyMixin
from cases.models import Case

from .models import (
    EventType,
    InboundEvent,
    InboundSource,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from .services import inbound_source_save, webhook_delivery_replay, webhook_endpoint_save


def _save_through(request: HttpRequest, save, **kwargs) -> None:
    try:
        save(by=request.user, **kwargs)
    except (PermissionDenied, ValidationError) as exc:
        reasons = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        messages.error(request, " ".join(reasons))


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- Outbound --------------------------------------------------------------------------------


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=EventType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Events subscribed",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "events", "active"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["name", "url", "active", "consecutive_failures", "disabled_at"]
    list_filter = ["active"]
    readonly_fields = [
        "secret",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
        "created_at",
    ]
    fieldsets = [
        (None, {"fields": ["name", "url", "events", "active"]}),
        (
            "Signing",
            {
                "fields": ["secret"],
                "description": "Give this secret to the receiver: it verifies the webhook-signature header with "
                "any Standard Webhooks library. The webhook-id header is the same on every retry "
                "and replay of an event; the receiver ignores one it has already processed.",
            },
        ),
        (
            "Failures",
            {"fields": ["consecutive_failures", "disabled_at", "disabled_reason", "created_at"]},
        ),
    ]

    def save_model(self, request, obj: WebhookEndpoint, form, change: bool) -> None:
        _save_through(request, webhook_endpoint_save, endpoint=obj)


class WebhookAttemptInline(ReadOnlyMixin, FacilitatorOnlyMixin, admin.TabularInline):
    model = WebhookAttempt
    fields = [
        "number",
        "started_at",
        "duration_ms",
        "response_code",
        "outcome",
        "error",
        "response_body",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    """The delivery log: each delivery with its last answer, and every attempt below it."""

    list_display = [
        "created_at",
        "event_type",
        "case_reference",
        "endpoint",
        "status",
        "attempts",
        "last_response_code",
        "sent_at",
        "webhook_id",
    ]
    list_filter = ["status", "event_type", "endpoint"]
    list_select_related = ["endpoint"]
    search_fields = ["case_reference", "webhook_id"]
    readonly_fields = [
        "endpoint",
        "event_type",
        "webhook_id",
        "event_id",
        "case_reference",
        "payload",
        "created_at",
        "status",
        "attempts",
        "claimed_at",
        "next_attempt_at",
        "sent_at",
        "last_response_code",
        "last_response_body",
        "last_error",
    ]
    fields = readonly_fields
    inlines = [WebhookAttemptInline]
    actions = ["replay"]

    def has_add_permission(self, request) -> bool:
        return False  # raised by events, never typed in

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Replay: send again with the same webhook-id")
    def replay(self, request: HttpRequest, queryset) -> None:
        try:
            queued = sum(webhook_delivery_replay(delivery=d, by=request.user) for d in queryset)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return
        skipped = queryset.count() - queued
        messages.success(
            request,
            f"Queued {queued} delivery(ies) again with their webhook-ids"
            + (f"; {skipped} being delivered right now were left alone." if skipped else "."),
        )


# --- Inbound ---------------------------------------------------------------------------------


@admin.register(InboundSource)
class InboundSourceAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "active"]
    list_filter = ["kind", "active"]
    fields = ["name", "slug", "kind", "active", "address", "secret"]
    readonly_fields = ["address", "secret"]

    @admin.display(description="Address to give the sender")
    def address(self, obj: InboundSource) -> str:
        if not obj.slug:
            return "-"
        return settings.NPP_SITE_URL.rstrip("/") + reverse("webhooks:inbound", args=[obj.slug])

    def save_model(self, request, obj: InboundSource, form, change: bool) -> None:
        _save_through(request, inbound_source_save, source=obj)


@admin.register(InboundEvent)
class InboundEventAdmin(ReadOnlyMixin, FacilitatorOnlyMixin, admin.ModelAdmin):
    list_display = [
        "occurred_at",
        "case",
        "event_type",
        "source",
        "shipment_status",
        "location",
        "eta",
        "celsius",
        "excursion",
        "outcome",
    ]
    list_filter = ["event_type", "excursion", "source"]
    list_select_related = ["case", "source"]
    search_fields = ["case__reference", "webhook_id"]


# --- The case page -----------------------------------------------------------------------------

# cases and documents sit below this app, so the case admin registered last (by documents) is
# extended here through its case_panel_context hook; the page template extends the previous
# one, whichever that is.
_CaseAdmin = type(admin.site.get_model_admin(Case))
admin.site.unregister(Case)


@admin.register(Case)
class CaseWithInboundEventsAdmin(_CaseAdmin):
    change_form_template = "admin/webhooks/case_change_form.html"

    def case_panel_context(self, request: HttpRequest, case: Case) -> dict:
        return {
            **super().case_panel_context(request, case),
            "inbound_events": case.inbound_events.select_related("source")[:100],
        }

    def render_change_form(self, request, context, *args, **kwargs):
        # The add page uses this template too: it extends the previous one either way.
        context["webhooks_base_template"] = (
            _CaseAdmin.change_form_template or "admin/change_form.html"
        )
        return super().render_change_form(request, context, *args, **kwargs)
