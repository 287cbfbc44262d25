"""The clinical records after the infusion: a case's lab values, and a panel recorded through
``clinical.services.lab_values_record`` (the same checks, history and safety signals as the
doctor's phone screen and the admin)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from cases import access
from clinical.selectors import lab_values
from clinical.services import lab_values_record

from ..selectors import case_by_reference
from ..serializers import (
    LabPanelRequestSerializer,
    LabPanelSavedSerializer,
    LabValueSerializer,
    RefusalSerializer,
)
from .base import ApiView, serializer_refusal, validation_refusal

NOT_FOUND = OpenApiResponse(description="No such case in your scope.")
NOT_SHARED = "The clinical side of this case is not shared with you."


class CaseLabValues(ApiView):
    """GET: every lab value recorded after the infusion, oldest sample first, with the ones a
    later value replaced (``current`` false) as history: the treating doctor, the facilitators,
    and a hospital's admins once a facilitator shares the clinical side. POST: record a panel
    sampled on one day (a monitoring slot's, or unscheduled with ``slot`` empty): the treating
    doctor or a facilitator; a value crossing a label threshold opens a safety signal."""

    parser_classes = [JSONParser]
    serializer_class = LabPanelRequestSerializer

    @extend_schema(
        tags=["clinical"],
        responses={
            200: LabValueSerializer(many=True),
            403: OpenApiResponse(description=NOT_SHARED),
            404: NOT_FOUND,
        },
    )
    def get(self, request, reference: str):
        case = case_by_reference(request.user, reference)
        if not access.sees_clinical(request.user, case):
            raise exceptions.PermissionDenied(NOT_SHARED)
        return Response(LabValueSerializer(lab_values(request.user, case), many=True).data)

    @extend_schema(
        tags=["clinical"],
        request=LabPanelRequestSerializer,
        responses={
            201: LabPanelSavedSerializer,
            400: OpenApiResponse(
                RefusalSerializer,
                description="A value, unit, date or slot refused, in the service's words; "
                "nothing is saved.",
            ),
            403: OpenApiResponse(description="You see the case but do not record its results."),
            404: NOT_FOUND,
        },
    )
    def post(self, request, reference: str):
        case = case_by_reference(request.user, reference)
        if not access.may_record_lab_result(request.user, case):  # before reading the body
            raise exceptions.PermissionDenied(
                "Only the treating doctor or a facilitator records results."
            )
        body = self.get_serializer(data=request.data)
        if not body.is_valid():
            return serializer_refusal(body.errors)
        try:
            saved = lab_values_record(case=case, by=request.user, **body.validated_data)
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        except ValidationError as exc:
            return validation_refusal(exc)
        return Response(LabPanelSavedSerializer(saved).data, status=201)
