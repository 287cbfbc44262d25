"""The demo data (``seed_demo``) has a case in monitoring with results, one open safety signal
and one adverse event, and its closed case's steroid course is complete."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from cases.models import Case
from cases.states import CaseState
from clinical.models import AdverseEvent, LabValue, SafetySignal, SteroidCourse

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _built_just_after_the_infusion():
    """The demo is seeded today, not on this folder's infusion day."""
    return


def test_the_demo_has_a_monitoring_case_with_results_a_signal_and_an_adverse_event(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    monitoring = Case.objects.get(state=CaseState.MONITORING)
    assert LabValue.objects.filter(case=monitoring, slot="week_1").count() == 7
    (signal,) = SafetySignal.objects.all()
    assert signal.case == monitoring
    assert signal.is_open
    assert "ALT 132 is above 2 x ULN (80)" in signal.message
    (event,) = AdverseEvent.objects.all()
    assert event.case == monitoring
    closed = Case.objects.get(state=CaseState.CLOSED, infused_at__isnull=False)
    course = SteroidCourse.objects.get(case=closed)
    assert (course.decision, course.taper_ended_on is not None) == ("taper", True)
