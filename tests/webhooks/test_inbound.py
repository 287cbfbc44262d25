"""``POST /webhooks/inbound/<source>/``: signed events from couriers and temperature loggers,
verified with the standardwebhooks verifier, recorded once per webhook-id on their case;
anything refused is answered 4xx and stored nowhere."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import pytest
from django.test import Client
from django.utils import timezone
from standardwebhooks import Webhook

from cases.models import Case
from tests.factories import walk_to
from webhooks.models import InboundEvent, InboundSource, new_secret

pytestmark = pytest.mark.django_db


def signed(
    secret: str, payload: dict | bytes, *, webhook_id: str | None = None, at: float | None = None
) -> tuple[bytes, dict[str, str]]:
    """A body and headers as a Standard Webhooks sender makes them (the library's signer)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    moment = dt.datetime.fromtimestamp(int(at or time.time()), tz=dt.UTC)
    return body, {
        "HTTP_WEBHOOK_ID": webhook_id,
        "HTTP_WEBHOOK_TIMESTAMP": str(int(moment.timestamp())),
        "HTTP_WEBHOOK_SIGNATURE": Webhook(secret).sign(webhook_id, moment, body.decode()),
    }


def post(source: InboundSource | str, payload, *, secret: str | None = None, client=None, **kwargs):
    slug = source if isinstance(source, str) else source.slug
    body, headers = signed(secret or source.secret, payload, **kwargs)
    return (client or Client(enforce_csrf_checks=True)).post(
        f"/webhooks/inbound/{slug}/", body, content_type="application/json", **headers
    )


def shipment(case, type_="shipment.status", **data):
    return {
        "type": type_,
        "timestamp": timezone.now().isoformat(),
        "data": {"reference": case.reference, **data},
    }


@pytest.fixture
def in_customs(case_a, facilitator):
    return walk_to(case_a, "customs", facilitator)


def test_a_signed_tracking_event_is_recorded_on_its_case_without_a_csrf_token(courier, case_a):
    response = post(courier, shipment(case_a, status="In transit", location="Frankfurt (FRA)"))

    assert (response.status_code, response.json()) == (200, {"status": "recorded"})
    [event] = InboundEvent.objects.all()
    assert (event.case, event.source, event.event_type) == (case_a, courier, "shipment.status")
    assert (event.shipment_status, event.location) == ("In transit", "Frankfurt (FRA)")


def test_the_same_webhook_id_is_recorded_once(courier, case_a):
    payload = shipment(case_a, "shipment.location", location="Mumbai (BOM)")
    first = post(courier, payload, webhook_id="msg_1")
    again = post(courier, payload, webhook_id="msg_1")

    assert first.json() == {"status": "recorded"}
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert InboundEvent.objects.count() == 1


@pytest.mark.parametrize(
    "tamper",
    ["wrong secret", "body changed", "too old", "no signature", "garbage signature", "future"],
)
def test_a_bad_signature_is_refused_with_401_and_stored_nowhere(courier, case_a, tamper):
    payload = shipment(case_a, status="Delivered")
    body, headers = signed(
        new_secret() if tamper == "wrong secret" else courier.secret,
        payload,
        at=time.time() + {"too old": -301, "future": 301}.get(tamper, 0),
    )
    if tamper == "body changed":
        body = body.replace(b"Delivered", b"Lost")
    if tamper == "no signature":
        del headers["HTTP_WEBHOOK_SIGNATURE"]
    if tamper == "garbage signature":
        headers["HTTP_WEBHOOK_SIGNATURE"] = "garbage"

    response = Client().post(
        f"/webhooks/inbound/{courier.slug}/", body, content_type="application/json", **headers
    )

    assert response.status_code == 401
    assert response.json() == {"error": "The webhook signature does not verify."}
    assert not InboundEvent.objects.exists()


def test_another_sources_secret_does_not_verify(courier, logger_source, case_a):
    response = post(courier, shipment(case_a, status="x"), secret=logger_source.secret)

    assert response.status_code == 401


def test_an_unknown_case_is_refused_with_422_and_stored_nowhere(courier):
    response = post(
        courier,
        {"type": "shipment.status", "data": {"reference": "NPP-1999-0001", "status": "In transit"}},
    )

    assert response.status_code == 422
    assert "NPP-1999-0001" in response.json()["error"]
    assert not InboundEvent.objects.exists()


def test_an_unknown_or_switched_off_source_is_404(courier, case_a):
    assert post("nobody", shipment(case_a, status="x"), secret=courier.secret).status_code == 404
    courier.active = False
    courier.save()
    assert post(courier, shipment(case_a, status="x")).status_code == 404


def test_only_post_is_answered(courier):
    assert Client().get(f"/webhooks/inbound/{courier.slug}/").status_code == 405


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"type": "shipment.status"}, 'Expected {"type": ..., "data": {...}}.'),
        ({"type": "temperature.reading", "data": {}}, "Unknown or unexpected type"),
        (
            {"type": "shipment.eta", "data": {"reference": "{ref}", "eta": "2026-12-03T09:00"}},
            "eta: an ISO 8601 date and time with its offset expected.",
        ),
        (
            {"type": "shipment.status", "data": {"reference": "{ref}", "status": ""}},
            "data.status: text of 1 to 60 characters expected.",
        ),
        (
            {
                "type": "shipment.status",
                "timestamp": "yesterday",
                "data": {"reference": "{ref}", "status": "x"},
            },
            "timestamp: an ISO 8601",
        ),
    ],
)
def test_a_malformed_payload_is_refused_with_400(courier, case_a, payload, error):
    payload = json.loads(json.dumps(payload).replace("{ref}", case_a.reference))

    response = post(courier, payload)

    assert response.status_code == 400
    assert response.json()["error"].startswith(error)
    assert not InboundEvent.objects.exists()


