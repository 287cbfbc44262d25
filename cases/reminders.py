"""Reminder rules: which notifications are due at ``now``, found with set-based queries.

Everything derives from database state, so a sweep that was missed (broker down, worker
stopped) is made up by the next one. ``reminders_sweep`` inserts the due reminders as
``Notification`` rows whose unique ``dedupe_key`` makes a second sweep create nothing; email
rows are then delivered by ``cases.tasks.deliver_notification_task``.

For every rule a duplicate is worse than a late reminder: families and doctors stop reading
messages that repeat, and the next sweep (15 minutes later) catches anything late.

A rule is a function of ``now`` returning the ``Reminder``s due. ``RULES`` lists the built-in
ones; an app above cases adds its own with ``register_rule`` from its ``AppConfig.ready()``
(``documents`` adds ``documents_missing``), so this module imports no app above it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .clinical import LIVER_REVIEW_DAY, MONITORING_WEEKS, treatment_calendar
from .delivery import RETRY_AFTER, lost, settle_abandoned  # noqa: F401 - RETRY_AFTER re-exported
from .language import language_for
from .models import Case, Channel, HospitalAdmin, LabResult, Notification
from .states import CaseState

logger = logging.getLogger(__name__)

# Reminders about a day go out at 09:00 India time.
MORNING = dt.time(9, 0)


def setting(name: str):
    """A reminder threshold; every default is in npp/settings.py (and .env.example)."""
    return getattr(settings, name)


@dataclass(frozen=True)
class Reminder:
    case: Case
    kind: str
    due_at: dt.datetime
    recipients: tuple  # users
    context: dict
    guardian_email: bool = False


def _morning(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, MORNING))


def rule_cases(**filters):
    """The cases a rule picks, with what every reminder shows and whom it goes to."""
    return Case.objects.filter(**filters).select_related(
        "patient", "doctor__user", "hospital", "facilitator"
    )


def _hospital_admins(cases) -> dict[int, list]:
    admins = defaultdict(list)
    hospital_ids = {c.hospital_id for c in cases}
    for admin in HospitalAdmin.objects.filter(hospital_id__in=hospital_ids).select_related("user"):
        if admin.user.is_active:
            admins[admin.hospital_id].append(admin.user)
    return admins


# --- Rules: each returns the reminders due at ``now`` ------------------------------------------


def stage_overdue(now: dt.datetime) -> list[Reminder]:
    """A case longer in one state than the state's limit: the assigned facilitator."""
    limits = setting("NPP_STAGE_LIMIT_DAYS")
    condition = Q()
    for state, days in limits.items():
        condition |= Q(state=state, state_changed_at__lte=now - dt.timedelta(days=days))
    # infusion_scheduled: overdue the day after the planned infusion.
    condition |= Q(
        state=CaseState.INFUSION_SCHEDULED, infusion_scheduled_at__lte=now - dt.timedelta(days=1)
    )
    reminders = []
    for case in rule_cases(facilitator__isnull=False).filter(condition):
        if case.state == CaseState.INFUSION_SCHEDULED:
            due_at = case.infusion_scheduled_at + dt.timedelta(days=1)
            limit = None
        else:
            limit = limits[case.state]
            due_at = case.state_changed_at + dt.timedelta(days=limit)
        reminders.append(
            Reminder(
                case, f"stage_overdue_{case.state}", due_at, (case.facilitator,), {"limit": limit}
            )
        )
    return reminders


def permit_expiring(now: dt.datetime) -> list[Reminder]:
    """The permit expires within N days and the kit has not left (`approved`): facilitator."""
    window = setting("NPP_REMINDER_PERMIT_EXPIRY_DAYS")
    horizon = timezone.localdate(now) + dt.timedelta(days=window)
    reminders = []
    for case in rule_cases(
        state=CaseState.APPROVED, facilitator__isnull=False, permit_valid_until__lte=horizon
    ):
        due_at = _morning(case.permit_valid_until - dt.timedelta(days=window))
        reminders.append(
            Reminder(
                case,
                "permit_expiring",
                min(due_at, now),
                (case.facilitator,),
                {"valid_until": case.permit_valid_until},
            )
        )
    return reminders


