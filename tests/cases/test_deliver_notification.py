"""Delivering email reminders: once, whatever retries, duplicate tasks or SMTP failures happen."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
import time_machine
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.utils import timezone

from cases import reminders, tasks
from cases.models import Channel, Notification
from cases.reminders import reminders_sweep
from cases.tasks import deliver_notification_task
from tests.factories import walk_to

pytestmark = pytest.mark.django_db

FLAKY_BACKEND = f"{__name__}.FlakySMTPBackend"


class FlakySMTPBackend(LocmemBackend):
    """The locmem backend (so ``mailoutbox`` sees what was sent) behind a mail server that
    drops the connection ``failures`` times first."""

    failures = 0

    def send_messages(self, messages):
        if FlakySMTPBackend.failures > 0:
            FlakySMTPBackend.failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def flaky_smtp(settings):
    settings.EMAIL_BACKEND = FLAKY_BACKEND
    FlakySMTPBackend.failures = 1
    yield FlakySMTPBackend
    FlakySMTPBackend.failures = 0


@pytest.fixture
def eta_passed(case_a, facilitator, hospital1):
    """A case stuck in customs, swept 3 days after dispatch: an ETA-passed reminder by email
    to the facilitator and hospital1 (plus their in-app copies)."""
    case = walk_to(case_a, "customs", facilitator)
    reminders_sweep(now=timezone.now() + dt.timedelta(days=3))
    return case


def email_to(user) -> Notification:
    return Notification.objects.get(recipient=user, channel=Channel.EMAIL)


def test_a_sweep_delivers_each_email_once(settings, case_a, facilitator, hospital1, mailoutbox,
                                          django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    case = walk_to(case_a, "customs", facilitator)
    later = timezone.now() + dt.timedelta(days=3)

    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep(now=later)
    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep(now=later + dt.timedelta(hours=1))  # enqueues nothing new

    assert sorted(m.to[0] for m in mailoutbox) == ["facilitator@example.in", "hospital1@example.in"]
    assert mailoutbox[0].subject == f"{case.reference}: ETA passed, still in customs"
    assert mailoutbox[0].alternatives[0].mimetype == "text/html"
    assert not Notification.objects.filter(channel=Channel.EMAIL, sent_at__isnull=True).exists()


def test_an_email_is_sent_once_when_its_task_runs_twice(eta_passed, facilitator, mailoutbox):
    pk = email_to(facilitator).pk

    first = deliver_notification_task.apply(args=[pk])
    second = deliver_notification_task.apply(args=[pk])
    third = deliver_notification_task(pk)  # called directly, as a shell would

    assert (first.get(), second.get(), third) == ("sent", "nothing to send", "nothing to send")
    assert [m.to for m in mailoutbox] == [["facilitator@example.in"]]
    notification = email_to(facilitator)
    assert notification.sent_at is not None
    assert notification.attempts == 1


def test_an_in_app_notification_is_never_emailed(eta_passed, facilitator, mailoutbox):
    in_app = Notification.objects.get(recipient=facilitator, channel=Channel.IN_APP)

    assert deliver_notification_task.apply(args=[in_app.pk]).get() == "nothing to send"
    assert mailoutbox == []


def test_a_claim_held_by_a_running_delivery_blocks_a_second_task(eta_passed, facilitator,
                                                                   mailoutbox):
    notification = email_to(facilitator)
    Notification.objects.filter(pk=notification.pk).update(claimed_at=timezone.now())

    assert deliver_notification_task.apply(args=[notification.pk]).get() == "nothing to send"
    assert mailoutbox == []


def test_a_claim_older_than_the_lease_is_taken_over_and_sent_once(eta_passed, facilitator,
                                                                    mailoutbox):
    """A worker that died mid-delivery leaves its claim; after the lease another sends it."""
    notification = email_to(facilitator)
    abandoned = timezone.now() - dt.timedelta(seconds=tasks.CLAIM_LEASE_SECONDS + 1)
    Notification.objects.filter(pk=notification.pk).update(claimed_at=abandoned, attempts=1)

    assert deliver_notification_task.apply(args=[notification.pk]).get() == "sent"
    assert deliver_notification_task.apply(args=[notification.pk]).get() == "nothing to send"
    assert len(mailoutbox) == 1
    assert email_to(facilitator).attempts == 2


def test_an_expired_lease_never_makes_a_sent_notification_claimable_again(
        eta_passed, facilitator, mailoutbox):
    """A mutation run found this untested: the claim must require an unsent row, however old
    its claim is."""
    notification = email_to(facilitator)
    long_ago = timezone.now() - dt.timedelta(seconds=tasks.CLAIM_LEASE_SECONDS * 10)
    Notification.objects.filter(pk=notification.pk).update(claimed_at=long_ago, sent_at=long_ago,
                                                           attempts=1)

    assert deliver_notification_task.apply(args=[notification.pk]).get() == "nothing to send"
    assert mailoutbox == []
    unchanged = email_to(facilitator)
    assert (unchanged.attempts, unchanged.claimed_at, unchanged.sent_at) == (1, long_ago, long_ago)


def test_a_delivery_is_stopped_well_within_the_claim_lease():
    """Otherwise a hung send could outlive its claim and be sent again by another task."""
    assert deliver_notification_task.soft_time_limit < deliver_notification_task.time_limit
    assert deliver_notification_task.time_limit < tasks.CLAIM_LEASE_SECONDS


def test_a_dropped_smtp_connection_releases_the_claim_and_records_the_error(
    eta_passed, facilitator, flaky_smtp, mailoutbox
):
    pk = email_to(facilitator).pk

    with pytest.raises(smtplib.SMTPServerDisconnected):
        deliver_notification_task(pk)

    failed = email_to(facilitator)
    assert (failed.claimed_at, failed.sent_at, failed.attempts) == (None, None, 1)
    assert failed.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert mailoutbox == []

    assert deliver_notification_task.apply(args=[pk]).get() == "sent"

    sent = email_to(facilitator)
    assert [m.to for m in mailoutbox] == [["facilitator@example.in"]]
    assert (sent.sent_at is not None, sent.attempts, sent.last_error) == (True, 2, "")


def test_celery_retries_a_dropped_smtp_connection_with_backoff_and_sends_once(
    eta_passed, facilitator, flaky_smtp, mailoutbox, monkeypatch
):
    task = deliver_notification_task._get_current_object()
    retries = []
    original_retry = type(task).retry

    def spy(self, *args, **kwargs):
        row = email_to(facilitator)
        retries.append((type(kwargs["exc"]), kwargs["countdown"], row.claimed_at, row.last_error))
        return original_retry(self, *args, **kwargs)

    monkeypatch.setattr(type(task), "retry", spy)
    pk = email_to(facilitator).pk

    result = deliver_notification_task.apply(args=[pk])  # eager: the retry runs at once

    assert result.get() == "sent"
    [(error, countdown, claimed_at, last_error)] = retries
    assert error is smtplib.SMTPServerDisconnected
    assert 0 <= countdown <= 30  # retry_backoff=30 with full jitter
    assert claimed_at is None  # released, so the retry (or a later sweep) may claim it
    assert last_error.startswith("SMTPServerDisconnected")
    assert [m.to for m in mailoutbox] == [["facilitator@example.in"]]
    assert email_to(facilitator).attempts == 2


def test_a_sweep_enqueues_an_email_left_unsent_by_a_failure_again(
    eta_passed, facilitator, hospital1, flaky_smtp, mailoutbox,
    django_capture_on_commit_callbacks, monkeypatch
):
    """Celery gave up (or the worker died): the next sweep enqueues what is still unsent."""
    with pytest.raises(smtplib.SMTPServerDisconnected):
        deliver_notification_task(email_to(facilitator).pk)
    deliver_notification_task(email_to(hospital1).pk)
    enqueued = []
    monkeypatch.setattr(reminders, "_enqueue", lambda task, ids: enqueued.extend(ids))

    later = timezone.now() + dt.timedelta(days=3, minutes=15)
    with django_capture_on_commit_callbacks(execute=True):
        reminders_sweep(now=later)  # too soon: its task may still be on its way
    assert enqueued == []
    with time_machine.travel(timezone.now() + reminders.RETRY_AFTER + dt.timedelta(minutes=1)), \
            django_capture_on_commit_callbacks(execute=True):
        created = reminders_sweep(now=later)

    assert (created, enqueued) == (0, [email_to(facilitator).pk])
    deliver_notification_task.apply(args=enqueued)
    assert sorted(m.to[0] for m in mailoutbox) == ["facilitator@example.in", "hospital1@example.in"]
