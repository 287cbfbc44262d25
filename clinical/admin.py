"""Facilitators enter lab values, read the signals, adverse events and outcomes, and record
what was forwarded to the manufacturer here. Saves go through ``clinical.services``; nothing
is edited in place that the services keep history of (a corrected value is a new value)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html

from cases.admin import FacilitatorOnlyMixin, shown_by_name
from documents.models import DocumentAccess

from . import catalogue, charts, selectors, services
from .models import (
    AdverseEvent,
    AdverseEventForward,
    LabValue,
    Outcome,
    SafetySignal,
    SteroidCourse,
)


class ServiceRefusalsMixin:
    """The clinical services check what a form cannot (the case's infusion, dates against
    it): their refusal is shown as a message on the same page, and the admin's transaction
    rolls back, so nothing is saved."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return HttpResponseRedirect(request.get_full_path())


class LoggedReadsMixin:
    """Every admin read of these records goes to the access log, as the portal's do."""

    def changelist_view(self, request, extra_context=None):
        DocumentAccess.objects.create(
            document_id=None,
            case_reference="(list)",
            document_label=f"Admin list: {self.model._meta.verbose_name_plural}"[:220],
            user_id=request.user.pk,
            username=request.user.username,
            ip_address=request.META.get("REMOTE_ADDR"),
            action="clinical_read",
        )
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None:
            selectors.log_read(request.user, obj.case, f"Admin: {obj._meta.verbose_name} {obj.pk}")
        return super().change_view(request, object_id, form_url, extra_context)


class LabValueAdminForm(forms.ModelForm):
    test = forms.ChoiceField(
        choices=[(c, t.name) for c, t in catalogue.TESTS.items()]
        + [(catalogue.OTHER, "Other (name it)")]
    )

    class Meta:
        model = LabValue
        fields = [
            "case",
            "slot",
            "test",
            "test_name",
            "value",
            "unit",
            "uln",
            "reference_range",
            "sampled_on",
            "lab",
            "source_document",
        ]
        help_texts = {"slot": "week_1 ... week_12, or blank for a value outside the schedule."}


@admin.register(LabValue)
class LabValueAdmin(ServiceRefusalsMixin, LoggedReadsMixin, FacilitatorOnlyMixin, admin.ModelAdmin):
    """A value is added through ``lab_values_record`` (units, ranges, dates checked; a value
    for a test already in the slot replaces it, with history). Values are not edited in place."""

    form = LabValueAdminForm
    list_display = [
        "case",
        "sampled_on",
        "test_label",
        "value",
        "unit",
        "uln",
        "slot",
        "current",
        "grid_link",
    ]
    list_filter = ["test", "slot"]
    search_fields = ["case__reference"]
    autocomplete_fields = []
    raw_id_fields = ["case", "source_document"]
    recorded_by_name = shown_by_name("recorded_by", "recorded by")

    @admin.display(boolean=True, description="current")
    def current(self, obj: LabValue) -> bool:
        return obj.replaced_at is None

    @admin.display(description="slots")
    def grid_link(self, obj: LabValue) -> str:
        return format_html(
            '<a href="{}">grid</a>', reverse("admin:clinical_case_grid", args=[obj.case_id])
        )

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        try:
            saved = services.lab_values_record(
                case=data["case"],
                by=request.user,
                slot=data.get("slot") or "",
                sampled_on=data["sampled_on"],
                lab=data.get("lab") or "",
                source_document=data.get("source_document"),
                values=[
                    {
                        "test": data["test"],
                        "name": data.get("test_name"),
                        "value": data["value"],
                        "unit": data["unit"],
                        "uln": data.get("uln"),
                        "reference_range": data.get("reference_range"),
                    }
                ],
            )
        except (ValidationError, PermissionDenied) as exc:
            raise ValidationError(getattr(exc, "messages", [str(exc)]))
        row = saved.values[0]
        obj.pk = row.pk
        obj._state.adding = False
        for signal in saved.signals:
            messages.error(request, f"Safety signal opened: {signal.message}")

    def get_urls(self):
        return [
            path(
                "case/<int:case_id>/grid/",
                self.admin_site.admin_view(self.grid_view),
                name="clinical_case_grid",
            ),
            *super().get_urls(),
        ]

    def grid_view(self, request: HttpRequest, case_id: int) -> HttpResponse:
        case = selectors.clinical_case_for(request.user, case_id)
        data = selectors.monitoring(request.user, case)
        flagged = {(s.slot, s.lab_value.test) for s in data["signals"] if s.is_open and s.lab_value}
        return render(
            request,
            "admin/clinical/grid.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Monitoring slots of {case.reference}",
                "case": case,
                **data,
                "grid": charts.slot_grid(data["slots"], flagged) if data["slots"] else None,
            },
        )


