"""The API's doc page: Swagger UI from our own static files (drf-spectacular-sidecar and
``static/api/docs.js``), no CDN and no inline script, so the site's CSP holds."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET


@require_GET
@ensure_csrf_cookie
def docs(request):
    """Open to anyone, like the schema it shows: no patient data. Trying a request out uses
    the browser's session (and its CSRF token) or a token typed into "Authorize"."""
    return render(request, "api/docs.html")
