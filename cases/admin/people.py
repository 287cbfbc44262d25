"""Hospitals, doctors, hospital admins, products and patients (with their consents and weights)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from .. import access, services
from ..models import (
    Consent,
    Doctor,
    Hospital,
    HospitalAdmin,
    Patient,
    Product,
    WeightMeasurement,
)
from .base import AccessInlineMixin, FacilitatorOnlyMixin, save_inline_through, shown_by_name


@admin.register(Hospital)
class HospitalModelAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "city", "state", "port_office", "phone"]
    list_filter = ["state", "port_office"]
    search_fields = ["name", "city"]


@admin.register(Doctor)
class DoctorModelAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "registration_number", "council", "specialty", "hospital"]
    list_select_related = ["user", "hospital"]
    list_filter = ["hospital"]
    search_fields = ["user__first_name", "user__last_name", "registration_number"]
    autocomplete_fields = ["user"]


@admin.register(HospitalAdmin)
class HospitalAdminModelAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    list_display = ["__str__", "hospital"]
    list_select_related = ["user", "hospital"]
    autocomplete_fields = ["user"]


@admin.register(Product)
class ProductModelAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "generic_name", "manufacturer"]


class WeightInline(AccessInlineMixin, admin.TabularInline):
    allowed = staticmethod(access.may_record_weight)
    model = WeightMeasurement
    extra = 1
    fields = ["measured_on", "weight_kg", "measured_by"]


class ConsentInline(AccessInlineMixin, admin.TabularInline):
    """DPDP consent records: a withdrawal is recorded by setting its date, never by deleting."""

    allowed = staticmethod(access.may_record_consent)
    model = Consent
    extra = 0
    fields = [
        "given_by",
        "relationship",
        "verified_how",
        "notice_version",
        "given_at",
        "withdrawn_at",
        "recorded_by_name",
    ]
    readonly_fields = ["recorded_by_name"]
    recorded_by_name = shown_by_name("recorded_by", "recorded by")
    can_delete = False

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["notice_version"].initial = settings.NPP_PRIVACY_NOTICE_VERSION
        return formset

    def get_min_num(self, request, obj=None, **kwargs) -> int:
        # DPDP Act s.9(1): a child's data is processed only with the guardian's verifiable
        # consent, so a new patient is added with it (it also gates the regulator later).
        return 1 if obj is None else 0


def _consents_are_kept(consent: Consent) -> None:
    raise PermissionDenied("A consent is never deleted; record its withdrawal instead.")


@admin.register(Patient)
class PatientModelAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    list_display = ["full_name", "date_of_birth", "sex", "guardian_name", "city", "state"]
    search_fields = ["full_name", "guardian_name"]
    inlines = [ConsentInline, WeightInline]

    def response_add(self, request, obj, post_url_continue=None):
        if not obj.weights.exists():
            messages.warning(
                request,
                f"No weight is recorded for {obj}: the application cannot "
                "go to the regulator, nor the kit be ordered, without one.",
            )
        return super().response_add(request, obj, post_url_continue)

    def save_formset(self, request, form, formset, change) -> None:
        patient, by = form.instance, request.user
        if formset.model is Consent:
            save_inline_through(
                formset,
                record=lambda values: services.patient_record_consent(
                    patient=patient, by=by, **values
                ),
                correct=lambda consent, values: services.patient_change_consent(
                    consent=consent, by=by, **values
                ),
                delete=_consents_are_kept,
            )
        elif formset.model is WeightMeasurement:
            save_inline_through(
                formset,
                record=lambda values: services.patient_record_weight(
                    patient=patient, by=by, **values
                ),
                correct=lambda weight, values: services.patient_correct_weight(
                    weight=weight, by=by, **values
                ),
                delete=lambda weight: services.patient_delete_weight(weight=weight, by=by),
            )
        else:  # pragma: no cover - a new inline must say which services save it
            raise NotImplementedError(f"No service saves {formset.model.__name__} rows.")

    fieldsets = [
        (
            "Child",
            {
                "fields": [
                    "full_name",
                    "date_of_birth",
                    "gestational_age_weeks",
                    "sex",
                    "city",
                    "state",
                ]
            },
        ),
        (
            "Guardian",
            {
                "fields": [
                    "guardian_name",
                    "guardian_relationship",
                    "guardian_phone",
                    "guardian_email",
                ]
            },
        ),
        ("Identity", {"fields": ["identity_document", "aadhaar_last4"]}),
        ("Clinical status", {"fields": ["active_infection"]}),
        (
            "Diagnosis",
            {
                "fields": [
                    "sma_type",
                    "smn1_biallelic_confirmed",
                    "smn2_copy_number",
                    "genetic_test_lab",
                    "genetic_test_date",
                ]
            },
        ),
    ]


# Facts recorded by transitions are read-only on the form: they change only through
# `case_apply`, where the guards see them.
