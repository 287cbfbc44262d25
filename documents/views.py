"""The one way a document's bytes leave the server: a scoped, logged download."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest
from django.views.decorators.http import require_GET

from .selectors import document_for
from .services import document_access_log


@require_GET
@login_required
def download(request: HttpRequest, pk: int) -> FileResponse:
    document = document_for(request.user, pk)  # 404 outside the user's scope
    document_access_log(
        document=document, by=request.user, ip_address=request.META.get("REMOTE_ADDR")
    )
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.original_filename,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