@admin.register(SafetySignal)
class SafetySignalAdmin(LoggedReadsMixin, FacilitatorOnlyMixin, admin.ModelAdmin):
    """Read here; the treating doctor closes a signal with a decision in the portal."""

    list_display = ["case", "message", "opened_at", "is_open", "decided_at"]
    list_filter = [("decided_at", admin.EmptyFieldListFilter), "kind"]
    readonly_fields = [
        "case",
        "kind",
        "slot",
        "message",
        "lab_value",
        "opened_at",
        "decision",
        "decided_by_name",
        "decided_at",
    ]
    exclude = ["decided_by"]
    decided_by_name = shown_by_name("decided_by", "decided by")

    @admin.display(boolean=True, description="open")
    def is_open(self, obj: SafetySignal) -> bool:
        return obj.is_open

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SteroidCourse)
class SteroidCourseAdmin(LoggedReadsMixin, FacilitatorOnlyMixin, admin.ModelAdmin):
    list_display = [
        "case",
        "started_on",
        "dose_mg",
        "review_on",
        "decision",
        "taper_started_on",
        "taper_ended_on",
    ]
    readonly_fields = [
        f.name
        for f in SteroidCourse._meta.fields
        if f.name not in ("id", "decided_by", "recorded_by")
    ]
    exclude = ["decided_by", "recorded_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ForwardInline(admin.TabularInline):
    model = AdverseEventForward
    extra = 0
    can_delete = False
    fields = ["sent_at", "sent_to", "channel", "sha256"]
    readonly_fields = ["sent_at", "sent_to", "channel", "sha256"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        from cases import access

        return access.may_use_desk(request.user)


@admin.register(AdverseEvent)
class AdverseEventAdmin(
    ServiceRefusalsMixin, LoggedReadsMixin, FacilitatorOnlyMixin, admin.ModelAdmin
):
    """Reported in the portal or here; forwarded with the action, which keeps an immutable
    record of what was sent, to whom and when."""

    list_display = ["case", "onset_on", "serious", "forward_due_at", "forwarded", "links"]
    inlines = [ForwardInline]
    actions = ["record_forwarded"]
    exclude = ["reported_by", "forward_due_at", "forward_remind_at"]
    raw_id_fields = ["case"]

    @admin.display(boolean=True)
    def serious(self, obj: AdverseEvent) -> bool:
        return obj.serious

    @admin.display(boolean=True)
    def forwarded(self, obj: AdverseEvent) -> bool:
        return obj.forwards.exists()

    @admin.display(description="files")
    def links(self, obj: AdverseEvent) -> str:
        return format_html(
            '<a href="{}">PvPI PDF</a> · <a href="{}">CSV</a> · <a href="{}">JSON</a>',
            reverse("clinical:adverse_event_pdf", args=[obj.pk]),
            reverse("clinical:adverse_event_export", args=[obj.pk, "csv"]),
            reverse("clinical:adverse_event_export", args=[obj.pk, "json"]),
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        values = {
            k: v
            for k, v in form.cleaned_data.items()
            if k in services.AE_FIELDS and v not in (None, "")
        }
        event = services.adverse_event_report(
            case=form.cleaned_data["case"], by=request.user, **values
        )
        obj.pk, obj.forward_due_at = event.pk, event.forward_due_at
        obj.forward_remind_at = event.forward_remind_at
        obj._state.adding = False

    @admin.action(description="Record as forwarded to the manufacturer now")
    def record_forwarded(self, request, queryset) -> None:
        for event in queryset.select_related(
            "case__patient", "case__doctor__user", "case__hospital", "case__product"
        ):
            try:
                services.adverse_event_forward(event=event, by=request.user)
            except (ValidationError, PermissionDenied) as exc:
                for message in getattr(exc, "messages", [str(exc)]):
                    messages.error(request, f"{event.case}: {message}")
            else:
                messages.success(request, f"{event.case}: forwarding recorded.")


@admin.register(Outcome)
class OutcomeAdmin(ServiceRefusalsMixin, LoggedReadsMixin, FacilitatorOnlyMixin, admin.ModelAdmin):
    list_display = ["case", "month", *Outcome.ASSESSED]
    exclude = ["recorded_by"]
    raw_id_fields = ["case"]

    def get_readonly_fields(self, request, obj=None):
        # An outcome is the one of its case and month: moving it would write another month's.
        return ["case", "month"] if obj else []

    def save_model(self, request, obj, form, change) -> None:
        values = {
            k: form.cleaned_data[k] for k in services.OUTCOME_FIELDS if k in form.cleaned_data
        }
        saved = services.outcome_record(case=obj.case, by=request.user, month=obj.month, **values)
        obj.pk = saved.pk
        obj._state.adding = False
