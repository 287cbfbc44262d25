"""Forms that collect the facts a transition records (one form class per transition)."""

from __future__ import annotations

from functools import cache
from typing import Any

from django import forms

from . import access
from .models import Case, Doctor
from .services import FACILITATOR_FACTS, TRANSITION_FACTS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class TransitionForm(forms.Form):
    """Base: the facts of one transition, a note for the case log, and the state the user saw."""

    transition_name: str = ""
    note = forms.CharField(
        label="Note for the case log", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    seen_state = forms.CharField(widget=forms.HiddenInput, required=False)

    def facts(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in TRANSITION_FACTS[self.transition_name]
            if name in self.fields
        }


def _widget_for(field: forms.Field) -> forms.Widget | None:
    if isinstance(field, forms.DateTimeField):
        return DateTimeInput()
    if isinstance(field, forms.DateField):
        return DateInput()
    if isinstance(field, forms.CharField) and isinstance(field.widget, forms.Textarea):
        return forms.Textarea(attrs={"rows": 2})
    return None


@cache
def transition_form_class(name: str) -> type[TransitionForm]:
    """The form for transition ``name``: its facts as model form fields, built once."""
    fields = forms.fields_for_model(Case, fields=TRANSITION_FACTS[name])
    for field in fields.values():
        widget = _widget_for(field)
        if widget is not None:
            field.widget = widget
    # Reasons are the whole point of these transitions: ask for them up front.
    for reason in ("rejection_reason", "hold_reason", "cancellation_reason"):
        if reason in fields:
            fields[reason].required = True
    attrs = {"transition_name": name, **fields}
    return type(f"{name.title().replace('_', '')}Form", (TransitionForm,), attrs)


def transition_form(name: str, case: Case, data=None, *, user=None) -> TransitionForm:
    """An unbound form prefilled from the case, or a bound one when ``data`` is given.

    Facts only a facilitator records (``FACILITATOR_FACTS``) are left out unless ``user`` is a
    facilitator."""
    initial = {fact: getattr(case, fact) for fact in TRANSITION_FACTS[name]}
    initial["seen_state"] = case.state
    form = transition_form_class(name)(data=data, initial=initial, prefix=name)
    if not access.may_record_facilitator_facts(user, case):
        for fact in FACILITATOR_FACTS:
            form.fields.pop(fact, None)
    return form


class CaseAdminForm(forms.ModelForm):
    class Meta:
        model = Case
        # Only what the admin's fieldsets edit; the rest is read-only or set by transitions.
        fields = ["priority", "facilitator", "patient", "product", "doctor", "hospital"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # a ModelForm's clean() returns its cleaned_data
        doctor: Doctor | None = cleaned.get("doctor")
        hospital = cleaned.get("hospital")
        if doctor and hospital and doctor.hospital_id != hospital.pk:
            self.add_error(
                "doctor",
                f"{doctor} works at {doctor.hospital.name}; choose that hospital or another doctor.",
            )
        return cleaned
