from __future__ import annotations

import time

import pytest

import npp.healthz
from npp.celery import app as celery_app

pytestmark = pytest.mark.django_db

DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def dead_broker():
    """Point Celery at a closed port for the test, whatever broker the suite runs with."""
    saved = celery_app.conf.broker_url
    celery_app.conf.broker_url = DEAD_BROKER
    try:
        yield
    finally:
        celery_app.conf.broker_url = saved


def test_healthz_is_ok_when_database_and_broker_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "status": "ok"}


def test_healthz_needs_no_login_and_is_never_cached(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


def test_healthz_reports_the_broker_down_with_503_and_answers_quickly(client, dead_broker):
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "down", "status": "down"}
    assert elapsed < 5, "a probe with a 5 s timeout would give up before the answer"


def test_healthz_reports_the_database_down_with_503(client, monkeypatch):
    monkeypatch.setattr(npp.healthz, "database_ok", lambda: False)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "down", "broker": "ok", "status": "down"}