def eta_passed(now: dt.datetime) -> list[Reminder]:
    """Still in customs after the ETA: facilitator and the hospital's admins."""
    cases = list(rule_cases(state=CaseState.CUSTOMS, eta__lte=now))
    admins = _hospital_admins(cases)
    return [
        Reminder(
            case,
            "eta_passed",
            case.eta,
            tuple(u for u in (case.facilitator, *admins[case.hospital_id]) if u),
            {},
        )
        for case in cases
    ]


def cold_chain(now: dt.datetime) -> list[Reminder]:
    """Day N after receipt with no infusion recorded: facilitator, doctor, hospital admins."""
    day = setting("NPP_REMINDER_COLD_CHAIN_DAY")
    cases = list(
        rule_cases(received_at__lte=now - dt.timedelta(days=day), infused_at__isnull=True).exclude(
            state__in=[CaseState.CANCELLED, CaseState.CLOSED]
        )
    )
    admins = _hospital_admins(cases)
    reminders = []
    for case in cases:
        recipients = (case.facilitator, case.doctor.user, *admins[case.hospital_id])
        reminders.append(
            Reminder(
                case,
                "cold_chain",
                case.received_at + dt.timedelta(days=day),
                tuple(u for u in recipients if u),
                {"use_by": case.cold_chain_deadline()},
            )
        )
    return reminders


def prednisolone_tomorrow(now: dt.datetime) -> list[Reminder]:
    """Prednisolone starts tomorrow (the day before infusion): doctor and guardian's email."""
    today = timezone.localdate(now)
    infusion_day = today + dt.timedelta(days=2)  # steroid on day -1 = tomorrow
    start = timezone.make_aware(dt.datetime.combine(infusion_day, dt.time.min))
    cases = rule_cases(
        state=CaseState.INFUSION_SCHEDULED,
        infusion_scheduled_at__gte=start,
        infusion_scheduled_at__lt=start + dt.timedelta(days=1),
    )
    return [
        Reminder(
            case,
            "prednisolone_tomorrow",
            _morning(today),
            (case.doctor.user,),
            {"start": today + dt.timedelta(days=1)},
            guardian_email=True,
        )
        for case in cases
    ]


def monitoring_tests(now: dt.datetime) -> list[Reminder]:
    """Calendar tests due tomorrow, overdue by N days, and the day-30 review: the doctor."""
    today = timezone.localdate(now)
    overdue_days = setting("NPP_REMINDER_LAB_OVERDUE_DAYS")
    # Events sit at fixed days after the infusion, so only cases infused on a few dates can
    # have one due tomorrow or overdue today: select those in SQL instead of computing every
    # monitoring case's calendar.
    offsets = {
        LIVER_REVIEW_DAY,
        *(7 * week for weeks in MONITORING_WEEKS.values() for week in weeks),
    }
    tomorrow = today + dt.timedelta(days=1)
    overdue_on = today - dt.timedelta(days=overdue_days)
    infusion_days = {
        day - dt.timedelta(days=offset) for offset in offsets for day in (tomorrow, overdue_on)
    }
    cases = list(
        rule_cases(
            state=CaseState.MONITORING, infused_at__isnull=False, infused_at__date__in=infusion_days
        )
    )
    results = defaultdict(list)
    for result in LabResult.objects.filter(case__in=cases).only("case_id", "test", "taken_on"):
        results[result.case_id].append(result)
    reminders = []
    for case in cases:
        for event in treatment_calendar(timezone.localdate(case.infused_at)):
            test = _event_test(event.code)
            if test is None:
                continue
            done = any(
                r.test == test and abs((r.taken_on - event.date).days) <= 3
                for r in results[case.pk]
            )
            if event.code == "liver_review_day30":
                # The review's own reminder is the day before. Its sample is week 4's liver
                # panel (same day), which already gets the due and overdue reminders: one
                # missing panel must not produce two "overdue" emails.
                if event.date != today + dt.timedelta(days=1):
                    continue
                kind = "liver_review_due"
            elif done:
                continue
            elif event.date == today + dt.timedelta(days=1):
                kind = "lab_due_tomorrow"
            elif event.date + dt.timedelta(days=overdue_days) == today:
                kind = "lab_overdue"
            else:
                continue
            reminders.append(
                Reminder(
                    case,
                    kind,
                    _morning(today),
                    (case.doctor.user,),
                    {"event": event, "code": event.code},
                )
            )
    return reminders


