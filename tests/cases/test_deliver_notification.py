"""Delivering email reminders: once, whatever retries, duplicate tasks or SMTP failures happen."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import smtplib
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.utils import timezone

from cases import delivery, reminders, tasks
from cases.models import Channel, Notification
from cases.reminders import reminders_sweep
from cases.tasks import deliver_notification_task
from npp.celery import app as celery_app
from tests.factories import walk_to
from tests.smtp_sink import SMTPSink, free_port

pytestmark = pytest.mark.django_db

Status = Notification.Status

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


def test_a_sweep_delivers_each_email_once(
    settings, case_a, facilitator, hospital1, mailoutbox, django_capture_on_commit_callbacks
):
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


def test_a_claim_held_by_a_running_delivery_blocks_a_second_task(
    eta_passed, facilitator, mailoutbox
):
    notification = email_to(facilitator)
    Notification.objects.filter(pk=notification.pk).update(
        status=Status.CONNECTING, claimed_at=timezone.now()
    )

    assert deliver_notification_task.apply(args=[notification.pk]).get() == "nothing to send"
    assert mailoutbox == []


def test_a_claim_older_than_the_lease_is_taken_over_and_sent_once(
    eta_passed, facilitator, mailoutbox
):
    """A worker that died while connecting (before handing the message over) leaves its claim;
    after the lease another delivery sends it."""
    notification = email_to(facilitator)
    abandoned = timezone.now() - dt.timedelta(seconds=tasks.CLAIM_LEASE_SECONDS + 1)
    Notification.objects.filter(pk=notification.pk).update(
        status=Status.CONNECTING, claimed_at=abandoned, attempts=1
    )

    assert deliver_notification_task.apply(args=[notification.pk]).get() == "sent"
    assert deliver_notification_task.apply(args=[notification.pk]).get() == "nothing to send"
    assert len(mailoutbox) == 1
    assert email_to(facilitator).attempts == 2


def test_an_expired_lease_never_makes_a_sent_notification_claimable_again(
    eta_passed, facilitator, mailoutbox
):
    """A mutation run found this untested: the claim must require an unsent row, however old
    its claim is."""
    notification = email_to(facilitator)
    long_ago = timezone.now() - dt.timedelta(seconds=tasks.CLAIM_LEASE_SECONDS * 10)
    Notification.objects.filter(pk=notification.pk).update(
        claimed_at=long_ago, sent_at=long_ago, attempts=1
    )

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
    eta_passed,
    facilitator,
    hospital1,
    flaky_smtp,
    mailoutbox,
    django_capture_on_commit_callbacks,
    monkeypatch,
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
    with (
        time_machine.travel(timezone.now() + reminders.RETRY_AFTER + dt.timedelta(minutes=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        created = reminders_sweep(now=later)

    assert (created, enqueued) == (0, [email_to(facilitator).pk])
    deliver_notification_task.apply(args=enqueued)
    assert sorted(m.to[0] for m in mailoutbox) == ["facilitator@example.in", "hospital1@example.in"]


# --- Exactly once through crashes: the attempt's step on the row ------------------------------

LEASE = dt.timedelta(seconds=tasks.CLAIM_LEASE_SECONDS)


def age(notification: Notification, *, status: str, by: dt.timedelta = LEASE, **fields) -> None:
    """Stand in for a worker that died in ``status`` ``by`` ago (claim, and hand-over if any)."""
    at = timezone.now() - by - dt.timedelta(seconds=1)
    Notification.objects.filter(pk=notification.pk).update(
        status=status, claimed_at=at, attempts=1, **fields
    )


@pytest.fixture
def smtp(settings):
    """Django's real SMTP backend talking to a real SMTP server on 127.0.0.1."""
    with SMTPSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 1
        yield sink


def sweep_enqueues(monkeypatch, django_capture_on_commit_callbacks, *, after=dt.timedelta(0)):
    """The ids a sweep run ``after`` from now enqueues (nothing is sent)."""
    enqueued = []
    monkeypatch.setattr(reminders, "_enqueue", lambda task, ids: enqueued.extend(ids))
    with (
        time_machine.travel(timezone.now() + after),
        django_capture_on_commit_callbacks(execute=True),
    ):
        reminders_sweep(now=timezone.now() + dt.timedelta(days=3))
    return enqueued


