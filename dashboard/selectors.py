"""Reads for the facilitators' dashboard: the pipeline, what needs attention, this week, where
cases wait and which 2nd birthdays fall before the predicted infusion.

Every list is a count and its first rows (``TOP``), each from one set-based query on the
deadlines of ``cases.deadlines`` (or a plain query), with a link to the full list: the page
makes the same number of queries, and has the same size, whatever the number of cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, QuerySet
from django.urls import reverse

from cases import deadlines
from cases.clinical import add_years
from cases.clock import IST, ist_date
from cases.models import Case
from cases.selectors import case_planned_infusion_date, cases_eligibility
from cases.states import MAIN_LINE, CaseState
from cases.timeline import SIDE_STATES
from documents.models import Document, ReviewStatus

from .stages import birthday_before_infusion, kept

CHART_STATES = [*MAIN_LINE, *SIDE_STATES]
# Rows shown per list; the rest is one click away.
TOP = 5
# Eligibility needs the clinical rules case by case: the cases nearest their infusion are
# checked (a fixed number of queries for all of them).
ELIGIBILITY_CHECKED = 10
# Clocks soonest first, then by case and clock: a total order, so pages never overlap.
SOONEST_FIRST = "u.dl_due_on, u.dl_due_at, u.dl_case, u.dl_code, u.dl_key"
FILTERS = (
    ("hospital", "hospital_id"),
    ("product", "product_id"),
    ("facilitator", "facilitator_id"),
)


def filtered_cases(params, cases: QuerySet[Case] | None = None) -> QuerySet[Case]:
    """``cases`` (the viewer's, ``access.cases_visible_to``; default all) narrowed by the
    dashboard's filters (hospital, product, facilitator ids)."""
    qs = Case.objects.all() if cases is None else cases
    for param, field_name in FILTERS:
        value = params.get(param)
        if value and str(value).isdigit():
            qs = qs.filter(**{field_name: int(value)})
    return qs


def admin_list_url(state: str | None = None, params=None) -> str:
    url = reverse("admin:cases_case_changelist")
    query = [f"state__exact={state}"] if state else []
    for param, lookup in (
        ("hospital", "hospital__id__exact"),
        ("product", "product__id__exact"),
        ("facilitator", "facilitator__id__exact"),
    ):
        if params and params.get(param):
            query.append(f"{lookup}={params[param]}")
    return url + ("?" + "&".join(query) if query else "")


def deadlines_url(params=None, **filters) -> str:
    """The next-deadlines list with ``filters`` and the dashboard's own (all facilitators'
    cases unless the dashboard names one)."""
    query = {"facilitator": "all"}
    for param, _ in FILTERS:
        if params and params.get(param):
            query[param] = params[param]
    query.update({k: v for k, v in filters.items() if v is not None})
    return reverse("dashboard-deadlines") + "?" + urlencode(query)


def pipeline(cases: QuerySet[Case], params=None) -> list[dict]:
    """How many cases are in each state, in the state machine's order (one query)."""
    counts = dict(cases.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    return [
        {
            "state": state.value,
            "label": state.label,
            "value": counts.get(state.value, 0),
            "href": admin_list_url(state.value, params),
        }
        for state in CHART_STATES
    ]


# --- Lists: a count and the first rows -----------------------------------------------------------


@dataclass
class Row:
    case_id: int
    what: str
    due_on: dt.date | None
    today: dt.date
    due_at: dt.datetime | None = None
    detail: str = ""
    urgent: bool = False
    case: Case | None = None

    @property
    def days_left(self) -> int | None:
        return None if self.due_on is None else (self.due_on - self.today).days

    @property
    def days_past(self) -> int:
        return max(-(self.days_left or 0), 0)

    @property
    def href(self) -> str:
        return reverse("admin:cases_case_change", args=[self.case_id])


@dataclass
class Section:
    key: str
    title: str
    count: int
    rows: list[Row]
    href: str
    note: str = ""
    extra: dict = field(default_factory=dict)


def counted_top(
    queryset: QuerySet, order: str, *, limit: int = TOP, offset: int = 0
) -> tuple[int, list[tuple]]:
    """How many rows ``queryset`` has and ``limit`` of them from ``offset`` in ``order`` (SQL
    over its columns as ``u``), in one query: the database computes the rows once for both.
    Rows are as the database driver gives them (SQLite: dates as text)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.*, COUNT(*) OVER () FROM ({sql}) u ORDER BY {order} "
            f"LIMIT {int(limit)} OFFSET {int(offset)}",
            params,
        )
        found = cursor.fetchall()
    return (found[0][-1] if found else 0), [row[:-1] for row in found]


def _deadline_section(
    key: str,
    title: str,
    cases: QuerySet[Case],
    now: dt.datetime,
    *,
    codes: list[str],
    where,
    href: str,
    urgent_within: int = 0,
    due_by: dt.date | None = None,
    what: str = "",
) -> Section:
    """A count and the soonest rows of the clocks ``where`` keeps (one query); each row says
    ``what`` (default: the clock's own label, then its detail)."""
    found = deadlines.rows(cases, at=now, codes=codes, where=where, due_by=due_by)
    count, top = counted_top(found, SOONEST_FIRST)
    today = ist_date(now)
    rows = []
    for case_id, code, key_, due_on, due_at, paused in top:
        deadline = deadlines.get(code)
        label = deadline.row_label(key_)
        row = Row(
            case_id,
            what or label,
            as_date(due_on),
            today,
            due_at=as_instant(due_at),
            detail=label if what else "",
        )
        row.urgent = row.days_left is not None and row.days_left <= urgent_within
        if paused:
            row.detail = f"{row.detail}; paused (on hold)" if row.detail else "paused (on hold)"
        rows.append(row)
    return Section(key, title, count, rows, href)


def as_date(value) -> dt.date | None:
    """A date from a raw row (SQLite gives text)."""
    return dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value


def as_instant(value) -> dt.datetime | None:
    """An instant from a raw row (SQLite gives naive UTC, as text or as a datetime)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def _due_by(day: dt.date):
    return lambda d, piece, ctx: piece.filter(dl_due_on__lte=day)


def _instant_passed(now: dt.datetime):
    return lambda d, piece, ctx: piece.filter(dl_due_at__lte=now, dl_paused=False)


def needs_attention(cases: QuerySet[Case], now: dt.datetime, params=None) -> list[Section]:
    """Stages overdue, 2nd birthdays near, cold-chain windows running, permits expiring, ETAs
    passed, eligibility failing and rejected documents: each a count and its first rows."""
    today = ist_date(now)
    open_cases = cases.exclude(state__in=[CaseState.CLOSED, CaseState.CANCELLED])
    warn = settings.NPP_SECOND_BIRTHDAY_WARNING_DAYS
    permit_days = settings.NPP_REMINDER_PERMIT_EXPIRY_DAYS
    sections = [
        _deadline_section(
            "stage_overdue",
            "Stage overdue",
            open_cases,
            now,
            codes=["stage_expected"],
            where=_instant_passed(now),
            urgent_within=-7,
            what="Stage overdue",
            href=deadlines_url(params, code="stage_expected", when="overdue"),
        ),
        _deadline_section(
            "second_birthday",
            f"2nd birthday within {warn} days, not yet infused",
            open_cases,
            now,
            codes=["second_birthday"],
            where=None,
            due_by=today + (warn - 1) * dt.timedelta(1),
            urgent_within=30,
            what="2nd birthday",
            href=deadlines_url(params, code="second_birthday", when="soon"),
        ),
        _deadline_section(
            "cold_chain",
            f"Cold chain: {settings.NPP_COLD_CHAIN_DAYS} x 24 hours from receipt",
            open_cases,
            now,
            codes=["cold_chain"],
            where=None,
            urgent_within=4,
            what="Cold chain",
            href=deadlines_url(params, code="cold_chain"),
        ),
        _deadline_section(
            "permit_expiring",
            f"Form 12B permit expiring within {permit_days} days",
            open_cases,
            now,
            codes=["permit_validity"],
            where=_due_by(today + permit_days * dt.timedelta(1)),
            urgent_within=7,
            what="Permit expiring",
            href=deadlines_url(params, code="permit_validity", when="soon"),
        ),
        _deadline_section(
            "eta_passed",
            "ETA passed, still in customs",
            open_cases,
            now,
            codes=["eta"],
            where=_instant_passed(now),
            urgent_within=0,
            what="ETA passed",
            href=deadlines_url(params, code="eta", when="overdue"),
        ),
        eligibility_failing(cases, now, params),
        rejected_documents(open_cases, today, params),
    ]
    return sections


def eligibility_failing(cases: QuerySet[Case], now: dt.datetime, params=None) -> Section:
    """Eligibility (DOMAIN.md §1.6) of the cases nearest their infusion among those whose kit
    is ordered or on its way: judged case by case by the clinical rules, for a fixed number of
    cases in a fixed number of queries. Every case is also judged on its page and at dispatch
    and scheduling, which the rulebook refuses while it fails."""
    # Nearest first: delivered (the kit is here), then in customs by ETA, then approved by
    # the oldest approval; one indexed query per state.
    nearest: list[Case] = []
    for state, order in (
        (CaseState.DELIVERY, "eta"),
        (CaseState.CUSTOMS, "eta"),
        (CaseState.APPROVED, "stage_clock_from"),
    ):
        nearest += (
            cases.filter(state=state)
            .select_related("patient", "hospital")
            .order_by(order, "pk")[: ELIGIBILITY_CHECKED - len(nearest)]
        )
    judged = cases_eligibility(nearest)
    today = ist_date(now)
    rows = [
        Row(
            case.pk,
            "Eligibility failing",
            case_planned_infusion_date(case, at=now),
            today,
            detail="; ".join(c.label for c in judged[case.pk].failing),
            urgent=True,
            case=case,
        )
        for case in nearest
        if not judged[case.pk].ok
    ]
    return Section(
        "eligibility",
        "Eligibility failing",
        len(rows),
        rows[:TOP],
        admin_list_url(CaseState.APPROVED, params),
        note=f"Checked: the {len(nearest)} approved, in-customs or delivered cases "
        "nearest their infusion.",
    )


def rejected_documents(cases: QuerySet[Case], today: dt.date, params=None) -> Section:
    """Documents whose newest version was rejected (two queries)."""
    newer = Document.objects.filter(
        case=OuterRef("case"),
        document_type=OuterRef("document_type"),
        version__gt=OuterRef("version"),
    )
    rejected = Document.objects.filter(
        case__in=cases.values("pk"), review_status=ReviewStatus.REJECTED
    ).exclude(Exists(newer))
    count = rejected.count()
    top = list(rejected.select_related("document_type").order_by("-reviewed_at", "-pk")[:TOP])
    rows = [
        Row(
            doc.case_id,
            f"{doc.document_type.name} v{doc.version} rejected",
            None,
            today,
            detail=(f"{ist_date(doc.reviewed_at):%d %b %Y}: " if doc.reviewed_at else "")
            + doc.review_note,
        )
        for doc in top
    ]
    href = reverse("admin:documents_document_changelist") + "?review_status__exact=rejected"
    return Section("rejected", "Document rejected", count, rows, href)


def this_week(cases: QuerySet[Case], now: dt.datetime, params=None) -> list[Section]:
    """Infusions and prednisolone starts in the next 7 days, and the tests and reviews due in
    them or overdue."""
    today = ist_date(now)
    end = today + dt.timedelta(days=7)
    week = lambda d, piece, ctx: piece.filter(dl_due_on__gte=today, dl_due_on__lte=end)  # noqa: E731
    return [
        infusions(cases, today, end, params),
        _deadline_section(
            "prednisolone",
            "Prednisolone starts",
            cases,
            now,
            codes=["prednisolone_start"],
            where=week,
            urgent_within=1,
            what="Prednisolone starts",
            href=deadlines_url(params, code="prednisolone_start", within=7),
        ),
        _deadline_section(
            "tests",
            "Tests and reviews due this week or overdue",
            cases,
            now,
            codes=["monitoring_slot", "liver_review"],
            due_by=end,
            where=None,
            urgent_within=-1,
            href=deadlines_url(params, code="monitoring_slot", within=7),
        ),
    ]


def infusions(cases: QuerySet[Case], today: dt.date, end: dt.date, params=None) -> Section:
    """Infusions planned in the next 7 days (two queries)."""
    start = dt.datetime.combine(today, dt.time.min, tzinfo=IST)
    planned = cases.filter(
        state=CaseState.INFUSION_SCHEDULED,
        infusion_scheduled_at__gte=start,
        infusion_scheduled_at__lt=start + dt.timedelta(days=8),
    )
    count = planned.count()
    top = list(
        planned.select_related("patient", "hospital").order_by("infusion_scheduled_at", "pk")[:TOP]
    )
    rows = [
        Row(
            case.pk,
            "Infusion",
            ist_date(case.infusion_scheduled_at),
            today,
            due_at=case.infusion_scheduled_at,
            case=case,
        )
        for case in top
    ]
    return Section(
        "infusions", "Infusions", count, rows, admin_list_url(CaseState.INFUSION_SCHEDULED, params)
    )


def birthday_risk(cases: QuerySet[Case], now: dt.datetime, params=None) -> Section:
    """The cases whose 2nd birthday falls on or before their predicted infusion date, with the
    prediction's basis (three queries)."""
    _, basis = kept("prediction", cases, now)
    at_risk = (
        birthday_before_infusion(cases, now, basis)
        .annotate(
            risk_case=F("pk"),
            risk_born=F("patient__date_of_birth"),
        )
        .order_by()
        .values_list("risk_case", "risk_born")
    )
    count, found = counted_top(at_risk, "u.risk_born, u.risk_case")
    today = ist_date(now)
    rows = [
        Row(
            pk,
            "2nd birthday before the predicted infusion",
            add_years(as_date(born), 2),
            today,
            urgent=True,
        )
        for pk, born in found
    ]
    return Section(
        "birthday_risk",
        "2nd birthday before the predicted infusion",
        count,
        rows,
        deadlines_url(params, code="second_birthday", risk=1),
        note=basis.basis(),
        extra={"prediction": basis},
    )


def attach_cases(sections: list[Section]) -> None:
    """Load every case the lists show, with its patient, in one query."""
    wanted = {row.case_id for section in sections for row in section.rows if row.case is None}
    loaded = Case.objects.select_related("patient", "hospital").in_bulk(wanted)
    for section in sections:
        for row in section.rows:
            if row.case is None:
                row.case = loaded.get(row.case_id)
