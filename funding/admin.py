"""Facilitators record a case's funding here (the manufacturer's quotes, the sources and their
receipts), and the case page gets a funding panel with its chart. Every save goes through
``funding.services``."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.urls import reverse

from cases.admin import FacilitatorOnlyMixin, shown_by_name
from cases.admin.base import save_inline_through
from cases.models import Case

from . import services
from .charts import funding_chart
from .models import Quote, Receipt, Source
from .selectors import case_funding

QUOTE_FIELDS = list(services.QUOTE_FIELDS)
SOURCE_FIELDS = list(services.SOURCE_FIELDS)


class OpenCaseForm(forms.ModelForm):
    """A closed or cancelled case's funding is kept as it is (the services refuse it too):
    refused here as a form error rather than at save time."""

    def clean(self):
        cleaned = super().clean()
        case = cleaned.get("case") or getattr(self.instance, "case", None)
        if case is not None and case.state in services.ENDED:
            raise forms.ValidationError(
                f"{case.reference} is {case.get_state_display().lower()}: its funding is kept "
                "as it is and takes no new entries."
            )
        return cleaned


def _case_from_query(request: HttpRequest) -> dict:
    """``?case=<pk>`` from the case page's links pre-selects the case."""
    case = request.GET.get("case", "")
    return {"case": case} if case.isdigit() else {}


@admin.register(Quote)
class QuoteAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    form = OpenCaseForm
    list_display = ["case", "amount", "currency", "inr_per_unit", "valid_until", "recorded_at"]
    list_filter = ["currency"]
    search_fields = ["case__reference", "quote_reference"]
    autocomplete_fields = ["case"]
    fields = ["case", *QUOTE_FIELDS, "recorded_by_name", "recorded_at"]
    readonly_fields = ["recorded_by_name", "recorded_at"]
    recorded_by_name = shown_by_name("recorded_by", "recorded by")

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        return {**super().get_changeform_initial_data(request), **_case_from_query(request)}

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "case"] if obj else self.readonly_fields

    def save_model(self, request, obj: Quote, form, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in QUOTE_FIELDS}
        if change:
            services.quote_correct(quote=obj, by=request.user, **values)
        else:
            saved = services.quote_record(case=obj.case, by=request.user, **values)
            obj.pk = saved.pk


class ReceiptInline(admin.TabularInline):
    model = Receipt
    extra = 1
    fields = ["received_on", "amount", "fee", "inr_per_unit", "reference"]

    def has_view_permission(self, request, obj=None) -> bool:
        from cases import access

        return access.may_use_desk(request.user)

    has_change_permission = has_add_permission = has_delete_permission = has_view_permission


class SourceForm(OpenCaseForm):
    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and "currency" in self.changed_data:
            # The stored source (the form's instance carries the new currency already).
            stored = Source.objects.get(pk=self.instance.pk)
            for field, message in services.currency_change_problems(
                stored, cleaned.get("currency", stored.currency)
            ).items():
                self.add_error(field, message)
        return cleaned


@admin.register(Source)
class SourceAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    form = SourceForm
    list_display = ["case", "kind", "name", "platform", "currency", "pledged", "fee_percent"]
    list_filter = ["kind", "currency"]
    search_fields = ["case__reference", "name", "platform"]
    autocomplete_fields = ["case"]
    fields = ["case", *SOURCE_FIELDS]
    inlines = [ReceiptInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        return {**super().get_changeform_initial_data(request), **_case_from_query(request)}

    def get_readonly_fields(self, request, obj=None):
        return ["case"] if obj else []

    def save_model(self, request, obj: Source, form, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in SOURCE_FIELDS}
        if change:
            services.source_change(source=obj, by=request.user, **values)
        else:
            saved = services.source_add(case=obj.case, by=request.user, **values)
            obj.pk = saved.pk
            obj.recorded_at = saved.recorded_at

    def save_formset(self, request, form, formset, change) -> None:
        source, by = form.instance, request.user
        save_inline_through(
            formset,
            record=lambda values: services.receipt_record(source=source, by=by, **values),
            correct=lambda receipt, values: services.receipt_correct(
                receipt=receipt, by=by, **values
            ),
            delete=lambda receipt: services.receipt_delete(receipt=receipt, by=by),
        )


# --- The case page -----------------------------------------------------------------------------

# cases sits below this app, so the case admin registered before this one (by documents) is
# extended through its case_panel_context hook; the page template extends the previous one.
_CaseAdmin = type(admin.site.get_model_admin(Case))
admin.site.unregister(Case)


@admin.register(Case)
class CaseWithFundingAdmin(_CaseAdmin):  # type: ignore[valid-type,misc]
    change_form_template = "admin/funding/case_change_form.html"

    def case_panel_context(self, request: HttpRequest, case: Case) -> dict:
        funding = case_funding(case)
        return {
            **super().case_panel_context(request, case),
            "funding": funding,
            "funding_chart": funding_chart(funding),
            "funding_links": {
                "quote": reverse("admin:funding_quote_add") + f"?case={case.pk}",
                "source": reverse("admin:funding_source_add") + f"?case={case.pk}",
            },
        }

    def render_change_form(self, request, context, *args, **kwargs):
        context["funding_base_template"] = (
            _CaseAdmin.change_form_template or "admin/change_form.html"
        )
        return super().render_change_form(request, context, *args, **kwargs)
