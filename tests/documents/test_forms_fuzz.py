"""Fuzzing the lab-value and weight inputs: any text is either accepted within the
physiological ranges or refused with a message, never a crash."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import WeightMeasurement
from documents.forms import UploadForm
from documents.models import DocumentType

pytestmark = pytest.mark.django_db

RANGES = {  # the model validators' bounds, which the form enforces
    "alt": (Decimal(0), Decimal(5000)),
    "ast": (Decimal(0), Decimal(5000)),
    "total_bilirubin": (Decimal(0), Decimal(50)),
    "platelets": (Decimal(0), Decimal(2000)),
    "troponin_i": (Decimal(0), Decimal(100)),
    "creatinine": (Decimal(0), Decimal(20)),
}
text_or_number = st.one_of(
    st.text(max_size=30),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
)
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _as_decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


@FUZZ
@given(
    field=st.sampled_from(sorted(RANGES)),
    value=text_or_number,
    days_ago=st.integers(min_value=-400, max_value=4000),
)
def test_any_lab_value_is_accepted_in_range_or_refused_with_a_message(field, value, days_ago):
    liver = DocumentType.objects.get(code="liver_function")
    taken = dt.date.today() - dt.timedelta(days=days_ago)
    form = UploadForm(
        data={"document_type": liver.pk, "sample_taken_on": taken.isoformat(), field: value}
    )
    valid = form.is_valid()  # must not raise
    if valid:
        number = form.cleaned_data[field]
        if number is not None:
            low, high = RANGES[field]
            assert low <= number <= high
        assert form.cleaned_data["sample_taken_on"] <= dt.date.today()
    else:
        assert all(messages for messages in form.errors.values())
    if days_ago < 0:
        assert "sample_taken_on" in form.errors  # a sample from the future is refused


@FUZZ
@given(titre=st.text(max_size=20))
def test_any_titre_text_is_accepted_as_a_ratio_or_refused(titre):
    titre_type = DocumentType.objects.get(code="anti_aav9_titer")
    form = UploadForm(
        data={
            "document_type": titre_type.pk,
            "sample_taken_on": dt.date.today().isoformat(),
            "anti_aav9_titer": titre,
        }
    )
    if form.is_valid() and form.cleaned_data["anti_aav9_titer"]:
        left, right = form.cleaned_data["anti_aav9_titer"].split(":")
        assert left == "1"
        assert right.isdigit()


@FUZZ
@given(weight=text_or_number)
def test_any_weight_is_within_0_5_and_30_kg_or_refused(weight, case_a):
    measurement = WeightMeasurement(patient=case_a.patient, measured_on=dt.date.today())
    try:
        measurement.weight_kg = weight
        measurement.full_clean()
    except ValidationError as exc:
        assert exc.messages  # noqa: PT017 - hypothesis: only some inputs are refused
        return
    value = Decimal(str(measurement.weight_kg))
    assert Decimal("0.5") <= value <= Decimal("30.0")
    assert _as_decimal(weight) is not None
