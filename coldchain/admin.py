"""Facilitators read the logger records and record the manufacturer's decision on an
excursion here (through ``coldchain.services.excursion_decide``); the case page gets the
cold-chain panel with its curve and upload form."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from cases.admin import FacilitatorOnlyMixin, shown_by_name
from cases.models import Case

from .models import Decision, LoggerRecord
from .services import excursion_decide


class DecisionForm(forms.ModelForm):
    class Meta:
        model = LoggerRecord
        fields = ["decision", "decision_note"]

    def clean(self):
        """What ``excursion_decide`` checks, as form errors (the service refuses the same)."""
        cleaned = super().clean()
        if not self.instance.has_excursion:
            raise ValidationError(
                "This logger file shows no excursion; there is nothing to decide."
            )
        if cleaned.get("decision") not in (Decision.USE, Decision.DO_NOT_USE):
            self.add_error("decision", "Choose the manufacturer's decision.")
        if not (cleaned.get("decision_note") or "").strip():
            self.add_error("decision_note", "Write what the manufacturer said, and who said it.")
        return cleaned


@admin.register(LoggerRecord)
class LoggerRecordAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    form = DecisionForm
    list_display = [
        "case",
        "uploaded_at",
        "reading_count",
        "min_celsius",
        "max_celsius",
        "excursion_count",
        "decision",
    ]
    list_filter = ["decision"]
    search_fields = ["case__reference", "logger_serial"]
    fields = [
        "case",
        "document",
        "layout",
        "logger_serial",
        "started_at",
        "ended_at",
        "reading_count",
        "min_celsius",
        "max_celsius",
        "limit_celsius",
        "seconds_above_limit",
        "excursion_count",
        "excursions",
        "uploaded_by_name",
        "uploaded_at",
        "decision",
        "decision_note",
        "decided_by_name",
        "decided_at",
    ]
    readonly_fields = [str(f) for f in fields if f not in ("decision", "decision_note")]
    uploaded_by_name = shown_by_name("uploaded_by", "uploaded by")
    decided_by_name = shown_by_name("decided_by", "decided by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # records come from a logger file uploaded on the case

    def save_model(self, request, obj: LoggerRecord, form, change: bool) -> None:
        excursion_decide(
            record=obj,
            by=request.user,
            decision=form.cleaned_data["decision"],
            note=form.cleaned_data["decision_note"],
        )


# --- The case page -----------------------------------------------------------------------------

_CaseAdmin = type(admin.site.get_model_admin(Case))
admin.site.unregister(Case)


@admin.register(Case)
class CaseWithColdChainAdmin(_CaseAdmin):  # type: ignore[valid-type,misc]
    change_form_template = "admin/coldchain/case_change_form.html"

    def render_change_form(self, request, context, *args, **kwargs):
        context["coldchain_base_template"] = (
            _CaseAdmin.change_form_template or "admin/change_form.html"
        )
        return super().render_change_form(request, context, *args, **kwargs)
