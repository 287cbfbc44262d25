"""Helpers for the API tests: a token client per persona, and high request budgets (the
throttling test sets its own)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api.services import api_token_create


@pytest.fixture(autouse=True)
def _fresh_budgets(settings):
    """Each test starts with empty throttle counters and budgets no crawl reaches."""
    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "api_token": "100000/minute",
            "api_session": "100000/minute",
            "api_anonymous": "100000/minute",
        },
    }
    yield
    cache.clear()


def token_client(user, name: str = "test") -> APIClient:
    """A client sending a fresh token of ``user``'s (as a program would)."""
    _, token = api_token_create(user=user, name=name, by=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    client.token = token
    return client


@pytest.fixture
def api():
    """``api(user)``: a token client for ``user``; ``api(None)``: no credentials."""
    return lambda user, name="test": token_client(user, name) if user is not None else APIClient()


def streamed(response) -> bytes:
    """A download's bytes, closing the file (without closing the test's connection)."""
    from tests.portal.conftest import close_response

    content = b"".join(response.streaming_content)
    close_response(response)
    return content
