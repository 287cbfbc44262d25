from __future__ import annotations

import pytest

from webhooks.models import EventType, InboundKind, InboundSource, WebhookEndpoint

from .receiver import Receiver


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.fixture
def endpoint(db, receiver):
    """An active endpoint subscribed to every event, pointing at ``receiver`` (which knows its
    secret)."""
    endpoint = WebhookEndpoint.objects.create(
        name="Funder", url=receiver.url, events=list(EventType.values)
    )
    receiver.secret = endpoint.secret
    return endpoint


@pytest.fixture
def courier(db):
    return InboundSource.objects.create(
        name="World Courier", slug="world-courier", kind=InboundKind.SHIPMENT
    )


@pytest.fixture
def logger_source(db):
    return InboundSource.objects.create(
        name="ELPRO logger", slug="elpro", kind=InboundKind.TEMPERATURE
    )
