"""Pages when something behind the web server is down (issue 12, item 4).

Every page answers with our own styled page, never Django's bare "Server Error (500)", a stack
trace or a setting: a 503 with ``Retry-After`` when the database cannot be reached, a 500
otherwise. The page is rendered without the database or the session (they may be what is
down). The database outage is simulated in-process (every query fails the way a lost server
does) and for real, in a subprocess whose ``DATABASE_URL`` points at a closed port or at one
that never answers.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client, RequestFactory

from npp.errors import server_error

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def server():
    """A client that answers the way the server does (the default client re-raises errors)."""
    return Client(raise_request_exception=False)


@pytest.fixture
def lose_the_database(monkeypatch):
    """Call it, and from then on every query fails as it does when PostgreSQL went away."""

    def lost(self, *args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    return lambda: monkeypatch.setattr(BaseDatabaseWrapper, "_cursor", lost)


def assert_our_page(response, *, status: int) -> str:
    page = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert "temporarily unavailable" in page
    assert 'rel="stylesheet" href="/static/npp/portal.css"' in page  # ours, from static
    assert "http://" not in page
    assert "https://" not in page
    for leak in (
        "Traceback",
        "OperationalError",
        "RuntimeError",
        "secret-detail",
        settings.SECRET_KEY,
        "Server Error (500)",
    ):
        assert leak not in page
    assert {"no-store", "private"} <= {p.strip() for p in response["Cache-Control"].split(",")}
    return page


@pytest.mark.django_db
def test_with_the_database_lost_every_page_is_a_styled_503_with_retry_after(
    server, doctor1, facilitator, lose_the_database
):
    server.force_login(doctor1)  # the session lives in the database
    staff = Client(raise_request_exception=False)
    staff.force_login(facilitator)
    lose_the_database()

    for client, url in [
        (server, "/portal/doctor/"),
        (server, "/portal/reminders/"),
        (staff, "/admin/cases/case/"),
        (staff, "/dashboard/"),
    ]:
        response = client.get(url)
        assert_our_page(response, status=503)
        assert response["Retry-After"] == "30", url
        assert "database" not in response.content.decode().lower()  # no detail of ours either


@pytest.mark.django_db
def test_any_other_server_error_is_a_styled_500_without_details(server, doctor1, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret-detail of a bug")

    monkeypatch.setattr("portals.doctor.views.case_page", broken)
    server.force_login(doctor1)

    response = server.get("/portal/doctor/")

    assert_our_page(response, status=500)
    assert "Retry-After" not in response


class _Untouchable:
    def __getattr__(self, name):
        raise AssertionError(f"the error page touched {name!r}")


def test_the_error_page_touches_neither_the_database_nor_the_session():
    """No ``django_db`` mark: any query here raises (pytest-django), as would the session or
    the user; the page would then be the unstyled fallback."""
    request = RequestFactory().get("/portal/doctor/")
    request.session = _Untouchable()
    request.user = _Untouchable()
    try:
        raise OperationalError("could not connect to server")
    except OperationalError:
        response = server_error(request)

    assert response.status_code == 503
    assert b'rel="stylesheet" href="/static/npp/portal.css"' in response.content
    assert b"temporarily unavailable" in response.content


def _unanswering_port() -> tuple[socket.socket, list[socket.socket], int]:
    """A port that never answers: its listen queue is full, so new connections' SYNs are
    dropped, as with a firewall or a lost route (connection refused would come at once)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(listener.getsockname())
        fillers.append(filler)
    return listener, fillers, listener.getsockname()[1]


PROBE = """
import json, time, django
django.setup()
from django.test import Client
from django.conf import settings
client = Client(raise_request_exception=False)
client.cookies["sessionid"] = "a" * 32  # a signed-in browser: the session is looked up
started = time.monotonic()
response = client.get("/portal/doctor/")
print(json.dumps({"status": response.status_code, "retry_after": response.get("Retry-After"),
                  "page": response.content.decode(), "seconds": time.monotonic() - started,
                  "connect_timeout": settings.DATABASES["default"]["OPTIONS"].get("connect_timeout")}))
"""


def _probe(port: int, **env: str) -> dict:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "CELERY_"))
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **clean,
            "DATABASE_URL": f"postgres://npp@127.0.0.1:{port}/npp",
            "DJANGO_DEBUG": "false",
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DJANGO_SETTINGS_MODULE": "npp.settings",
            **env,
        },
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_postgresql_refusing_connections_the_page_is_a_styled_503(tmp_path):
    answer = _probe(1, NPP_VAR_DIR=str(tmp_path))  # nothing listens on port 1

    assert (answer["status"], answer["retry_after"]) == (503, "30")
    assert "temporarily unavailable" in answer["page"]
    assert "Traceback" not in answer["page"]


def test_with_postgresql_not_answering_the_page_gives_up_after_the_connect_timeout(tmp_path):
    listener, fillers, port = _unanswering_port()
    try:
        answer = _probe(port, NPP_VAR_DIR=str(tmp_path), DJANGO_DB_CONNECT_TIMEOUT="2")
    finally:
        for sock in (listener, *fillers):
            sock.close()

    assert answer["connect_timeout"] == 2
    assert (answer["status"], answer["retry_after"]) == (503, "30")
    assert answer["seconds"] < 10  # the kernel alone would wait about two minutes


def test_the_database_connect_timeout_defaults_to_five_seconds(tmp_path):
    answer = _probe(1, NPP_VAR_DIR=str(tmp_path))

    assert answer["connect_timeout"] == 5