@pytest.mark.parametrize(
    "status", [Status.SENT, Status.UNCERTAIN, Status.FAILED, Status.HANDED_OVER]
)
@pytest.mark.parametrize("claimed", ["long ago", "never"])
def test_an_expired_lease_never_makes_a_finished_or_handed_over_email_claimable(
    eta_passed, facilitator, mailoutbox, status, claimed
):
    """Issue 10 item 8: only pending and connecting rows are claimable; a lease that expired
    on a sent (or uncertain, failed, handed-over) row must not let a delivery send it again."""
    notification = email_to(facilitator)
    long_ago = timezone.now() - 10 * LEASE
    Notification.objects.filter(pk=notification.pk).update(
        status=status,
        attempts=1,
        sent_at=long_ago if status == Status.SENT else None,
        claimed_at=long_ago if claimed == "long ago" else None,
    )

    result = deliver_notification_task.apply(args=[notification.pk]).get()

    after = email_to(facilitator)
    assert result == "nothing to send"
    assert mailoutbox == []
    assert after.attempts == 1
    assert after.status == (
        Status.UNCERTAIN if status == Status.HANDED_OVER and claimed == "long ago" else status
    )
    assert not Notification.objects.filter(
        delivery.claimable(timezone.now()), pk=notification.pk
    ).exists()


def test_the_message_id_is_stable_per_notification_and_sent_in_the_email(
    eta_passed, facilitator, hospital1, mailoutbox
):
    mine, theirs = email_to(facilitator), email_to(hospital1)
    digest = hashlib.sha256(mine.dedupe_key.encode()).hexdigest()[:12]

    assert mine.message_id == f"<npp-notification-{mine.pk}-{digest}@npp.invalid>"
    assert Notification.objects.get(pk=mine.pk).message_id == mine.message_id
    assert theirs.message_id != mine.message_id
    deliver_notification_task(mine.pk)
    assert mailoutbox[0].message()["Message-ID"] == mine.message_id


def test_over_smtp_the_step_is_recorded_before_the_message_is_handed_over(
    eta_passed, facilitator, smtp, monkeypatch
):
    notification = email_to(facilitator)
    seen = []
    original = smtplib.SMTP.data

    def data(self, msg):  # smtplib sending DATA: what does the row say at that moment?
        seen.append(Notification.objects.get(pk=notification.pk).status)
        return original(self, msg)

    monkeypatch.setattr(smtplib.SMTP, "data", data)

    assert deliver_notification_task(notification.pk) == "sent"

    sent = email_to(facilitator)
    assert seen == [Status.HANDED_OVER]
    assert smtp.accepted == [notification.message_id]
    assert (sent.status, sent.attempts, sent.last_error) == (Status.SENT, 1, "")
    assert sent.claimed_at <= sent.handed_over_at <= sent.sent_at


def test_a_refused_recipient_fails_and_is_never_tried_again(
    eta_passed, facilitator, smtp, monkeypatch, django_capture_on_commit_callbacks
):
    smtp.refuse["facilitator@example.in"] = "550 5.1.1 No such user"
    pk = email_to(facilitator).pk

    assert deliver_notification_task.apply(args=[pk]).get() == "failed"

    failed = email_to(facilitator)
    assert (failed.status, failed.attempts) == (Status.FAILED, 1)
    assert "550" in failed.last_error
    assert "No such user" in failed.last_error
    assert smtp.accepted == []
    later = 2 * reminders.RETRY_AFTER
    assert pk not in sweep_enqueues(monkeypatch, django_capture_on_commit_callbacks, after=later)
    assert deliver_notification_task(pk) == "nothing to send"


def test_a_message_refused_with_5xx_after_data_fails(eta_passed, facilitator, smtp):
    smtp.data_reply = "554 5.6.0 Message rejected"

    assert deliver_notification_task(email_to(facilitator).pk) == "failed"
    assert email_to(facilitator).status == Status.FAILED


def test_a_temporary_refusal_after_data_is_retried_not_uncertain(eta_passed, facilitator, smtp):
    """The server answered: it does not have the message, so trying again is safe."""
    smtp.data_reply = "451 4.3.0 Try again later"
    pk = email_to(facilitator).pk

    outcome = delivery.deliver(pk)

    row = email_to(facilitator)
    assert (outcome.result, row.status, row.claimed_at) == ("retry", Status.PENDING, None)
    assert 0 <= outcome.retry_in <= delivery.BACKOFF_BASE
    smtp.data_reply = ""
    assert delivery.deliver(pk).result == "sent"
    assert smtp.accepted == [row.message_id]


