"""The prednisolone course (DOMAIN.md §1.7): day -1 at 1 mg/kg/day from the infusion-day
weight, the day-30 decision, a 28-day taper, never stopped abruptly."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from clinical.models import SteroidCourse
from clinical.services import (
    steroid_course_start,
    steroid_review_decide,
    steroid_taper_end,
    steroid_taper_start,
)

from .conftest import INFUSION_DAY, day, on_day

pytestmark = pytest.mark.django_db


def test_the_course_starts_on_day_minus_1_at_1_mg_per_kg_of_the_infusion_day_weight(
    infused, doctor1
):
    course = steroid_course_start(case=infused, by=doctor1)
    weight = infused.patient.latest_weight().weight_kg
    assert course.started_on == day(-1)
    assert course.dose_mg == D(weight).quantize(D("0.01"))
    assert course.review_on == day(28)


def test_a_start_on_another_day_is_refused(infused, doctor1):
    with pytest.raises(ValidationError, match="day -1, the day before the infusion: 01 Mar 2026"):
        steroid_course_start(case=infused, by=doctor1, started_on=INFUSION_DAY)
    assert not SteroidCourse.objects.exists()


def test_never_stop_abruptly(infused, doctor1):
    course = steroid_course_start(case=infused, by=doctor1)
    with on_day(40), pytest.raises(ValidationError, match="Record the day-30 review's decision"):
        steroid_taper_end(course=course, by=doctor1, on=day(40))
    with on_day(40):
        course = steroid_review_decide(course=course, by=doctor1, decision="taper")
    with on_day(40), pytest.raises(ValidationError, match="Never stop prednisolone abruptly"):
        steroid_taper_end(course=course, by=doctor1, on=day(40))
    course.refresh_from_db()
    assert course.taper_ended_on is None


def test_continue_needs_a_next_review_and_blocks_the_taper(infused, doctor1):
    course = steroid_course_start(case=infused, by=doctor1)
    with on_day(29):
        with pytest.raises(ValidationError, match="next review"):
            steroid_review_decide(course=course, by=doctor1, decision="continue")
        course = steroid_review_decide(
            course=course, by=doctor1, decision="continue", next_review_on=day(42)
        )
        with pytest.raises(ValidationError, match="decision to taper first"):
            steroid_taper_start(course=course, by=doctor1, on=day(29))


def test_a_taper_lasts_28_days(infused, doctor1):
    course = steroid_course_start(case=infused, by=doctor1)
    with on_day(60):
        course = steroid_review_decide(course=course, by=doctor1, decision="taper")
        course = steroid_taper_start(course=course, by=doctor1, on=day(29))
        with pytest.raises(ValidationError, match="ends on 27 Apr 2026 at the earliest"):
            steroid_taper_end(course=course, by=doctor1, on=day(50))
        course = steroid_taper_end(course=course, by=doctor1, on=day(56))
    assert course.taper_ended_on == day(56)


def sweep_kinds(at_day: int, hour: int = 10) -> list[str]:
    import datetime as dt

    from cases.models import Notification
    from cases.reminders import reminders_sweep

    from .conftest import IST

    moment = dt.datetime.combine(day(at_day), dt.time(hour), tzinfo=IST)
    reminders_sweep(now=moment, enqueue=False)
    return sorted(
        Notification.objects.filter(
            kind__in=("steroid_decision_due", "taper_end_due"), channel="in_app"
        ).values_list("kind", flat=True)
    )


def test_a_missing_day_30_decision_is_reminded_once_the_morning_after(infused, doctor1):
    steroid_course_start(case=infused, by=doctor1)
    assert sweep_kinds(28) == []
    assert sweep_kinds(29) == ["steroid_decision_due"]
    assert sweep_kinds(30) == ["steroid_decision_due"]  # once
    from cases.models import Notification
    from cases.reminders import texts

    _subject, body, _html = texts.render_one(
        Notification.objects.get(channel="in_app", kind="steroid_decision_due")
    )
    assert "The day-30 liver review" in body
    assert "was due on 30 Mar 2026 and no decision is recorded" in body


def test_the_taper_end_is_reminded_the_day_before(infused, doctor1):
    course = steroid_course_start(case=infused, by=doctor1)
    with on_day(29):
        course = steroid_review_decide(course=course, by=doctor1, decision="taper")
        steroid_taper_start(course=course, by=doctor1, on=day(29))
    assert sweep_kinds(54) == []
    assert sweep_kinds(55) == ["taper_end_due"]
    assert sweep_kinds(56) == ["taper_end_due"]
