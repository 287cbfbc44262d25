"""One rule, one statement: the SQL that turns a rule's due cases into outbox rows.

A rule gives querysets of the cases due now, each annotated with what its notifications say:
``n_kind``, ``n_due_at``, ``n_day`` (the India date in the dedupe key, ``YYYY-MM-DD``),
``n_extra`` (what tells apart two reminders of one kind on one case, e.g. the test) and
``n_context`` (the compact context the text is rendered from at delivery). ``statement``
expands them to one row per recipient (the rule's roles) and channel, computes each row's
dedupe key in SQL, keeps only the keys the outbox does not hold yet (an anti-join on the unique
``dedupe_key``) and inserts them in one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING
RETURNING``. Nothing is loaded into Python but the new rows' ids.

The key is the contract, unchanged: ``{kind}:{case}:{extra}:u{user}:{day}:{channel}``, or
``...:guardian:{day}:email`` for the guardian's email.

Two sweeps at once: a key inserted by the other one and not yet committed makes the insert wait
for it, then skip (ON CONFLICT). Rows are inserted in key order and rules run in one order, so
two sweeps take the keys' index entries in the same order and cannot deadlock; the loser of
each key neither counts nor enqueues it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from django.db import connection
from django.db.models import Case as CaseWhen
from django.db.models import CharField, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat

from ..deadlines import DOCTOR, FACILITATOR, GUARDIAN, HOSPITAL
from ..models import Channel, Notification

# The columns each piece gives, in this order.
COLUMNS = (
    "n_case",
    "n_recipient",
    "n_address",
    "n_kind",
    "n_due_at",
    "n_key",
    "n_context",
    "n_email",
)


def _has_email(field: str) -> CaseWhen:
    return CaseWhen(
        When(**{field: ""}, then=Value(0)), default=Value(1), output_field=IntegerField()
    )


# How each role is reached from a case: (filter, recipient user id, email field).
_ROLES = {
    FACILITATOR: (Q(facilitator__isnull=False), "facilitator_id", "facilitator__email"),
    DOCTOR: (Q(), "doctor__user_id", "doctor__user__email"),
    HOSPITAL: (
        Q(hospital__admins__user__is_active=True),
        "hospital__admins__user_id",
        "hospital__admins__user__email",
    ),
}


def _for_role(piece: QuerySet, role: str) -> QuerySet:
    """``piece`` as one row per case and recipient of ``role``, with ``COLUMNS``."""
    text: CharField[str, str] = CharField()
    if role == GUARDIAN:  # no portal account: an email to the address on the patient
        rows = piece.exclude(patient__guardian_email="").annotate(
            n_recipient=Cast(Value(None), IntegerField()),
            n_address=F("patient__guardian_email"),
            n_who=Value("guardian", output_field=text),
            n_email=Value(1, output_field=IntegerField()),
        )
    else:
        condition, user, email = _ROLES[role]
        rows = piece.filter(condition).annotate(
            n_recipient=F(user),
            n_address=Value("", output_field=text),
            n_who=Concat(Value("u"), Cast(user, text)),
            n_email=_has_email(email),
        )
    return (
        rows.annotate(
            n_case=F("pk"),
            n_key=Concat(
                "n_kind",
                Value(":"),
                Cast("pk", text),
                Value(":"),
                "n_extra",
                Value(":"),
                "n_who",
                Value(":"),
                "n_day",
                Value(":"),
                output_field=text,
            ),
        )
        .order_by()
        .values_list(*COLUMNS)
    )


def candidates(pieces: Iterable[QuerySet], roles: Iterable[str]) -> tuple[str, list]:
    """The SQL (and params) of every (case, recipient) row of a rule: a UNION ALL."""
    parts = [_for_role(piece, role) for piece in pieces for role in roles]
    first, *rest = parts
    union = first.union(*rest, all=True) if rest else first
    sql, params = union.query.sql_with_params()
    return sql, list(params)


_CHANNELS = f"(SELECT '{Channel.IN_APP}' AS channel UNION ALL SELECT '{Channel.EMAIL}' AS channel)"
_NEW = f"""
    FROM ({{candidates}}) r CROSS JOIN {_CHANNELS} ch
    WHERE CASE WHEN ch.channel = '{Channel.EMAIL}' THEN r.n_email = 1
               ELSE r.n_recipient IS NOT NULL END
      AND NOT EXISTS (SELECT 1 FROM {{table}} n WHERE n.dedupe_key = r.n_key || ch.channel)
"""


def _table() -> str:
    return connection.ops.quote_name(Notification._meta.db_table)


def insert(
    pieces: list[QuerySet], roles: Iterable[str], *, now: dt.datetime
) -> list[tuple[int, str]]:
    """Insert a rule's new notifications in one statement; ``(id, channel)`` of each row this
    statement inserted (a row another sweep inserted first is not among them)."""
    if not pieces:
        return []
    union, params = candidates(pieces, roles)
    stamp = connection.ops.adapt_datetimefield_value(now)
    sql = f"""
    INSERT INTO {_table()} (case_id, recipient_id, recipient_email, kind, channel, due_at,
        subject, body, html_body, dedupe_key, created_at, status, attempts, last_error,
        sent_at, context)
    SELECT r.n_case, r.n_recipient, r.n_address, r.n_kind, ch.channel, r.n_due_at,
        '', '', '', r.n_key || ch.channel, %s,
        CASE WHEN ch.channel = '{Channel.IN_APP}' THEN '{Notification.Status.SENT}'
             ELSE '{Notification.Status.PENDING}' END,
        0, '', CASE WHEN ch.channel = '{Channel.IN_APP}' THEN %s END, r.n_context
    {_NEW.format(candidates=union, table=_table())}
    ORDER BY r.n_key || ch.channel
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id, channel
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [stamp, stamp, *params])
        return list(cursor.fetchall())


def select(pieces: list[QuerySet], roles: Iterable[str]) -> list[tuple]:
    """What ``insert`` would insert, without inserting: ``(case, recipient, address, kind,
    channel, due_at, key, context)`` per row, in key order (``send_reminders --dry-run``)."""
    if not pieces:
        return []
    union, params = candidates(pieces, roles)
    sql = f"""
    SELECT r.n_case, r.n_recipient, r.n_address, r.n_kind, ch.channel, r.n_due_at,
        r.n_key || ch.channel, r.n_context
    {_NEW.format(candidates=union, table=_table())}
    ORDER BY 7
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def load_context(value) -> dict:
    """A context column as a raw cursor returns it (SQLite: JSON text)."""
    return json.loads(value) if isinstance(value, str) else dict(value or {})
