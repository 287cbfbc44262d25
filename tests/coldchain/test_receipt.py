"""The logger file at receipt, end to end: the hospital admin uploads it in the portal, it is
kept as a temperature_log document, the readings and figures are stored, the temperature fact
is set from them, and an excursion puts the case on hold for the manufacturer's decision
(then only the manufacturer's "use" lets the kit be scheduled). Refused files store nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from cases import rules
from cases.services import case_apply
from coldchain.models import LoggerRecord
from coldchain.services import excursion_decide, logger_upload
from documents.models import Document
from tests.factories import default_facts, upload_document, walk_to

from .samples import BAD, ELPRO_LIKE, GENERIC

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivery(case_a, facilitator):
    return walk_to(case_a, "delivery", facilitator)


def _post(client, case, content: bytes, name="logger.csv"):
    return client.post(
        reverse("coldchain:logger_upload", args=[case.pk]),
        {"logger_file": SimpleUploadedFile(name, content, content_type="text/csv")},
        follow=True,
    )


def _stored_files(settings) -> list[Path]:
    root = Path(settings.PRIVATE_STORAGE_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_clean_logger_file_is_kept_read_and_sets_the_temperature_fact(
    client, delivery, hospital1
):
    client.force_login(hospital1)

    response = _post(client, delivery, ELPRO_LIKE.encode(), name="LX-0042 trip.csv")

    body = response.content.decode()
    assert "Logger file read: 4 readings, between -78.4 and -75.2 °C, never above -60 °C." in body
    record = LoggerRecord.objects.get()
    assert (record.min_celsius, record.max_celsius) == (D("-78.40"), D("-75.20"))
    assert (record.excursion_count, record.seconds_above_limit) == (0, 0)
    assert record.logger_serial == "LX-0042-7781"
    assert len(record.series) == 4
    document = record.document
    assert document.document_type.code == "temperature_log"
    assert (document.content_type, document.original_filename) == ("text/csv", "LX-0042 trip.csv")
    assert document.file.read() == ELPRO_LIKE.encode()  # kept byte for byte
    delivery.refresh_from_db()
    assert delivery.temperature_ok is True
    assert delivery.state == "delivery"
    # The portal page shows the figures and the curve with its limit.
    assert 'id="cold-chain"' in body
    assert "Temperature recorded by the logger" in body
    assert "limit -60 °C" in body
    assert reverse("documents:download", args=[document.pk]) in body


def test_an_excursion_puts_the_case_on_hold_for_the_manufacturers_decision(
    client, delivery, hospital1, facilitator
):
    client.force_login(hospital1)

    body = _post(client, delivery, GENERIC.encode()).content.decode()

    assert "shows 1 temperature excursion(s) above -60 °C" in body
    assert "is on hold until the manufacturer decides" in body
    delivery.refresh_from_db()
    assert delivery.state == "on_hold"
    assert delivery.hold_from_state == "delivery"
    assert delivery.temperature_ok is False
    assert delivery.hold_reason.startswith(
        "Temperature excursion in the logger file: 1 excursion(s) above -60 °C, 60 minute(s) "
        "in all, peak -55.5 °C, the first from 20 Nov 2026 02:00."
    )
    record = LoggerRecord.objects.get()
    assert record.excursions[0]["peak"] == "-55.5"
    # The hold is in the history, by the hospital admin who uploaded the file.
    from tests.factories import state_logs

    assert [(log.state, log.by) for log in state_logs(delivery)][-1] == ("on_hold", hospital1)
    # Once on hold the hospital admin holds nothing more, and its actions offer none.
    from cases import access

    assert not access.may_run(hospital1, delivery, "hold") or delivery.state != "delivery"

    # The facilitator records the manufacturer's decision and resumes; the kit may be
    # scheduled only when the manufacturer allowed its use.
    delivery = case_apply(case=delivery, transition="resume", by=facilitator)
    assert "cold_chain_excursion" in {
        b.code for b in rules.blockers(delivery, "confirm_delivery_and_schedule")
    }
    excursion_decide(record=record, by=facilitator, decision="do_not_use", note="NGT QA, Dr X.")
    (message,) = [
        b.message
        for b in rules.blockers(delivery, "confirm_delivery_and_schedule")
        if b.code == "cold_chain_excursion"
    ]
    assert "must not be used" in message
    excursion_decide(record=record, by=facilitator, decision="use", note="NGT QA: usable.")
    upload_document(delivery, "delivery_receipt", facilitator)
    delivery = case_apply(
        case=delivery,
        transition="confirm_delivery_and_schedule",
        by=hospital1,
        **default_facts("confirm_delivery_and_schedule"),
    )
    assert delivery.state == "infusion_scheduled"


def test_a_later_clean_file_does_not_undo_an_undecided_excursion(delivery, hospital1, facilitator):
    logger_upload(case=delivery, by=hospital1, data=GENERIC.encode(), filename="a.csv")
    delivery.refresh_from_db()
    delivery = case_apply(case=delivery, transition="resume", by=facilitator)
    logger_upload(case=delivery, by=hospital1, data=ELPRO_LIKE.encode(), filename="b.csv")

    found = [
        b.message
        for b in rules.blockers(delivery, "confirm_delivery_and_schedule")
        if b.code == "cold_chain_excursion"
    ]

    assert found == [
        "The logger file shows 1 temperature excursion(s) above the limit; a facilitator "
        "records the manufacturer's decision before the kit may be scheduled."
    ]


def test_only_a_facilitator_records_the_decision_and_says_what_was_decided(
    delivery, hospital1, facilitator
):
    record = logger_upload(case=delivery, by=hospital1, data=GENERIC.encode(), filename="a.csv")
    with pytest.raises(PermissionDenied):
        excursion_decide(record=record, by=hospital1, decision="use", note="x")
    with pytest.raises(ValidationError):
        excursion_decide(record=record, by=facilitator, decision="use", note="  ")
    with pytest.raises(ValidationError):
        excursion_decide(record=record, by=facilitator, decision="maybe", note="x")
    record.refresh_from_db()
    assert record.decision == ""


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_file_is_refused_in_the_portal_and_nothing_is_stored(
    client, delivery, hospital1, settings, name
):
    data, expected = BAD[name]
    client.force_login(hospital1)
    documents_before = Document.objects.count()

    body = _post(client, delivery, data).content.decode()

    assert "Logger file refused: " in body
    if name == "empty":
        assert "The submitted file is empty." in body  # the form refuses it before reading
    else:
        assert escape(expected) in body
        assert "Nothing was stored." in body
    assert not LoggerRecord.objects.exists()
    assert Document.objects.count() == documents_before
    delivery.refresh_from_db()
    assert (delivery.state, delivery.temperature_ok) == ("delivery", None)


def test_a_file_larger_than_the_limit_is_refused_before_it_is_read(
    client, delivery, hospital1, settings
):
    settings.NPP_LOGGER_CSV_MAX_BYTES = 100
    client.force_login(hospital1)
    body = _post(client, delivery, GENERIC.encode()).content.decode()
    assert "larger than 1 MB" in body
    assert not LoggerRecord.objects.exists()


def test_if_the_hold_fails_nothing_stays_not_even_the_file(
    delivery, hospital1, settings, monkeypatch
):
    import coldchain.services as services

    def refuse(**kwargs):
        raise ValidationError("simulated failure after the file was written")

    monkeypatch.setattr(services, "case_apply", refuse)
    with pytest.raises(ValidationError):
        logger_upload(case=delivery, by=hospital1, data=GENERIC.encode(), filename="a.csv")
    assert not LoggerRecord.objects.exists()
    assert not Document.objects.filter(document_type__code="temperature_log").exists()
    assert _stored_files(settings) == [
        p for p in _stored_files(settings) if not p.name.endswith(".csv")
    ]
    delivery.refresh_from_db()
    assert delivery.temperature_ok is None


def test_the_logger_file_is_read_only_at_receipt(case_a, facilitator, hospital1):
    case = walk_to(case_a, "customs", facilitator)
    with pytest.raises(ValidationError, match="read at receipt"):
        logger_upload(case=case, by=facilitator, data=GENERIC.encode(), filename="a.csv")


def test_outsiders_get_404_and_doctors_403(client, delivery, hospital2, doctor1):
    client.force_login(hospital2)
    assert _post(client, delivery, GENERIC.encode()).status_code == 404
    client.force_login(doctor1)
    assert _post(client, delivery, GENERIC.encode()).status_code == 403
    assert not LoggerRecord.objects.exists()


def test_readings_after_the_recorded_receipt_are_not_judged(delivery, facilitator):
    from cases.models import Case

    # The kit went into the fridge at 02:00 IST; the logger kept recording as it warmed.
    Case.objects.filter(pk=delivery.pk).update(
        received_at=dt.datetime.fromisoformat("2026-11-20T01:30:00+05:30")
    )
    delivery.refresh_from_db()
    record = logger_upload(case=delivery, by=facilitator, data=GENERIC.encode(), filename="a.csv")
    assert record.excursion_count == 0
    assert record.reading_count == 9  # the whole series is kept and drawn


def test_the_case_page_shows_the_panel_and_the_upload_form(client, delivery, facilitator):
    client.force_login(facilitator)
    body = client.get(reverse("admin:cases_case_change", args=[delivery.pk])).content.decode()
    assert 'id="logger-upload"' in body
    logger_upload(case=delivery, by=facilitator, data=GENERIC.encode(), filename="a.csv")
    body = client.get(reverse("admin:cases_case_change", args=[delivery.pk])).content.decode()
    assert "Awaiting the manufacturer" in body
    assert (
        reverse("admin:coldchain_loggerrecord_change", args=[LoggerRecord.objects.get().pk]) in body
    )


def test_the_decision_is_recorded_in_the_admin_with_its_words(client, delivery, facilitator):
    record = logger_upload(case=delivery, by=facilitator, data=GENERIC.encode(), filename="a.csv")
    client.force_login(facilitator)
    url = reverse("admin:coldchain_loggerrecord_change", args=[record.pk])

    refused = client.post(url, {"decision": "use", "decision_note": " "})
    assert refused.status_code == 200
    assert "Write what the manufacturer said" in refused.content.decode()

    assert (
        client.post(url, {"decision": "use", "decision_note": "NGT QA: usable."}).status_code == 302
    )
    record.refresh_from_db()
    assert (record.decision, record.decided_by) == ("use", facilitator)


def test_a_clean_record_has_nothing_to_decide_in_the_admin(client, delivery, facilitator):
    record = logger_upload(
        case=delivery, by=facilitator, data=ELPRO_LIKE.encode(), filename="a.csv"
    )
    client.force_login(facilitator)
    response = client.post(
        reverse("admin:coldchain_loggerrecord_change", args=[record.pk]),
        {"decision": "", "decision_note": ""},
    )
    assert response.status_code == 200
    assert "shows no excursion; there is nothing to decide" in response.content.decode()
