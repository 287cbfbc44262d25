"""The facilitators' side: guardian links (make, copy, email, revoke; each view listed) and
the breach register (with each affected family). Every write goes through ``services``."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from cases import access
from cases.admin.base import FacilitatorOnlyMixin, save_inline_through, shown_by_name

from . import services
from .models import Breach, BreachAffectedCase, GuardianLink, GuardianLinkView


class GuardianLinkViewInline(admin.TabularInline):
    """Each opening of the link: when, from which (hashed) address, what it showed."""

    model = GuardianLinkView
    readonly_fields = ("at", "outcome", "client", "user_agent")
    fields = readonly_fields
    extra = 0
    can_delete = False
    ordering = ["-at"]

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return access.may_manage_guardian_links(request.user)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class GuardianLinkForm(forms.ModelForm):
    days = forms.IntegerField(
        min_value=1, max_value=365, required=False, help_text="Blank: the default validity."
    )

    class Meta:
        model = GuardianLink
        fields = ["case", "language"]


@admin.register(GuardianLink)
class GuardianLinkAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    """A link a family opens on their phone to follow their case, without signing in. Copy
    it from its page, or email it with the action; revoke it when it may have leaked."""

    form = GuardianLinkForm
    list_display = ["case", "language", "created_at", "expires_at", "state", "sent_to", "views"]
    list_filter = ["language", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["case"]
    search_fields = ["case__reference"]
    autocomplete_fields = ["case"]
    actions = ["send_by_email", "revoke"]
    inlines = [GuardianLinkViewInline]
    created_by_name = shown_by_name("created_by", "created by")
    revoked_by_name = shown_by_name("revoked_by", "revoked by")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["case", "language", "days"]
        return [
            "case",
            "language",
            "address",
            "created_at",
            "created_by_name",
            "expires_at",
            "revoked_at",
            "revoked_by_name",
            "sent_to",
            "sent_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    @admin.display(description="link to copy")
    def address(self, obj: GuardianLink) -> str:
        if not access.guardian_link_open(obj, timezone.now()):
            return "Revoked or expired: make a new link."
        url = services.link_url(obj)
        return format_html(
            '<input type="text" readonly value="{}" aria-label="Guardian link" size="90">', url
        )

    @admin.display(description="state")
    def state(self, obj: GuardianLink) -> str:
        if obj.revoked_at:
            return "revoked"
        return "open" if access.guardian_link_open(obj, timezone.now()) else "expired"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(view_count=Count("views"))

    @admin.display(description="views", ordering="view_count")
    def views(self, obj: GuardianLink) -> int:
        return getattr(obj, "view_count", 0)  # annotated by get_queryset

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return  # a link is not edited: revoke it and make a new one
        made = services.guardian_link_create(
            case=form.cleaned_data["case"],
            by=request.user,
            language=form.cleaned_data["language"],
            days=form.cleaned_data.get("days"),
        )
        obj.pk = made.pk
        obj.__dict__.update(made.__dict__)

    def has_change_permission(self, request, obj=None) -> bool:
        # The page shows the link to copy; nothing on it is edited.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # kept with their view log

    @admin.action(description="Send the selected links to the guardian by email")
    def send_by_email(self, request, queryset) -> None:
        sent = 0
        for link in queryset.select_related("case__patient"):
            try:
                services.guardian_link_send(link=link, by=request.user)
                sent += 1
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(
                    request,
                    " ".join(exc.messages if hasattr(exc, "messages") else [str(exc)]),
                    messages.ERROR,
                )
        if sent:
            self.message_user(request, f"{sent} link(s) sent by email.", messages.SUCCESS)

    @admin.action(description="Revoke the selected links (they stop working at once)")
    def revoke(self, request, queryset) -> None:
        for link in queryset:
            services.guardian_link_revoke(link=link, by=request.user)
        self.message_user(request, f"{queryset.count()} link(s) revoked.", messages.SUCCESS)


class BreachAffectedForm(forms.ModelForm):
    """An affected case; once a family told is entered, when and how (the service's checks,
    shown on the field instead of refusing the whole save)."""

    class Meta:
        model = BreachAffectedCase
        fields = ["case", "family_told_at", "family_told_how"]

    def clean(self):
        data = super().clean()
        told = {"family_told_at", "family_told_how"} & set(self.changed_data)
        if told:
            problems = services.family_told_problems(
                at=data.get("family_told_at"), how=data.get("family_told_how") or ""
            )
            for field, message in problems.items():
                self.add_error(field, message)
        return data


class BreachForm(forms.ModelForm):
    """The breach's times checked as the service checks them, shown on their fields."""

    class Meta:
        model = Breach
        fields = ["title", "description", "discovered_at", "board_notified_at", "board_reference"]

    def clean(self):
        data = super().clean()
        problems = services.breach_problems(
            discovered_at=data.get("discovered_at"),
            board_notified_at=data.get("board_notified_at"),
        )
        for field, message in problems.items():
            self.add_error(field, message)
        return data