def test_a_body_that_is_not_json_is_refused_with_400(courier):
    assert post(courier, b"not json").status_code == 400


def test_an_oversized_body_is_refused_with_413(courier, case_a):
    big = shipment(case_a, status="x", note="x" * 70_000)

    assert post(courier, big).status_code == 413


def test_a_newer_eta_goes_to_the_case_through_the_cases_service(courier, in_customs):
    eta = (in_customs.eta + dt.timedelta(hours=20)).replace(microsecond=0)

    response = post(courier, shipment(in_customs, "shipment.eta", eta=eta.isoformat()))

    assert response.status_code == 200
    in_customs.refresh_from_db()
    assert in_customs.eta == eta
    assert InboundEvent.objects.get().outcome == "ETA recorded on the case."


def test_an_eta_sent_before_one_already_received_does_not_replace_it(courier, in_customs):
    now = timezone.now().replace(microsecond=0)
    newer = now + dt.timedelta(days=3)
    post(
        courier,
        {
            "type": "shipment.eta",
            "timestamp": now.isoformat(),
            "data": {"reference": in_customs.reference, "eta": newer.isoformat()},
        },
    )

    post(
        courier,
        {
            "type": "shipment.eta",
            "timestamp": (now - dt.timedelta(hours=1)).isoformat(),
            "data": {
                "reference": in_customs.reference,
                "eta": (now + dt.timedelta(days=1)).isoformat(),
            },
        },
    )

    in_customs.refresh_from_db()
    assert in_customs.eta == newer
    assert InboundEvent.objects.order_by("occurred_at").first().outcome == (
        "Not applied: a later ETA was already received."
    )


def test_an_eta_for_a_case_not_in_transit_is_kept_but_not_applied(courier, case_a):
    post(courier, shipment(case_a, "shipment.eta", eta="2026-12-03T09:00:00+05:30"))

    assert Case.objects.get(pk=case_a.pk).eta is None
    assert InboundEvent.objects.get().outcome.startswith("Not applied: the case is application")


def test_a_reading_above_minus_60_before_receipt_is_an_excursion(logger_source, in_customs):
    for celsius in (-72.5, -58):
        response = post(
            logger_source,
            {
                "type": "temperature.reading",
                "timestamp": timezone.now().isoformat(),
                "data": {
                    "reference": in_customs.reference,
                    "celsius": celsius,
                    "logger_serial": "ELPRO-123",
                },
            },
        )
        assert response.status_code == 200

    cold, warm = InboundEvent.objects.order_by("celsius")
    assert (str(cold.celsius), cold.excursion, cold.outcome) == ("-72.50", False, "")
    assert (str(warm.celsius), warm.excursion) == ("-58.00", True)
    assert warm.outcome == "Excursion: above -60 °C before receipt."
    assert warm.logger_serial == "ELPRO-123"


def test_a_fridge_reading_after_receipt_is_no_excursion(logger_source, case_a, facilitator):
    case = walk_to(case_a, "infusion_scheduled", facilitator)

    post(
        logger_source,
        {"type": "temperature.reading", "data": {"reference": case.reference, "celsius": 5}},
    )

    assert InboundEvent.objects.get().excursion is False


@pytest.mark.parametrize("celsius", ["-70", True, 1000, None])
def test_a_reading_must_be_a_plausible_number(logger_source, case_a, celsius):
    response = post(
        logger_source,
        {
            "type": "temperature.reading",
            "data": {"reference": case_a.reference, "celsius": celsius},
        },
    )

    assert response.status_code == 400


def test_a_courier_may_not_send_readings(courier, case_a):
    response = post(
        courier,
        {"type": "temperature.reading", "data": {"reference": case_a.reference, "celsius": -70}},
    )

    assert response.status_code == 400
    assert (
        "this source sends shipment.status, shipment.location, shipment.eta"
        in (response.json()["error"])
    )
