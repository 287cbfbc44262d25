"""Error pages: ours, styled, and safe to render when the database is what failed.

Django's ``handler500`` runs inside the ``except`` block of the error, so ``sys.exc_info()``
names it: the database (or the broker) unreachable is a 503 with ``Retry-After`` ("try again
shortly"), anything else a 500. Both pages say the service is temporarily unavailable, show no
detail (the error and its traceback go to the log, as Django logs every 5xx), and are
rendered from a template alone: no request context, so no session, user or query.
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

# Seconds a client should wait before trying again: a restarted database or Redis is
# usually back within that.
RETRY_AFTER_SECONDS = 30
UNAVAILABLE = (OperationalError, InterfaceError, BrokerError)

FALLBACK = (
    b"<!doctype html><title>Temporarily unavailable</title>"
    b"<p>The service is temporarily unavailable. Please try again in a minute.</p>"
)


def service_unavailable(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or an exception it was raised from) says a service we depend on
    cannot be reached, rather than that our code is wrong."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, UNAVAILABLE):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _page(template: str, status: int) -> HttpResponse:
    try:
        body: str | bytes = loader.get_template(template).render({})
    except Exception:
        logger.exception("error page %s could not be rendered", template)
        body = FALLBACK
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``."""
    if service_unavailable(sys.exc_info()[1]):
        response = _page("503.html", status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return _page("500.html", status=500)