def test_an_unreachable_mail_server_is_retried(eta_passed, facilitator, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens

    outcome = delivery.deliver(email_to(facilitator).pk)

    row = email_to(facilitator)
    assert (outcome.result, row.status, row.handed_over_at) == ("retry", Status.PENDING, None)
    assert row.last_error.startswith("ConnectionRefusedError")


def test_no_answer_after_the_hand_over_is_uncertain_and_never_sent_again(
    eta_passed, facilitator, smtp, monkeypatch, django_capture_on_commit_callbacks
):
    """The server took the message and went silent past EMAIL_TIMEOUT: it may deliver it."""
    smtp.delay = 1.5  # EMAIL_TIMEOUT is 1 s here
    pk = email_to(facilitator).pk

    assert deliver_notification_task.apply(args=[pk]).get() == "uncertain"

    row = email_to(facilitator)
    assert row.status == Status.UNCERTAIN
    assert row.sent_at is None
    assert "may have been delivered" in row.last_error
    assert "Message-ID" in row.last_error
    smtp.delay = 0
    assert deliver_notification_task(pk) == "nothing to send"
    assert pk not in sweep_enqueues(
        monkeypatch, django_capture_on_commit_callbacks, after=2 * reminders.RETRY_AFTER
    )
    assert smtp.counts()[row.message_id] == 1  # the server did get it: a resend would duplicate


def test_a_delivery_that_died_after_the_hand_over_becomes_uncertain_once_its_lease_expires(
    eta_passed, facilitator, mailoutbox
):
    """kill -9 after DATA: the row says handed_over. The redelivered task sends nothing."""
    notification = email_to(facilitator)
    age(notification, status=Status.HANDED_OVER, by=LEASE / 2, handed_over_at=timezone.now())

    assert deliver_notification_task.apply(args=[notification.pk]).get() == "nothing to send"
    assert email_to(facilitator).status == Status.HANDED_OVER  # its worker may still be alive

    age(notification, status=Status.HANDED_OVER, handed_over_at=timezone.now() - LEASE)
    assert deliver_notification_task.apply(args=[notification.pk]).get() == "nothing to send"

    row = email_to(facilitator)
    assert row.status == Status.UNCERTAIN
    assert "before its answer" in row.last_error
    assert mailoutbox == []


def test_the_sweep_settles_dead_deliveries_and_enqueues_only_the_safe_ones(
    eta_passed, facilitator, hospital1, monkeypatch, django_capture_on_commit_callbacks
):
    connecting, handed_over = email_to(facilitator), email_to(hospital1)
    age(connecting, status=Status.CONNECTING)
    age(handed_over, status=Status.HANDED_OVER, handed_over_at=timezone.now() - LEASE)

    enqueued = sweep_enqueues(monkeypatch, django_capture_on_commit_callbacks)

    assert enqueued == [connecting.pk]
    assert email_to(hospital1).status == Status.UNCERTAIN


def test_a_delivery_that_keeps_dying_before_the_hand_over_stops_at_the_limit(
    eta_passed, facilitator, monkeypatch, django_capture_on_commit_callbacks
):
    notification = email_to(facilitator)
    age(notification, status=Status.CONNECTING)
    Notification.objects.filter(pk=notification.pk).update(attempts=delivery.MAX_ATTEMPTS)

    assert sweep_enqueues(monkeypatch, django_capture_on_commit_callbacks) == []
    row = email_to(facilitator)
    assert row.status == Status.FAILED
    assert f"{delivery.MAX_ATTEMPTS} times" in row.last_error


def test_temporary_failures_back_off_then_fail_at_the_limit(
    eta_passed, facilitator, flaky_smtp, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    pk = email_to(facilitator).pk
    flaky_smtp.failures = 100

    # Attempts 1-3 wait 30 s, 1 and 2 minutes at most: Celery holds the retry.
    for number, backoff in [(1, 30), (2, 60), (3, 120)]:
        outcome = delivery.deliver(pk)
        assert (outcome.result, email_to(facilitator).attempts) == ("retry", number)
        assert 0 <= outcome.retry_in <= backoff

    # Attempt 4 waits 4 minutes, longer than the lease: the row waits for the sweep instead.
    outcome = delivery.deliver(pk)
    row = email_to(facilitator)
    assert (outcome.result, outcome.retry_in, row.status) == ("retry", None, Status.PENDING)
    assert row.next_attempt_at == pytest.approx(
        timezone.now() + dt.timedelta(minutes=4), abs=dt.timedelta(seconds=5)
    )
    assert deliver_notification_task.apply(args=[pk]).get() == "retry"  # not a Celery retry
    assert pk not in sweep_enqueues(
        monkeypatch, django_capture_on_commit_callbacks, after=dt.timedelta(minutes=3)
    )
    assert pk in sweep_enqueues(
        monkeypatch, django_capture_on_commit_callbacks, after=dt.timedelta(minutes=40)
    )

    for _ in range(delivery.MAX_ATTEMPTS - 6):  # attempts 6 and 7; the 8th is the last
        assert delivery.deliver(pk).result == "retry"
    assert delivery.deliver(pk).result == "failed"
    row = email_to(facilitator)
    assert (row.status, row.attempts) == (Status.FAILED, delivery.MAX_ATTEMPTS)
    assert row.last_error.startswith(f"Gave up after {delivery.MAX_ATTEMPTS} attempts")
    assert mailoutbox == []


def test_the_lease_and_the_brokers_visibility_timeout_follow_email_timeout():
    """Not constants: a slower mail server (a larger EMAIL_TIMEOUT) lengthens them all."""
    script = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.NPP_DELIVERY_SOFT_TIME_LIMIT, s.NPP_DELIVERY_TIME_LIMIT, "
        "s.NPP_DELIVERY_LEASE_SECONDS, "
        "s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout']]))"
    )
    env = {
        **os.environ,
        "EMAIL_TIMEOUT": "7",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "DJANGO_SETTINGS_MODULE": "npp.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr

    soft, hard, lease, visibility = json.loads(done.stdout)
    assert (soft, hard, lease, visibility) == (70, 77, 84, 91)
    # The task stops before its lease ends, and the broker hands a dead worker's message out
    # again only after the lease, so the new delivery can take the claim over (or settle it).
    assert deliver_notification_task.soft_time_limit < deliver_notification_task.time_limit
    assert deliver_notification_task.time_limit < tasks.CLAIM_LEASE_SECONDS
    assert tasks.CLAIM_LEASE_SECONDS == settings.NPP_DELIVERY_LEASE_SECONDS
    assert delivery.QUICK_RETRY_MAX <= tasks.CLAIM_LEASE_SECONDS


def test_celery_redelivers_what_a_dead_worker_fetched():
    conf = celery_app.conf
    assert (
        conf.task_acks_late,
        conf.task_reject_on_worker_lost,
        conf.worker_prefetch_multiplier,
    ) == (True, True, 1)


def test_an_uncertain_email_is_visible_and_findable_by_its_message_id_in_the_admin(
    client, eta_passed, facilitator, hospital1
):
    uncertain = email_to(facilitator)
    Notification.objects.filter(pk=uncertain.pk).update(status=Status.UNCERTAIN)
    client.force_login(facilitator)

    listed = client.get("/admin/cases/notification/", {"status__exact": "uncertain"})
    found = client.get("/admin/cases/notification/", {"q": f"Message-ID: {uncertain.message_id}"})
    page = client.get(f"/admin/cases/notification/{uncertain.pk}/change/")

    assert listed.status_code == found.status_code == page.status_code == 200
    assert list(listed.context["cl"].result_list) == [uncertain]
    assert list(found.context["cl"].result_list) == [uncertain]
    body = page.content.decode()
    assert "Uncertain: check before sending again" in body
    assert uncertain.message_id.replace("<", "&lt;").replace(">", "&gt;") in body
    assert 'name="_save"' not in body  # read-only


@pytest.mark.parametrize("redelivered", [True, False])
def test_a_redelivered_task_that_finds_a_live_lease_looks_again_when_it_ends(
    eta_passed, facilitator, mailoutbox, monkeypatch, redelivered
):
    """The broker redelivers a dead worker's message a little after its lease could end; if
    the claim was taken a moment after the message was fetched, the lease still runs. The
    task then retries when it ends instead of leaving the row to the next sweep. A duplicate
    task (not redelivered) just finds nothing to send."""
    notification = email_to(facilitator)
    age(notification, status=Status.CONNECTING, by=LEASE - dt.timedelta(seconds=5))
    task = deliver_notification_task._get_current_object()
    retries = []

    def spy(self, *args, **kwargs):
        retries.append(kwargs["countdown"])
        return RuntimeError("retried")

    monkeypatch.setattr(type(task), "retry", spy)
    task.push_request(delivery_info={"redelivered": redelivered})
    try:
        if redelivered:
            with pytest.raises(RuntimeError, match="retried"):
                task.run(notification.pk)
        else:
            assert task.run(notification.pk) == "nothing to send"
    finally:
        task.pop_request()

    assert retries == ([4] if redelivered else [])
    assert mailoutbox == []
