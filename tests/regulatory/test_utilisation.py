"""The yearly Form 12B utilisation report, per permit holder, as CSV and PDF (read back with
poppler), from the cases: a kit imported and used, and a permit whose kit has not come."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.states import CaseState
from tests import factories
from tests.regulatory.test_packet_fields import pdftotext

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(facilitator):
    used = factories.walk_to(
        factories.CaseFactory(
            facilitator=facilitator, patient=factories.PatientFactory(guardian_name="Rohit Sharma")
        ),
        CaseState.MONITORING,
        facilitator,
    )
    waiting = factories.walk_to(
        factories.CaseFactory(
            facilitator=facilitator, patient=factories.PatientFactory(guardian_name="Anjali Nair")
        ),
        CaseState.APPROVED,
        facilitator,
    )
    factories.give_regulatory_file(
        waiting, facilitator, applicant_pin="560001", out_of_charge_at=None
    )
    return used, waiting


@pytest.fixture
def desk(client, facilitator):
    client.force_login(facilitator)
    return client


def _get(desk, **params):
    return desk.get(reverse("admin:regulatory_utilisation"), params)


def test_csv_lists_each_permit_with_what_was_imported_and_used(desk, cases):
    used, waiting = cases
    year = timezone.localdate().year
    response = _get(desk, year=year, file_format="csv", holder="")
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == f'attachment; filename="form-12b-utilisation-{year}.csv"'
    )
    rows = {row["Case"]: row for row in csv.DictReader(io.StringIO(response.content.decode()))}
    assert set(rows) == {used.reference, waiting.reference}
    done = rows[used.reference]
    assert done["Permit holder"] == "Rohit Sharma"
    assert done["Form 12B permit"] == "12B/BLR/2026/1001"
    assert (done["Kits imported"], done["Kits used"], done["Kits in hand at year end"]) == (
        "1",
        "1",
        "0",
    )
    assert done["Batch / lot imported"] == "AVXB2611"
    assert done["Lots used"] == "AVX001A"
    assert done["Bill of Entry"] == "7300001"
    assert done["Permit holder's address"].endswith("570012")
    pending = rows[waiting.reference]
    assert (
        pending["Kits imported"],
        pending["Kits used"],
        pending["Imported on (out of charge)"],
    ) == ("0", "0", "")


def test_pdf_per_permit_holder(desk, cases):
    used, waiting = cases
    year = timezone.localdate().year
    page = _get(desk, year=year)
    holders = dict(page.context["form"].fields["holder"].choices)
    key = next(k for k, label in holders.items() if label.startswith("Rohit Sharma"))

    response = _get(desk, year=year, file_format="pdf", holder=key)

    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="form-12b-utilisation-{year}-rohit-sharma.pdf"'
    )
    text = " ".join(pdftotext(response.content))
    for expected in [
        f"Report of drugs imported and used under Form 12B permits, {year}",
        "Permit holder Rohit Sharma",
        "Permit 12B/BLR/2026/1001",
        used.reference,
        "Zolgensma (onasemnogene abeparvovec)",
        "1 kit (6 vials), batch AVXB2611",
        "Bill of Entry 7300001",
        "lot(s) AVX001A",
        "In hand at year end 0 kits",
    ]:
        assert expected in text, expected
    assert "Anjali Nair" not in text
    assert waiting.reference not in text


def test_a_year_without_permits_says_so(desk, cases):
    response = _get(desk, year=2019, file_format="csv", holder="")
    assert response.content.decode().splitlines()[1:] == []
    page = _get(desk, year=2019)
    assert "No permit was issued, imported or used in 2019." in page.content.decode()


def test_a_bad_year_is_refused_with_the_form(desk, cases):
    response = _get(desk, year="20x6", file_format="csv", holder="")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Enter a whole number." in response.content.decode()


def test_a_year_out_of_range_is_refused_with_the_form(desk, cases):
    response = _get(desk, year="9999", file_format="csv", holder="")

    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 2100." in response.content.decode()
