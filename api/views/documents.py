"""Documents: a case's list, upload (the portals' form and service), metadata, and download
through ``documents.views.download`` itself (its scope check and access log)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from documents import views as document_views
from documents.forms import UploadForm
from documents.models import DocumentType
from documents.selectors import document_for, documents_for
from documents.services import document_upload

from ..selectors import case_by_reference
from ..serializers import DocumentSerializer, DocumentUploadSerializer, RefusalSerializer
from .base import ApiView, refusal, validation_refusal

NOT_FOUND = OpenApiResponse(description="No such document (or case) in your scope.")


class ApiUploadForm(UploadForm):
    """The portals' and the admin's upload form, with the type named by its code and the file
    sent as ``file``: the same checks (size before reading, sample date, a lab report's
    values), then the same service."""

    document_type = forms.ModelChoiceField(
        queryset=DocumentType.objects.all(), to_field_name="code"
    )


class CaseDocuments(ApiView):
    """GET: the case's documents you may see (clinical ones only if you see the clinical
    side). POST: upload a new version (multipart: ``document_type``, ``file``, and for a lab
    report ``sample_taken_on`` and its values); it waits for a facilitator's review."""

    serializer_class = DocumentSerializer
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=["documents"], responses={200: DocumentSerializer(many=True), 404: NOT_FOUND}
    )
    def get(self, request, reference: str):
        case = case_by_reference(request.user, reference)
        return Response(self.get_serializer(documents_for(request.user, case), many=True).data)

    @extend_schema(
        tags=["documents"],
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={
            201: DocumentSerializer,
            400: OpenApiResponse(
                RefusalSerializer,
                description="The file or a value refused, "
                "in the validator's words, with its codes.",
            ),
            403: OpenApiResponse(description="You see the case but may not upload this type."),
            404: NOT_FOUND,
        },
    )
    def post(self, request, reference: str):
        case = case_by_reference(request.user, reference)
        files = {"upload": request.FILES["file"]} if "file" in request.FILES else {}
        form = ApiUploadForm(request.data, files)
        if not form.is_valid():
            return _form_refusal(form)
        data, filename = form.read_upload()
        try:
            document = document_upload(
                case=case,
                document_type=form.cleaned_data["document_type"],
                data=data,
                filename=filename,
                by=request.user,
                **form.lab_values(),
            )
        except PermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        except ValidationError as exc:  # the file's content, or a value the model refuses
            return validation_refusal(exc)
        return Response(self.get_serializer(document).data, status=201)


def _form_refusal(form: UploadForm) -> Response:
    errors, codes, fields = [], [], {}
    for name, items in form.errors.as_data().items():
        field = "file" if name == "upload" else name
        for item in items:
            for message in item.messages:
                errors.append(message)
                codes.append(item.code or "invalid")
                if name != "__all__":
                    fields.setdefault(field, []).append(message)
    return refusal(errors, codes, 400, fields)


class DocumentDetail(ApiView):
    """One document's metadata (and a lab report's values)."""

    serializer_class = DocumentSerializer

    @extend_schema(responses={200: DocumentSerializer, 404: NOT_FOUND})
    def get(self, request, pk: int):
        return Response(self.get_serializer(document_for(request.user, pk)).data)


class _AnyAccept(BaseContentNegotiation):
    """The file is what it is, whatever the client's Accept header asks for."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class DocumentDownload(ApiView):
    """The file itself. Served by the portals' download view, so the same scope check and
    the same line in the document access log."""

    content_negotiation_class = _AnyAccept

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
            404: NOT_FOUND,
        }
    )
    def get(self, request, pk: int):
        # DRF set the token's user on Django's request too (Request.user's setter).
        return document_views.download(request._request, pk=pk)
