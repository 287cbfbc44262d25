"""The case list's CSV export for manufacturers and funders."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from documents.models import DocumentAccess
from tests.factories import walk_to

pytestmark = pytest.mark.django_db


def _export(client, cases, include: bool):
    data = {"action": "export_csv", "confirm": "yes", "_selected_action": [c.pk for c in cases]}
    if include:
        data["include_identifiers"] = "on"
    return client.post(reverse("admin:cases_case_changelist"), data)


def test_csv_export_leaves_out_identifiers_unless_asked(client, case_a, case_b, facilitator):
    # An hour on: the walk infuses "an hour ago", which is when case_a was opened (not the
    # India day before it, as an hour back is between 00:00 and 01:00 IST).
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1)):
        walk_to(case_a, "monitoring", facilitator)
        client.force_login(facilitator)
        response = _export(client, [case_a, case_b], include=False)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["reference"] for r in rows} == {case_a.reference, case_b.reference}
    body = response.content.decode()
    assert case_a.patient.full_name not in body
    row = next(r for r in rows if r["reference"] == case_a.reference)
    assert row["entered_monitoring"]
    assert row["infusion_date"]
    assert row["days_application_to_infusion"] == "0"
    assert not DocumentAccess.objects.filter(action="export_identifiers").exists()


def test_csv_export_with_identifiers_is_recorded_in_the_access_log(client, case_a, facilitator):
    client.force_login(facilitator)
    response = _export(client, [case_a], include=True)
    assert case_a.patient.full_name in response.content.decode()
    log = DocumentAccess.objects.get(action="export_identifiers")
    assert log.username == "facilitator"
    assert log.case_reference == case_a.reference


def test_the_export_action_first_asks_about_identifiers(client, case_a, facilitator):
    client.force_login(facilitator)
    response = client.post(
        reverse("admin:cases_case_changelist"),
        {"action": "export_csv", "_selected_action": [case_a.pk]},
    )
    assert response.status_code == 200
    assert "Include identifiers" in response.content.decode()
