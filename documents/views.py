"""The one way a document's bytes leave the server: a scoped, logged download.

On S3 the object is streamed through this view, not handed out as a presigned URL: a URL
would be a bearer token that works for anyone who sees it until it expires, the bucket would
have to be reachable from browsers, and the headers below would be the bucket's to set. A
document is at most NPP_UPLOAD_MAX_BYTES, and streaming holds one chunk at a time.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest
from django.views.decorators.http import require_GET

from .selectors import document_for
from .services import document_access_log
from .storage import ObjectStream, open_for_download


@require_GET
@login_required
def download(request: HttpRequest, pk: int) -> FileResponse:
    document = document_for(request.user, pk)  # 404 outside the user's scope
    document_access_log(
        document=document, by=request.user, ip_address=request.META.get("REMOTE_ADDR")
    )
    stored = open_for_download(document.file)
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=document.original_filename,
        content_type=document.content_type,
    )
    if isinstance(stored, ObjectStream):  # FileResponse cannot measure a stream
        response["Content-Length"] = str(stored.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
