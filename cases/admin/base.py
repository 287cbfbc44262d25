"""What every facilitator-only admin page shares: the access mixins and saving inlines
through services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .. import access

SESSION_RETRY_KEY = "npp_transition_retry"


class FacilitatorOnlyMixin:
    """Staff who are not facilitators (or superusers) see nothing of patients' data."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.may_use_desk(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return access.may_use_desk(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return access.may_use_desk(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return access.may_use_desk(request.user)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Case records are kept: a case ends by being closed or cancelled, never deleted.
        return access.may_delete_records(request.user)


def save_inline_through(formset, *, record, correct, delete) -> None:
    """Save an inline's rows through services, never the admin itself: a new row's values go
    to ``record(values)``, an edited row's changed values to ``correct(obj, values)``, a
    row marked for deletion to ``delete(obj)``. The formset has validated every row."""
    formset.save(commit=False)  # fills new_objects, changed_objects, deleted_objects
    fields = list(formset.form.base_fields)
    for obj in formset.deleted_objects:
        delete(obj)
    for obj, changed in formset.changed_objects:
        correct(obj, {name: getattr(obj, name) for name in changed if name in fields})
    for obj in formset.new_objects:
        record({name: getattr(obj, name) for name in fields})


def shown_by_name(field: str, description: str):
    """A read-only user field, shown by name only. Django links a read-only foreign key to
    the related admin page without asking whether the viewer may open it, and the user pages
    are auth's own, for superusers: a facilitator following the link was answered 403."""

    @admin.display(description=description)
    def show(self, obj) -> str:
        user = getattr(obj, field, None) if obj is not None else None
        return str(user) if user is not None else self.get_empty_value_display()

    return show


class AccessInlineMixin:
    """An inline's rows are shown and saved as ``allowed(user, parent)`` says (the patient or
    the case; None on an add page), not by Django's model permissions, which the Facilitators
    group does not carry. The parent admin saves them through services."""

    allowed: Callable[[Any, Any], bool]

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.allowed(request.user, obj)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.allowed(request.user, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.allowed(request.user, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.allowed(request.user, obj)