def _event_test(code: str) -> str | None:
    if code == "liver_review_day30":
        return "liver"
    test = code.split("_week_")[0]
    return test if test in MONITORING_WEEKS else None


Rule = Callable[[dt.datetime], list[Reminder]]

# The rules a sweep runs, in this order (``send_reminders --dry-run`` lists in it).
RULES: list[Rule] = [
    stage_overdue,
    permit_expiring,
    eta_passed,
    cold_chain,
    prednisolone_tomorrow,
    monitoring_tests,
]


def register_rule(rule: Rule, *, first: bool = False) -> Rule:
    """Add ``rule`` to the sweep, at the end or ``first``; registering it again changes
    nothing (``ready()`` may run more than once in tests)."""
    if rule not in RULES:
        RULES.insert(0 if first else len(RULES), rule)
    return rule


# --- The sweep ---------------------------------------------------------------------------------


def due_reminders(now: dt.datetime) -> list[Reminder]:
    return [reminder for rule in RULES for reminder in rule(now)]


def _render(reminder: Reminder, *, guardian: bool = False) -> tuple[str, str, str]:
    """Subject, text body and HTML body. The guardian has no portal account, so their copy
    carries no portal link."""
    context = {
        "case": reminder.case,
        "reminder": reminder,
        **reminder.context,
        "guardian": guardian,
        "site_url": settings.NPP_SITE_URL,
    }
    kind = _template(reminder.kind)
    subject = " ".join(render_to_string(f"emails/kinds/{kind}_subject.txt", context).split())
    context["message"] = render_to_string(f"emails/kinds/{kind}.txt", context).strip()
    body = render_to_string("emails/reminder.txt", context)
    html = render_to_string("emails/reminder.html", context)
    return subject[:200], body, html


def _planned(reminder: Reminder) -> list[tuple[str, Any, str, str]]:
    """(dedupe key, recipient user or None, recipient email, channel) for each notification
    the reminder makes; cheap, so duplicates are found before anything is rendered."""
    case = reminder.case
    day = timezone.localdate(reminder.due_at).isoformat()
    extra = reminder.context.get("code", "")
    planned: list[tuple[str, Any, str, str]] = []
    for user in reminder.recipients:
        for channel in (Channel.IN_APP, Channel.EMAIL):
            if channel == Channel.EMAIL and not user.email:
                continue
            key = f"{reminder.kind}:{case.pk}:{extra}:u{user.pk}:{day}:{channel}"
            planned.append((key[:200], user, "", channel))
    if reminder.guardian_email and case.patient.guardian_email:
        key = f"{reminder.kind}:{case.pk}:{extra}:guardian:{day}:email"
        planned.append((key[:200], None, case.patient.guardian_email, Channel.EMAIL))
    return planned


def _notifications(
    reminder: Reminder, planned: list[tuple[str, Any, str, str]]
) -> list[Notification]:
    """The rows for ``planned`` (the reminder's new notifications), rendered."""
    rendered: dict[tuple[bool, str], tuple[str, str, str]] = {}
    rows = []
    for key, user, email, channel in planned:
        guardian = user is None
        # In the language the recipient reads (``cases.language``: the family app stores it).
        language = language_for(user, reminder.case)
        if (guardian, language) not in rendered:
            with translation.override(language):
                rendered[guardian, language] = _render(reminder, guardian=guardian)
        subject, body, html = rendered[guardian, language]
        rows.append(
            Notification(
                case=reminder.case,
                recipient=user,
                recipient_email=email,
                kind=reminder.kind,
                channel=channel,
                due_at=reminder.due_at,
                subject=subject,
                body=body,
                html_body=html,
                dedupe_key=key,
                # In-app reminders are delivered by existing: the portal lists them.
                sent_at=timezone.now() if channel == Channel.IN_APP else None,
                status=(
                    Notification.Status.SENT
                    if channel == Channel.IN_APP
                    else Notification.Status.PENDING
                ),
            )
        )
    return rows


