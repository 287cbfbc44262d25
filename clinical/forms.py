"""Portal forms of the clinical app. They collect what the person typed; the services judge
it (units, ranges, dates) and their messages are shown on the form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.clock import today_ist

from . import catalogue
from .models import SERIOUSNESS, AdverseEvent, Outcome, SteroidDecision
from .thresholds import TMA_SIGNS

DATE = forms.DateInput(attrs={"type": "date"})
NUMBER = {"inputmode": "decimal", "autocomplete": "off", "size": "7"}


class PanelForm(forms.Form):
    """One slot's grid: a value, unit and ULN per test, the sample date and lab, and the TMA
    watch. Field names: ``<test>``, ``<test>_unit``, ``<test>_uln``."""

    sampled_on = forms.DateField(label=_("Sample taken on"), widget=DATE)
    lab = forms.CharField(label=_("Lab"), max_length=200, required=False)

    def __init__(self, *args, tests: tuple[str, ...], expected: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.fields["sampled_on"].initial = today_ist()
        self.tests = tests
        self.expected = expected
        for test in tests:
            spec = catalogue.TESTS[test]
            self.fields[test] = forms.CharField(
                label=spec.name, required=False, widget=forms.TextInput(attrs=NUMBER)
            )
            self.fields[f"{test}_unit"] = forms.ChoiceField(
                label=_("%(test)s unit") % {"test": spec.name},
                choices=[(u, u) for u in spec.unit_codes()],
                required=False,
            )
            if spec.uln_applies:
                self.fields[f"{test}_uln"] = forms.CharField(
                    label=_("%(test)s ULN printed by the lab") % {"test": spec.name},
                    required=False,
                    widget=forms.TextInput(attrs=NUMBER),
                )
        self.fields["tma_checked"] = forms.BooleanField(
            label=_("I checked for signs of TMA"), required=False
        )
        for sign, words in TMA_SIGNS.items():
            self.fields[f"tma_{sign}"] = forms.BooleanField(
                label=_(words.capitalize()), required=False
            )

    def rows(self):
        for test in self.tests:
            yield {
                "test": test,
                "expected": test in self.expected,
                "value": self[test],
                "unit": self[f"{test}_unit"],
                "uln": self[f"{test}_uln"] if f"{test}_uln" in self.fields else None,
            }

    def tma_fields(self):
        return [self[f"tma_{sign}"] for sign in TMA_SIGNS]

    def values(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {
                "test": test,
                "value": data.get(test),
                "unit": data.get(f"{test}_unit") or "",
                "uln": data.get(f"{test}_uln"),
            }
            for test in self.tests
        ]

    def tma_signs(self) -> list[str] | None:
        data = self.cleaned_data
        ticked = [sign for sign in TMA_SIGNS if data.get(f"tma_{sign}")]
        return ticked if (ticked or data.get("tma_checked")) else None


class OtherValueForm(forms.Form):
    """One value outside the schedule or of a test not in the grid."""

    test = forms.ChoiceField(
        label=_("Test"),
        choices=[(code, spec.name) for code, spec in catalogue.TESTS.items()]
        + [(catalogue.OTHER, _("Other (name it)"))],
    )
    name = forms.CharField(label=_("Name of the other test"), required=False, max_length=100)
    value = forms.CharField(label=_("Value"), required=False, widget=forms.TextInput(attrs=NUMBER))
    unit = forms.CharField(label=_("Unit as printed"), required=False, max_length=20)
    uln = forms.CharField(
        label=_("ULN printed by the lab"), required=False, widget=forms.TextInput(attrs=NUMBER)
    )
    reference_range = forms.CharField(
        label=_("Reference range as printed"), required=False, max_length=60
    )
    sampled_on = forms.DateField(label=_("Sample taken on"), widget=DATE)
    lab = forms.CharField(label=_("Lab"), max_length=200, required=False)


class DecisionForm(forms.Form):
    decision = forms.CharField(
        label=_("Your decision"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What will be done: repeat the test, treat, refer, continue as planned..."),
    )


class SteroidDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Day-30 review decision"), choices=SteroidDecision.choices)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    next_review_on = forms.DateField(
        label=_("Next review (when continuing)"), required=False, widget=DATE
    )


class SteroidDateForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=DATE)


class AdverseEventForm(forms.ModelForm):
    aware_at = forms.DateTimeField(
        label=_("When you became aware"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        required=False,
        help_text=_("Blank: now. The forwarding clock starts here."),
    )

    class Meta:
        model = AdverseEvent
        fields = [
            "aware_at",
            "onset_on",
            "stopped_on",
            "description",
            "relevant_tests",
            "aesi",
            *[name for name, _label in SERIOUSNESS],
            "death_on",
            "outcome",
            "dechallenge",
            "rechallenge",
            "concomitant",
        ]
        widgets = {
            "onset_on": DATE,
            "stopped_on": DATE,
            "death_on": DATE,
            "description": forms.Textarea(attrs={"rows": 3}),
            "relevant_tests": forms.Textarea(attrs={"rows": 2}),
            "concomitant": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {"concomitant": _("Blank: the prednisolone course is filled in.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["onset_on"].required = False  # the service says what is missing


class OutcomeForm(forms.ModelForm):
    class Meta:
        model = Outcome
        fields = [*Outcome.ASSESSED, "note"]
        widgets = {"assessed_on": DATE, "note": forms.Textarea(attrs={"rows": 2})}
