"""Reminders are rendered when they are delivered, and read word for word as they did when the
sweep rendered them.

``golden/reminders.json`` holds what the sweep rendered before the change (every kind: each
stage overdue, the permit, the ETA, the cold chain, prednisolone, lab tests due and overdue,
the day-30 review, missing documents; in-app and email; the guardian's copy). The same scenario
now stores kinds and contexts; each email is delivered right after its sweep and compared with
the email the old sweep stored, and each in-app reminder is rendered as the portal lists it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.utils import timezone

from cases.delivery import deliver
from cases.models import Channel, Notification
from cases.reminders.texts import with_texts
from tests.cases.reminder_scenario import run_scenario

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "golden" / "reminders.json"


def _identity(row: dict) -> tuple:
    return (row["case"], row["kind"], row["recipient"], row["channel"], row["due_at"])


def _sort_key(row: dict) -> str:
    return json.dumps(row, sort_keys=True)


def _as_dict(row: Notification, subject: str, body: str, html: str) -> dict:
    return {
        "case": row.case.reference,
        "kind": row.kind,
        "recipient": row.recipient.username if row.recipient else row.recipient_email,
        "channel": row.channel,
        "due_at": timezone.localtime(row.due_at).isoformat(),
        "subject": subject,
        "body": body,
        "html_body": html,
    }


def test_every_reminder_reads_as_the_sweep_rendered_it_before(mailoutbox):
    now_rendered: list[dict] = []

    def deliver_and_list(rows: list[Notification]) -> None:
        for row in rows:
            if row.channel == Channel.EMAIL:
                assert deliver(row.pk).result == "sent"
                email = mailoutbox[-1]
                now_rendered.append(
                    _as_dict(row, email.subject, email.body, email.alternatives[0].content)
                )
        for row in with_texts(r for r in rows if r.channel == Channel.IN_APP):
            now_rendered.append(_as_dict(row, row.subject, row.body, row.html_body))

    rows = run_scenario(after_sweep=deliver_and_list)

    golden = json.loads(GOLDEN.read_text())
    assert len(rows) == len(golden) == len(now_rendered) == 63
    assert sorted(map(_identity, now_rendered)) == sorted(map(_identity, golden))
    assert sorted(now_rendered, key=_sort_key) == sorted(golden, key=_sort_key)


def test_a_sent_email_keeps_the_text_it_went_out_with(mailoutbox):
    def deliver_emails(rows: list[Notification]) -> None:
        for row in rows:
            if row.channel == Channel.EMAIL:
                deliver(row.pk)

    run_scenario(after_sweep=deliver_emails)

    sent = Notification.objects.filter(channel=Channel.EMAIL, status="sent").order_by("pk")
    assert [(n.subject, n.body) for n in sent] == [(m.subject, m.body) for m in mailoutbox]
    assert not Notification.objects.filter(channel=Channel.IN_APP).exclude(subject="").exists()