def _template(kind: str) -> str:
    return "stage_overdue" if kind.startswith("stage_overdue_") else kind


# Keys looked up per query: few round trips at scale, under SQLite's 32,766-variable limit.
KEY_CHUNK = 20_000


def _existing_keys(keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), KEY_CHUNK):
        found.update(
            Notification.objects.filter(dedupe_key__in=keys[start : start + KEY_CHUNK]).values_list(
                "dedupe_key", flat=True
            )
        )
    return found


def notifications_to_create(now: dt.datetime) -> list[Notification]:
    """The notifications a sweep at ``now`` would create: due, and not stored yet (unsaved).

    ``send_reminders --dry-run`` prints these, so it shows what would go out, not what
    already went out.
    """
    plans = [(reminder, _planned(reminder)) for reminder in due_reminders(now)]
    existing = _existing_keys([key for _, planned in plans for key, *_ in planned])
    rows, seen = [], set(existing)
    for reminder, planned in plans:
        fresh = []
        for item in planned:
            if item[0] not in seen:  # a user listed twice gets one row
                seen.add(item[0])
                fresh.append(item)
        if fresh:
            rows += _notifications(reminder, fresh)
    return rows


# At most this many lost emails (see ``cases.delivery.lost``) are enqueued again a sweep, so
# an outage's backlog drains without flooding the broker.
RETRY_BATCH = 1000


def reminders_sweep(*, now: dt.datetime | None = None, enqueue: bool = True) -> int:
    """Create the notifications due at ``now`` and enqueue their emails.

    Returns how many notifications this sweep created. A second sweep for the same time
    creates none. Emails this sweep created are enqueued, and so are emails whose task was
    lost or whose retry is due (``cases.delivery.lost``); a delivery claims its row, so an
    email enqueued twice is still sent once. Deliveries that died after handing their email
    to the mail server are marked uncertain, never enqueued again; failed ones neither.
    """
    from .tasks import deliver_notification_task

    now = now or timezone.now()
    rows = notifications_to_create(now)
    keys = [row.dedupe_key for row in rows]
    with transaction.atomic():
        # ignore_conflicts: a concurrent sweep may have inserted some of these meanwhile;
        # the unique dedupe_key keeps one, and only this sweep's own inserts are counted.
        before = len(_existing_keys(keys))
        Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1500)
        created = len(_existing_keys(keys)) - before
        if enqueue:
            email_keys = [row.dedupe_key for row in rows if row.channel == Channel.EMAIL]
            pending = _unsent_ids(email_keys)
            pending += _lost_ids(now, exclude=pending)
            transaction.on_commit(lambda: _enqueue(deliver_notification_task, pending))
    return created


def _lost_ids(now: dt.datetime, exclude: list[int]) -> list[int]:
    """Emails due by ``now`` that need a task again (``cases.delivery.lost``), after settling
    the deliveries that died (their lease expired) into uncertain or failed."""
    clock = timezone.now()
    settle_abandoned(now=clock)
    return list(
        Notification.objects.filter(lost(clock), due_at__lte=now)
        .exclude(pk__in=exclude)
        .order_by("due_at")
        .values_list("pk", flat=True)[:RETRY_BATCH]
    )


def _unsent_ids(keys: list[str]) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(keys), KEY_CHUNK):
        ids += Notification.objects.filter(
            dedupe_key__in=keys[start : start + KEY_CHUNK], status=Notification.Status.PENDING
        ).values_list("pk", flat=True)
    return ids


def _enqueue(task, ids: list[int]) -> None:
    for sent, pk in enumerate(ids):
        try:
            task.delay(pk)
        except Exception:
            logger.warning(
                "broker unavailable; %s email(s) left for the next sweep", len(ids) - sent
            )
            return
