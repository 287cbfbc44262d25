"""Your in-app reminders (doctors and hospital admins, as in the portals), and marking them
read through ``notifications_mark_read``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from cases import access
from cases.reminders.texts import with_texts
from cases.services import notifications_mark_read

from ..pagination import DueFirst
from ..serializers import MarkedSerializer, MarkReadSerializer, NotificationSerializer
from .base import ApiView

NOT_YOURS = OpenApiResponse(description="Facilitators' reminders are in the admin.")


class NotificationList(ApiView, generics.ListAPIView):
    """Your in-app reminders about cases still in your scope, the latest due first.
    Listing them does not mark them read."""

    serializer_class = NotificationSerializer
    pagination_class = DueFirst

    def get_queryset(self):
        if not access.may_read_portal_reminders(self.request.user):
            raise exceptions.PermissionDenied("Reminders for facilitators are in the admin.")
        reminders = access.notifications_visible_to(self.request.user).select_related(
            "case__patient", "case__hospital", "case__doctor__user"
        )
        if self.request.query_params.get("unread") in ("1", "true", "yes"):
            reminders = reminders.filter(read_at__isnull=True)
        return reminders

    def paginate_queryset(self, queryset):
        """One page of reminders, each with its text rendered now (``cases.reminders.texts``:
        an in-app reminder is delivered by being listed)."""
        page = super().paginate_queryset(queryset)
        return None if page is None else with_texts(page)

    @extend_schema(
        parameters=[OpenApiParameter("unread", bool, description="Only unread reminders.")],
        responses={200: NotificationSerializer(many=True), 403: NOT_YOURS},
    )
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class NotificationsMarkRead(ApiView):
    """Mark some of your reminders read; ids of anyone else's, or already read, are ignored."""

    serializer_class = MarkReadSerializer
    parser_classes = [JSONParser]

    @extend_schema(responses={200: MarkedSerializer, 403: NOT_YOURS})
    def post(self, request):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            marked = notifications_mark_read(user=request.user, ids=body.validated_data["ids"])
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response({"marked": marked})