class BreachAffectedInline(admin.TabularInline):
    model = BreachAffectedCase
    form = BreachAffectedForm
    fields = ["case", "family_told_at", "family_told_how"]
    autocomplete_fields = ["case"]
    extra = 1

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return access.may_keep_breach_register(request.user)

    has_add_permission = has_change_permission = has_view_permission

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Breach)
class BreachAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    """The breach register: the Board must be told within 72 hours of discovery, and each
    affected family told; the reminders chase both until recorded here."""

    list_display = ["title", "discovered_at", "board_deadline", "board_notified_at", "families"]
    list_filter = [("board_notified_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "affected__case__reference"]
    fields = [
        "title",
        "description",
        "discovered_at",
        "board_deadline",
        "board_notified_at",
        "board_reference",
        "recorded_at",
        "recorded_by_name",
    ]
    readonly_fields = ["board_deadline", "recorded_at", "recorded_by_name"]
    recorded_by_name = shown_by_name("recorded_by", "recorded by")
    form = BreachForm
    inlines = [BreachAffectedInline]

    @admin.display(description="Board to be told by")
    def board_deadline(self, obj: Breach) -> str:
        if obj is None or obj.discovered_at is None:
            return "-"
        return f"{timezone.localtime(obj.board_deadline()):%d %b %Y %H:%M}"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("affected")

    @admin.display(description="families told")
    def families(self, obj: Breach) -> str:
        affected = list(obj.affected.all())
        told = sum(a.family_told_at is not None for a in affected)
        return f"{told} of {len(affected)}"

    def save_model(self, request, obj, form, change) -> None:
        data = {
            name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data
        }
        if change:
            services.breach_change(breach=obj, by=request.user, **data)
        else:
            made = services.breach_record(
                by=request.user,
                title=obj.title,
                description=obj.description,
                discovered_at=obj.discovered_at,
            )
            if obj.board_notified_at or obj.board_reference:
                services.breach_change(
                    breach=made,
                    by=request.user,
                    board_notified_at=obj.board_notified_at,
                    board_reference=obj.board_reference,
                )
            obj.pk = made.pk
            obj.__dict__.update(made.__dict__)

    def save_formset(self, request, form, formset, change) -> None:
        breach = form.instance

        def record(values: dict) -> None:
            affected = services.breach_add_affected(
                breach=breach, case=values["case"], by=request.user
            )
            if values.get("family_told_at"):
                services.breach_family_told(
                    affected=affected,
                    by=request.user,
                    at=values["family_told_at"],
                    how=values.get("family_told_how", ""),
                )

        def correct(affected: BreachAffectedCase, values: dict) -> None:
            if "family_told_at" in values or "family_told_how" in values:
                services.breach_family_told(
                    affected=affected,
                    by=request.user,
                    at=affected.family_told_at,
                    how=affected.family_told_how,
                )

        def keep(affected: BreachAffectedCase) -> None:
            raise PermissionDenied("A breach record is kept.")

        save_inline_through(formset, record=record, correct=correct, delete=keep)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
