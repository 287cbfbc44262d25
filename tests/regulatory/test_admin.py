"""The facilitators' pages: the reference data tables visible and editable, the file of a
case saved through the service (a bad PIN code is refused with the form's message), the
CDSCO query list, and nobody but facilitators getting in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.states import CaseState
from regulatory.models import (
    CdscoQuery,
    ExemptionNotification,
    PortOfficeDetail,
    RegulatoryFile,
    TariffHeading,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, facilitator):
    client.force_login(facilitator)
    return client


@pytest.mark.parametrize(
    ("model", "shown"),
    [
        ("exemptionnotification", "50/2017-Customs"),
        ("portofficedetail", "CDSCO Port Office, Bengaluru Airport"),
        ("tariffheading", "3002"),
    ],
)
def test_reference_tables_are_listed_with_their_unconfirmed_values(desk, model, shown):
    page = desk.get(reverse(f"admin:regulatory_{model}_changelist"))
    assert page.status_code == 200
    assert shown in page.content.decode()
    assert "confirmed" in page.content.decode()


def test_a_facilitator_edits_and_confirms_an_exemption(desk):
    row = ExemptionNotification.objects.get(code="bcd_rare_disease_personal_use")
    url = reverse("admin:regulatory_exemptionnotification_change", args=[row.pk])
    form = desk.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(serial_number="167B", confirmed="on", active="on")
    response = desk.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    row.refresh_from_db()
    assert row.serial_number == "167B"
    assert row.confirmed
    assert "S. No. 167B" in row.citation


def test_seeded_reference_rows_are_unconfirmed():
    for model in (ExemptionNotification, PortOfficeDetail, TariffHeading):
        assert model.objects.exists()
        assert not model.objects.filter(confirmed=True).exists()
        assert all("unconfirmed" in row.source for row in model.objects.all())


def test_the_case_link_opens_a_new_file_with_suggestions_then_the_file(desk, facilitator):
    case = factories.CaseFactory(facilitator=facilitator)
    response = desk.get(reverse("admin:regulatory_file_for_case", args=[case.pk]))
    assert response.status_code == 302
    add = desk.get(response["Location"])
    assert add.context["adminform"].form.initial["consignor_name"] == "Novartis Gene Therapies"

    factories.give_regulatory_file(case, facilitator)
    response = desk.get(reverse("admin:regulatory_file_for_case", args=[case.pk]))
    found = RegulatoryFile.objects.get(case=case)
    assert response["Location"] == reverse(
        "admin:regulatory_regulatoryfile_change", args=[found.pk]
    )


def test_a_new_file_for_a_case_that_is_not_one_opens_blank(desk):
    add = reverse("admin:regulatory_regulatoryfile_add")

    for value in ("abc", "999999"):
        response = desk.get(add, {"case": value})
        assert response.status_code == 200  # a blank form, not a 500
        assert "consignor_name" not in response.context["adminform"].form.initial


def _post_data(page) -> dict:
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if hasattr(value, "pk"):
            value = value.pk
        if isinstance(value, dt.datetime):
            value = timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
            data[f"{name}_0"], data[f"{name}_1"] = value.split(" ")
            continue
        data[name] = value
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name, field in management.fields.items():
            data[f"{management.prefix}-{name}"] = management.initial.get(name, field.initial)
    return data


def test_the_file_page_shows_what_the_packets_need_and_refuses_a_bad_pin(desk, facilitator):
    case = factories.CaseFactory(facilitator=facilitator)
    found = factories.give_regulatory_file(case, facilitator, applicant_occupation="")
    url = reverse("admin:regulatory_regulatoryfile_change", args=[found.pk])
    page = desk.get(url)
    assert "Form 12A needs the applicant&#x27;s occupation" in page.content.decode()

    data = _post_data(page)
    data["applicant_pin"] = "5700"
    refused = desk.post(url, data)
    assert refused.status_code == 200
    assert "Enter the 6-digit PIN code" in refused.content.decode()
    found.refresh_from_db()
    assert found.applicant_pin == "570012"

    data["applicant_pin"] = "560001"
    data["applicant_occupation"] = "Teacher"
    saved = desk.post(url, data)
    assert saved.status_code == 302
    found.refresh_from_db()
    assert (found.applicant_pin, found.applicant_occupation) == ("560001", "Teacher")


def test_a_query_is_recorded_on_the_file_page(desk, facilitator):
    case = factories.walk_to(
        factories.CaseFactory(facilitator=facilitator), CaseState.DOCUMENTS, facilitator
    )
    found = factories.give_regulatory_file(case, facilitator)
    url = reverse("admin:regulatory_regulatoryfile_change", args=[found.pk])
    data = _post_data(desk.get(url))
    prefix = "cdsco_queries"
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-0-raised_at_0": timezone.localdate().isoformat(),
            f"{prefix}-0-raised_at_1": "00:05:00",
            f"{prefix}-0-text": "Attach the genetic report.",
            f"{prefix}-0-due_by": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        }
    )
    response = desk.post(url, data)
    assert response.status_code == 302, response.context and response.context.get("errors")
    query = CdscoQuery.objects.get(file=found)
    assert query.is_open
    assert query.recorded_by == facilitator
    listing = desk.get(reverse("admin:regulatory_cdscoquery_changelist")).content.decode()
    assert case.reference in listing
    assert "open" in listing


def test_only_facilitators_reach_the_file_pages(client, facilitator, doctor1):
    case = factories.CaseFactory(facilitator=facilitator)
    found = factories.give_regulatory_file(case, facilitator)
    staff = factories.UserFactory(username="plain-staff", is_staff=True)
    for user in (staff, doctor1):
        client.force_login(user)
        for url in (
            reverse("admin:regulatory_regulatoryfile_change", args=[found.pk]),
            reverse("admin:regulatory_exemptionnotification_changelist"),
            reverse("admin:regulatory_sugam", args=[case.pk]),
            reverse("admin:regulatory_utilisation"),
        ):
            assert client.get(url).status_code in (302, 403), (user, url)


def test_the_file_list_links_the_utilisation_report_and_filters_open_queries(desk, facilitator):
    case = factories.CaseFactory(facilitator=facilitator)
    found = factories.give_regulatory_file(case, facilitator)
    listing = desk.get(reverse("admin:regulatory_regulatoryfile_changelist"))
    assert reverse("admin:regulatory_utilisation") in listing.content.decode()
    open_only = desk.get(reverse("admin:regulatory_regulatoryfile_changelist") + "?query=open")
    assert case.reference not in open_only.content.decode()
    CdscoQuery.objects.create(
        file=found, raised_at=timezone.now(), text="Query.", due_by=timezone.localdate()
    )
    open_only = desk.get(reverse("admin:regulatory_regulatoryfile_changelist") + "?query=open")
    assert case.reference in open_only.content.decode()
