"""Facilitators in the admin: add a value through the service (refused with its message),
read signals, record an adverse event's forwarding with the action."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clinical.models import AdverseEventForward, LabValue

from .conftest import day, on_day

pytestmark = pytest.mark.django_db


def value_form(case, **extra):
    return {
        "case": case.pk,
        "slot": "week_1",
        "test": "alt",
        "value": "190",
        "unit": "U/L",
        "uln": "40",
        "sampled_on": day(7).isoformat(),
        "lab": "City Lab",
        **extra,
    }


def test_a_facilitator_adds_a_value_and_a_signal_opens(client, infused, facilitator):
    with on_day(7):
        client.force_login(facilitator)
        page = client.post(reverse("admin:clinical_labvalue_add"), value_form(infused), follow=True)
    assert page.status_code == 200
    assert "Safety signal opened: ALT 190 is above 2 x ULN (80)." in page.text
    assert LabValue.objects.get().recorded_by == facilitator


def test_a_wrong_unit_is_refused_with_its_message(client, infused, facilitator):
    with on_day(7):
        client.force_login(facilitator)
        page = client.post(
            reverse("admin:clinical_labvalue_add"), value_form(infused, unit="mg/dL"), follow=True
        )
    assert "ALT is not measured in mg/dL; use U/L or IU/L." in page.text
    assert not LabValue.objects.exists()


def test_staff_who_are_not_facilitators_see_nothing(client, infused, staff_non_facilitator):
    client.force_login(staff_non_facilitator)
    assert client.get(reverse("admin:clinical_labvalue_changelist")).status_code == 403


def test_the_forwarding_action_keeps_a_record(client, infused, doctor1, facilitator, settings):
    from clinical.services import adverse_event_report

    settings.NPP_AE_MANUFACTURER_SAFETY_EMAIL = "drug.safety@maker.example"
    with on_day(10):
        event = adverse_event_report(
            case=infused, by=doctor1, onset_on=day(9), description="Fever 39 C"
        )
        client.force_login(facilitator)
        client.post(
            reverse("admin:clinical_adverseevent_changelist"),
            {"action": "record_forwarded", "_selected_action": [event.pk]},
        )
    (sent,) = AdverseEventForward.objects.all()
    assert (sent.sent_to, sent.sent_by) == ("drug.safety@maker.example", facilitator)


def test_admin_reads_are_in_the_access_log(client, infused, facilitator):
    from documents.models import DocumentAccess

    client.force_login(facilitator)
    client.get(reverse("admin:clinical_labvalue_changelist"))
    assert DocumentAccess.objects.filter(action="clinical_read", username="facilitator").exists()


def test_an_adverse_event_the_service_refuses_is_a_message_not_an_error(
    client, infused, facilitator
):
    from clinical.models import AdverseEvent

    with on_day(7):
        client.force_login(facilitator)
        page = client.post(
            reverse("admin:clinical_adverseevent_add"),
            {
                "case": infused.pk,
                "onset_on": day(20).isoformat(),  # in the future
                "aware_at_0": day(7).isoformat(),
                "aware_at_1": "10:00:00",
                "description": "Vomiting.",
                "outcome": "recovering",
                "forwards-TOTAL_FORMS": "0",
                "forwards-INITIAL_FORMS": "0",
            },
            follow=True,
        )

    assert page.status_code == 200
    assert "The onset date cannot be in the future." in page.text
    assert not AdverseEvent.objects.exists()


def test_an_outcomes_case_and_month_cannot_be_moved_in_the_admin(client, infused, facilitator):
    from clinical.models import Outcome
    from clinical.services import outcome_record

    with on_day(95):
        outcome = outcome_record(
            case=infused,
            by=facilitator,
            month=3,
            assessed_on=day(92),
            head_control=True,
            sits_unaided=False,
            stands=False,
            walks=False,
            ventilation="none",
            feeding="oral",
        )
        client.force_login(facilitator)
        page = client.get(reverse("admin:clinical_outcome_change", args=[outcome.pk]))

    form = page.context["adminform"].form
    assert "month" not in form.fields
    assert "case" not in form.fields
    assert Outcome.objects.get().month == 3
