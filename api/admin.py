"""API tokens in the admin: facilitators create one for a user (the token is shown once, on
the page that answers the form) and revoke it; nothing else about a token is editable."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from cases import access
from cases.admin import FacilitatorOnlyMixin

from .models import ApiToken
from .services import api_token_create, api_token_revoke, default_expiry


@admin.register(ApiToken)
class ApiTokenAdmin(FacilitatorOnlyMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "user",
        "prefix",
        "status",
        "expires_at",
        "last_used_at",
        "created_by",
        "created_at",
    ]
    list_select_related = ["user", "created_by"]
    search_fields = ["name", "prefix", "user__username"]
    actions = ["revoke"]
    fields = ["user", "name", "expires_at"]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return []
        return [
            "user",
            "name",
            "prefix",
            "expires_at",
            "created_at",
            "created_by",
            "revoked_at",
            "revoked_by",
            "last_used_at",
        ]

    def get_fields(self, request: HttpRequest, obj=None):
        return self.get_readonly_fields(request, obj) if obj else self.fields

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        return {**super().get_changeform_initial_data(request), "expires_at": default_expiry()}

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # Nothing about a token is edited: its page is read-only; revoking is the action.
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return access.may_use_desk(request.user)

    @admin.display(description="status")
    def status(self, token: ApiToken) -> str:
        return token.refusal(timezone.now()).removeprefix("This token ").rstrip(".") or "active"

    def save_model(self, request, obj, form, change) -> None:
        row, token = api_token_create(
            user=obj.user, name=obj.name, by=request.user, expires_at=obj.expires_at
        )
        # The admin goes on with ``obj`` (its log entry); the token goes to response_add only.
        obj.pk, obj.prefix, obj.created_at = row.pk, row.prefix, row.created_at
        obj._state.adding = False
        request._npp_api_token = token

    def response_add(self, request, obj, post_url_continue=None):
        """The token, once, on the page answering the form: never in a message (a cookie or
        the session would hold it) nor in a URL."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "token": request._npp_api_token,
            "row": obj,
            "title": "API token created",
        }
        response = TemplateResponse(request, "admin/api/apitoken/token_created.html", context)
        add_never_cache_headers(response)
        return response

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke(self, request, queryset) -> None:
        revoked = sum(api_token_revoke(token=token, by=request.user) for token in queryset)
        messages.success(request, f"Revoked {revoked} token(s); they are refused from now on.")
