"""The case page: its fieldsets, transitions, eligibility overrides and lab results."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django_fsm_log.models import StateLog

from .. import access, deadlines, services
from ..forms import CaseAdminForm, transition_form
from ..models import (
    Case,
    LabResult,
)
from ..selectors import available_transitions
from ..services import (
    TRANSITION_FACTS,
    CaseActionError,
    case_apply,
    case_check_permission,
    case_override_eligibility,
    transition_label,
)
from ..states import MAIN_LINE, CaseState
from .base import (
    SESSION_RETRY_KEY,
    AccessInlineMixin,
    FacilitatorOnlyMixin,
    save_inline_through,
    shown_by_name,
)

STAGE_FIELDSETS = [
    (
        "Regulatory review (Form 12A / 12B)",
        ["permit_number", "permit_issued_on", "permit_valid_until", "rejection_reason"],
    ),
    ("Order and transit", ["supplier_order_ref", "awb_number", "courier", "eta"]),
    ("Customs", ["bill_of_entry_number", "duty_exemption_claimed"]),
    (
        "Delivery and infusion",
        [
            "received_at",
            "received_by",
            "temperature_ok",
            "infusion_scheduled_at",
            "infused_at",
            "kit_lot_numbers",
            "kit_band_low_kg",
            "kit_band_high_kg",
            "band_change_decision",
            "infusion_deviation_note",
        ],
    ),
    (
        "Hold, cancellation, closing",
        [
            "hold_from_state",
            "hold_reason",
            "cancellation_reason",
            "close_reason",
            "close_override_reason",
            "steroid_taper_ended_on",
        ],
    ),
]
FACT_FIELDS = [name for _, names in STAGE_FIELDSETS for name in names]


class LabResultInline(AccessInlineMixin, admin.TabularInline):
    allowed = staticmethod(access.may_record_lab_result)
    model = LabResult
    extra = 0
    fields = [
        "test",
        "taken_on",
        "alt",
        "ast",
        "total_bilirubin",
        "platelets",
        "troponin_i",
        "note",
        "recorded_by_name",
    ]
    readonly_fields = ["recorded_by_name"]
    recorded_by_name = shown_by_name("recorded_by", "recorded by")
    verbose_name_plural = "Lab results after infusion"


@admin.register(Case)
class CaseModelAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    form = CaseAdminForm
    inlines = [LabResultInline]
    change_form_template = "admin/cases/case/change_form.html"
    list_display = [
        "reference",
        "state_badge",
        "days_in_current_state",
        "second_birthday_left",
        "patient",
        "doctor",
        "hospital",
        "eta",
        "facilitator",
    ]
    list_select_related = ["patient", "doctor__user", "hospital", "facilitator"]
    list_filter = ["state", "hospital", "product", "facilitator", "priority"]
    search_fields = ["reference", "patient__full_name", "awb_number"]
    autocomplete_fields = ["patient", "doctor"]
    list_per_page = 50
    actions = ["export_csv"]  # hook: a subclass appends its own

    @admin.action(description="Export selected cases as CSV")
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Case]):
        """Asks whether to include identifiers, then answers the CSV. Identifying exports are
        recorded in the access log."""
        from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
        from django.template.response import TemplateResponse

        from ..exports import cases_csv

        if request.POST.get("confirm") != "yes":
            return TemplateResponse(
                request,
                "admin/cases/case/export_csv.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Export cases as CSV",
                    "queryset": queryset,
                    "count": queryset.count(),
                    "action_checkbox_name": ACTION_CHECKBOX_NAME,
                    "select_across": request.POST.get("select_across", "0"),
                    "opts": self.model._meta,
                },
            )
        include = request.POST.get("include_identifiers") == "on"
        if include and not access.may_export_identifiers(request.user):
            raise PermissionDenied("You may not export patient identifiers.")
        body = cases_csv(queryset, include_identifiers=include)
        if include:
            self.log_identifying_export(request, queryset)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="npp-cases-{stamp}.csv"'
        response["Cache-Control"] = "private, no-store"
        return response

    def log_identifying_export(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        """Hook: record that the user exported these cases with patient identifiers.

        The access log is the documents app's; its subclass records it there. Without one an
        identifying export fails rather than go unrecorded."""
        raise NotImplementedError("An export with identifiers must be recorded in an access log.")

    def get_fieldsets(self, request, obj=None):
        main = ["reference", "state", "state_changed_at"] if obj else []
        main += ["priority", "facilitator", "patient", "product", "doctor", "hospital"]
        fieldsets = [(None, {"fields": main})]
        if obj is not None:
            fieldsets += [(title, {"fields": names}) for title, names in STAGE_FIELDSETS]
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        readonly = ["reference", "state", "state_changed_at", *FACT_FIELDS]
        if obj.state not in (CaseState.APPLICATION, CaseState.DOCUMENTS):
            # Who and what the application is for is settled once it goes to the regulator.
            readonly += ["patient", "product", "doctor", "hospital"]
        return readonly

    @admin.display(description="state", ordering="state")
    def state_badge(self, obj: Case) -> str:
        return format_html(
            '<span class="npp-state npp-state-{}">{}</span>', obj.state, obj.get_state_display()
        )

    @admin.display(description="days in state", ordering="state_changed_at")
    def days_in_current_state(self, obj: Case) -> int:
        return obj.days_in_state()

    @admin.display(description="2nd birthday", ordering="patient__date_of_birth")
    def second_birthday_left(self, obj: Case) -> str:
        """Days left to the 2nd birthday (cases.deadlines), in red under the warning window."""
        from ..templatetags.deadlines import second_birthday

        return second_birthday(obj)

    def save_model(self, request, obj: Case, form, change: bool) -> None:
        if change:
            # Only the case's own details change here, through the service.
            services.case_update(
                case=obj,
                by=request.user,
                **{name: form.cleaned_data[name] for name in form.changed_data},
            )
            return
        # A new case is opened and numbered by the service; the admin goes on with ``obj``
        # (its log entry, its redirect), so it takes the saved row's values.
        case = services.case_create(by=request.user, **form.cleaned_data)
        for field in Case._meta.concrete_fields:
            if field.name != "state":  # protected, and "application" on both
                setattr(obj, field.attname, getattr(case, field.attname))
        obj._state.adding, obj._state.db = False, case._state.db

    def get_urls(self):
        # Hook: a subclass adds its own views in front of these (none of them overlap).
        urls = [
            path(
                "<path:object_id>/override/",
                self.admin_site.admin_view(self.override_view),
                name="cases_case_override",
            ),
            path(
                "<path:object_id>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name="cases_case_transition",
            ),
        ]
        return urls + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        case = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if case is not None:
            extra_context.update(self.case_panel_context(request, case))
        return super().change_view(request, object_id, form_url, extra_context)

    def case_panel_context(self, request: HttpRequest, case: Case) -> dict:
        """Hook: what the case page's panels show; a subclass adds its panels' keys."""
        retry = request.session.pop(SESSION_RETRY_KEY, None)
        actions = []
        for name in available_transitions(case, request.user):
            if retry and retry["case"] == case.pk and retry["name"] == name:
                form = transition_form(name, case, data=retry["data"], user=request.user)
                form.is_valid()
            else:
                form = transition_form(name, case, user=request.user)
            actions.append(
                {
                    "name": name,
                    "label": transition_label(name),
                    "form": form,
                    "open": bool(retry and retry["case"] == case.pk and retry["name"] == name),
                    "url": reverse("admin:cases_case_transition", args=[case.pk, name]),
                    "blockers": case.blockers(name),
                }
            )
        history = StateLog.objects.for_(case).select_related("by").order_by("timestamp", "pk")
        from ..clinical import CRITERIA
        from ..selectors import case_calendar, case_dose_plan, case_eligibility
        from ..timeline import calendar_grid, case_timeline

        dose_plan, dose_problem = case_dose_plan(case)
        calendar = case_calendar(case)
        return {
            "clocks": deadlines.clocks(case),
            "timeline": case_timeline(case),
            "calendar_months": calendar_grid(calendar),
            "dose_plan": dose_plan,
            "dose_problem": dose_problem,
            "eligibility": case_eligibility(case),
            "criteria": CRITERIA,
            "calendar": calendar,
            "overrides": case.eligibility_overrides.select_related("by"),
            "override_url": reverse("admin:cases_case_override", args=[case.pk]),
            "case_actions": actions,
            "case_history": history,
            "main_line": [(s.value, s.label) for s in MAIN_LINE],
            "case": case,
        }

    def transition_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        case = get_object_or_404(self.get_queryset(request), pk=object_id)
        change_url = reverse("admin:cases_case_change", args=[case.pk])
        if request.method != "POST":
            return HttpResponseRedirect(change_url)
        if not self.has_change_permission(request, case):
            raise PermissionDenied
        if name not in TRANSITION_FACTS:
            messages.error(request, "Unknown action.")
            return HttpResponseRedirect(change_url)
        case_check_permission(case=case, transition=name, by=request.user)  # before the form
        form = transition_form(name, case, data=request.POST, user=request.user)
        label = transition_label(name)
        if not form.is_valid():
            request.session[SESSION_RETRY_KEY] = {
                "case": case.pk,
                "name": name,
                "data": request.POST.dict(),
            }
            messages.error(request, f"{label}: please correct the fields below.")
            return HttpResponseRedirect(change_url)
        try:
            case_apply(
                case=case,
                transition=name,
                by=request.user,
                description=form.cleaned_data["note"],
                expected_state=form.cleaned_data["seen_state"] or None,
                **form.facts(),
            )
        except (CaseActionError, PermissionDenied) as exc:
            reasons = exc.messages if isinstance(exc, CaseActionError) else [str(exc)]
            request.session[SESSION_RETRY_KEY] = {
                "case": case.pk,
                "name": name,
                "data": request.POST.dict(),
            }
            messages.error(request, f"{label} refused: " + " ".join(reasons))
        else:
            case.refresh_from_db()
            messages.success(
                request, f"{label}: {case.reference} is now '{case.get_state_display()}'."
            )
        return HttpResponseRedirect(change_url)

    def override_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Override one failing eligibility criterion with a written reason."""
        case = get_object_or_404(self.get_queryset(request), pk=object_id)
        change_url = reverse("admin:cases_case_change", args=[case.pk]) + "#npp-eligibility"
        if request.method == "POST" and self.has_change_permission(request, case):
            try:
                case_override_eligibility(
                    case=case,
                    criterion=request.POST.get("criterion", ""),
                    reason=request.POST.get("reason", ""),
                    by=request.user,
                )
            except (CaseActionError, PermissionDenied) as exc:
                reasons = exc.messages if isinstance(exc, CaseActionError) else [str(exc)]
                messages.error(request, "Override refused: " + " ".join(reasons))
            else:
                messages.success(request, "Override recorded in the case log.")
        return HttpResponseRedirect(change_url)

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not LabResult:  # pragma: no cover - a new inline names its services
            raise NotImplementedError(f"No service saves {formset.model.__name__} rows.")
        case, by = form.instance, request.user
        save_inline_through(
            formset,
            record=lambda values: services.case_record_lab_result(case=case, by=by, **values),
            correct=lambda result, values: services.case_correct_lab_result(
                result=result, by=by, **values
            ),
            delete=lambda result: services.case_delete_lab_result(result=result, by=by),
        )

    def get_inline_instances(self, request, obj=None):
        # Results are recorded once the child has been infused.
        if obj is None or obj.infused_at is None:
            return []
        return super().get_inline_instances(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        # The changelist ignores list_select_related once the queryset selects anything, so
        # select everything the list shows here (the facilitator column cost a query a row).
        # Not narrowed by access.cases_visible_to: the admin's pages are facilitators' alone
        # (may_use_desk), who see every case, and transition_view fetches the case before its
        # permission check, so a narrowed queryset would answer other staff 404 instead of 403.
        return super().get_queryset(request).select_related(*self.list_select_related)
