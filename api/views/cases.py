"""Cases: the list (filtered, by cursor), one case, its blockers and timeline, and its
transitions, each run through ``case_apply`` as the portals run them."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from cases.selectors import case_clocks_for, cases_for
from cases.services import (
    CaseActionError,
    CaseConflict,
    TransitionNotAvailable,
    TransitionRefused,
    case_apply,
    transition_label,
)
from documents.selectors import readable_reasons

from ..pagination import NewestFirst
from ..selectors import case_blockers, case_by_reference, case_timeline_data
from ..serializers import (
    CaseBlockersSerializer,
    CaseDetailSerializer,
    CaseFilterSerializer,
    CaseSummarySerializer,
    ClockSerializer,
    RefusalSerializer,
    TimelineSerializer,
    transition_request_serializer,
)
from .base import ApiView, refusal

NOT_FOUND = OpenApiResponse(description="No such case in your scope.")


class CaseList(ApiView, generics.ListAPIView):
    """The cases you may see, newest first: all for facilitators, their own for doctors,
    their hospital's for hospital admins."""

    serializer_class = CaseSummarySerializer
    pagination_class = NewestFirst

    def get_queryset(self):
        filters = CaseFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        cases = cases_for(self.request.user)
        lookups = {
            "state": "state",
            "hospital": "hospital_id",
            "doctor": "doctor_id",
            "updated_since": "updated_at__gte",
        }
        return cases.filter(**{lookups[name]: value for name, value in wanted.items()})

    @extend_schema(parameters=[CaseFilterSerializer])
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class CaseDetail(ApiView):
    """One case by its reference."""

    serializer_class = CaseDetailSerializer

    @extend_schema(responses={200: CaseDetailSerializer, 404: NOT_FOUND})
    def get(self, request, reference: str):
        return Response(self.get_serializer(case_by_reference(request.user, reference)).data)


class CaseBlockers(ApiView):
    """The transitions you may run on the case now, each with the rules that stop it (code
    and message) as the case's facts stand."""

    serializer_class = CaseBlockersSerializer

    @extend_schema(responses={200: CaseBlockersSerializer, 404: NOT_FOUND})
    def get(self, request, reference: str):
        case = case_by_reference(request.user, reference)
        return Response(case_blockers(request.user, case, request))


class CaseTimeline(ApiView):
    """The case's stays in each state (from its transition log) and its milestones."""

    serializer_class = TimelineSerializer

    @extend_schema(responses={200: TimelineSerializer, 404: NOT_FOUND})
    def get(self, request, reference: str):
        case = case_by_reference(request.user, reference)
        return Response(TimelineSerializer(case_timeline_data(case)).data)


class _TransitionSchema(AutoSchema):
    def get_summary(self) -> str:
        return transition_label(self.view.transition)


class CaseTransition(ApiView):
    """Run the transition on the case through ``case_apply``: the same permission, facts,
    rules and conflict checks as the portals and the admin. Refused: 422 with every reason
    and its rule code; the case changed since ``expected_state``: 409; not yours to run: 403."""

    transition = ""  # set per URL (api/urls.py)
    parser_classes = [JSONParser]
    schema = _TransitionSchema()

    def get_serializer_class(self):
        return transition_request_serializer(self.transition)

    @extend_schema(
        tags=["transitions"],
        responses={
            200: CaseDetailSerializer,
            400: OpenApiResponse(description="A fact of the wrong type, or not this transition's."),
            403: OpenApiResponse(description="You see the case but may not run this transition."),
            404: NOT_FOUND,
            409: OpenApiResponse(
                RefusalSerializer,
                description="The case changed since "
                "expected_state (case_conflict), or the transition does not start "
                "from its state (transition_not_available).",
            ),
            422: OpenApiResponse(
                RefusalSerializer,
                description="Refused by the rulebook: every reason with its rule code.",
            ),
        },
    )
    def post(self, request, reference: str):
        case = case_by_reference(request.user, reference)
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        facts = dict(body.validated_data)
        note = facts.pop("note", "")
        expected = facts.pop("expected_state", None)
        try:
            case = case_apply(
                case=case,
                transition=self.transition,
                by=request.user,
                description=note,
                expected_state=expected,
                **facts,
            )
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        except CaseActionError as exc:
            return self._refused(case, exc)
        return Response(CaseDetailSerializer(case, context=self.get_serializer_context()).data)

    def _refused(self, case, exc: CaseActionError) -> Response:
        if isinstance(exc, CaseConflict):
            return refusal(exc.messages, ["case_conflict"] * len(exc.messages), 409)
        if isinstance(exc, TransitionNotAvailable):
            return refusal(exc.messages, ["transition_not_available"] * len(exc.messages), 409)
        codes = exc.codes if isinstance(exc, TransitionRefused) else ["refused"] * len(exc.messages)
        messages, codes = readable_reasons(self.request.user, case, exc.messages, codes)
        return refusal(messages, codes, 422)


class CaseDeadlines(ApiView):
    """The case's clocks (``cases.deadlines``, the one-case form the case pages show), soonest
    first, met ones last: what each is measured from, its length, when it falls, days left,
    and whether a hold pauses it. The treatment's clocks only where you see the clinical
    side."""

    serializer_class = ClockSerializer

    @extend_schema(responses={200: ClockSerializer(many=True), 404: NOT_FOUND})
    def get(self, request, reference: str):
        case = case_by_reference(request.user, reference)
        return Response(ClockSerializer(case_clocks_for(request.user, case), many=True).data)
