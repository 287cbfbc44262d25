"""What every API view shares: the audit trail's actor, and refusals as JSON."""

from __future__ import annotations

from auditlog.context import auditlog_value
from django.core.exceptions import ValidationError
from rest_framework import generics
from rest_framework.response import Response


class ApiView(generics.GenericAPIView):
    """Base of the API's views."""

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        _credit_audit_actor(request)


def _credit_audit_actor(request) -> None:
    """django-auditlog's middleware read ``request.user`` before DRF authenticated the token
    (Django's request still had an anonymous user), so the changes a token makes would be
    logged without an actor. Name the authenticated user in this request's audit context.
    (Nesting ``auditlog.context.set_actor`` instead would leave the middleware's signal
    receiver connected after the request.)"""
    try:
        context = auditlog_value.get()
    except LookupError:
        return
    if context.get("actor") is None and request.user and request.user.is_authenticated:
        context["actor"] = request.user


def refusal(
    messages: list[str], codes: list[str], status: int, fields: dict[str, list[str]] | None = None
) -> Response:
    """``{"errors": [...], "codes": [...]}``: an action refused, each reason with its code."""
    body: dict = {"errors": list(messages), "codes": list(codes)}
    if fields:
        body["fields"] = fields
    return Response(body, status=status)


def validation_refusal(exc: ValidationError, status: int = 400) -> Response:
    """A Django ``ValidationError`` (a service's or a form's) as a refusal: every message with
    its code, and per field where it names one."""
    errors, codes, fields = [], [], {}
    if hasattr(exc, "error_dict"):
        for field, items in exc.error_dict.items():
            for item in items:
                for message in item.messages:
                    errors.append(message)
                    codes.append(item.code or "invalid")
                    if field != "__all__":
                        fields.setdefault(field, []).append(message)
    else:
        for item in exc.error_list:
            errors += item.messages
            codes += [item.code or "invalid"] * len(item.messages)
    return refusal(errors, codes, status, fields)


def serializer_refusal(errors: dict) -> Response:
    """A DRF serializer's errors in the API's refusal shape (``errors``, ``codes``, and
    ``fields`` by dotted path, e.g. ``values[0].unit``), status 400."""
    messages, codes, fields = [], [], {}

    def walk(path: str, found) -> None:
        if isinstance(found, dict):
            for key, value in found.items():
                if key == "non_field_errors":  # about the whole item (or list)
                    walk(path, value)
                elif isinstance(key, int):  # an item of a list (DRF keys them by index)
                    walk(f"{path}[{key}]", value)
                else:
                    walk(f"{path}.{key}" if path else str(key), value)
        elif isinstance(found, list) and found and not isinstance(found[0], str):
            for index, value in enumerate(found):
                if value:
                    walk(f"{path}[{index}]", value)
        else:
            for message in found:
                messages.append(f"{path}: {message}" if path else str(message))
                codes.append(getattr(message, "code", "invalid"))
                if path:
                    fields.setdefault(path, []).append(str(message))

    walk("", errors)
    return refusal(messages, codes, 400, fields)
