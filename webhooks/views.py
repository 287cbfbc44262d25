"""The inbound endpoint: ``POST /webhooks/inbound/<source>/``, signed, CSRF-exempt (the
signature authenticates the sender; there is no session or cookie to forge)."""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .inbound import MAX_BODY_BYTES, Refused, inbound_receive

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def inbound(request: HttpRequest, source: str) -> JsonResponse:
    """200 ``{"status": "recorded"}`` or ``{"status": "duplicate"}``; a refusal is a 4xx with
    ``{"error": ...}`` and stores nothing (``webhooks.inbound``)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        return JsonResponse({"error": f"The body is over {MAX_BODY_BYTES} bytes."}, status=413)
    try:
        result = inbound_receive(slug=source, body=request.body, headers=request.headers)
    except Refused as refusal:
        logger.warning(
            "inbound webhook from %r refused (%s): %s", source, refusal.status, refusal.message
        )
        return JsonResponse({"error": refusal.message}, status=refusal.status)
    return JsonResponse({"status": result})
