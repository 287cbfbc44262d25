"""The regulatory file's part of the case rulebook, registered on import from
``RegulatoryConfig.ready()`` (``cases`` knows nothing of this module; it runs what is
registered). Add a row for each code to ``tests/cases/rules/test_rulebook.py``'s table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.utils import timezone

from cases.clock import ist_date
from cases.rules import Blocker, Context, rule

if TYPE_CHECKING:
    from cases.models import Case

# The packet whose facts a transition needs: the application packet goes to CDSCO with the
# submission; customs clears the kit on the customs file (DOMAIN.md §2.1, §3.2).
PACKET_OF = {"submit_to_regulator": "application", "clear_customs": "customs"}


@rule(code="packet_facts_missing", transitions=PACKET_OF)
def packet_facts_missing(case: Case, ctx: Context) -> Iterator[str | Blocker]:
    """Every fact the transition's packet prints is recorded: for Form 12A the applicant's
    postal address with PIN code, occupation and the country of export; for the customs file
    the importer, consignee, consignor, invoice, tariff heading, batch, quantity, weights, dry
    ice, the rare-disease certificate and the exemption reference data."""
    from .packet_facts import file_of, missing_facts

    kind = PACKET_OF[ctx.transition]
    found = file_of(case)
    yield from missing_facts(case, kind, found)
    if kind == "application" and found is not None and found.form_12a_changed_at:
        from documents.packets.services import latest_packet

        packet = latest_packet(case, "application")
        if packet is not None and packet.uploaded_at < found.form_12a_changed_at:
            changed = timezone.localtime(found.form_12a_changed_at)
            yield Blocker(
                "packet_outdated",
                f"Build the application packet: the newest one (v{packet.version}) predates the "
                f"applicant's facts changed in the regulatory file on {changed:%d %b %Y at %H:%M}.",
            )


@rule(code="sugam_application_missing", transitions=["record_permit"])
def sugam_application_missing(case: Case, ctx: Context) -> Iterator[str]:
    """The SUGAM application the permit answers is recorded: its number and when it was
    submitted (DOMAIN.md §9)."""
    from .packet_facts import file_of

    found = file_of(case)
    if found is None or not found.sugam_application_number.strip():
        yield f"Record the SUGAM application number in the regulatory file of {case.reference}."
    if found is None or found.sugam_submitted_at is None:
        yield f"Record when the application was submitted on SUGAM ({case.reference})."
    elif found.sugam_submitted_at > ctx.at:
        yield "The SUGAM submission time cannot be in the future."


@rule(code="cdsco_query_open", transitions=["record_permit"])
def cdsco_query_open(case: Case, ctx: Context) -> Iterator[str]:
    """No query CDSCO raised on the application is still unanswered: the permit does not come
    while one is open."""
    from .models import CdscoQuery

    for query in CdscoQuery.objects.filter(file__case=case, answered_at__isnull=True):
        yield (
            f"CDSCO's query of {ist_date(query.raised_at):%d %b %Y} (due by {query.due_by:%d %b %Y}) is "
            "not answered yet; record the answer first."
        )


@rule(code="bill_of_entry_incomplete", transitions=["clear_customs"])
def bill_of_entry_incomplete(case: Case, ctx: Context) -> Iterator[str]:
    """The Bill of Entry is recorded in full in the regulatory file (number, date, broker,
    duty assessed, out-of-charge time, not in the future)."""
    from .packet_facts import file_of

    found = file_of(case)
    labels = {
        "bill_of_entry_number": "number",
        "bill_of_entry_date": "date",
        "broker_name": "customs broker",
        "duty_assessed_inr": "duty assessed (0 when nil)",
        "out_of_charge_at": "out-of-charge time",
    }
    missing = [
        label
        for name, label in labels.items()
        if found is None or getattr(found, name) in (None, "")
    ]
    if missing:
        yield (
            f"Record the Bill of Entry's {', '.join(missing)} in the regulatory file of "
            f"{case.reference}."
        )
        return
    assert found is not None
    if found.out_of_charge_at is not None and found.out_of_charge_at > ctx.at:
        yield "The out-of-charge time cannot be in the future."
