"""The guardian page's forms (consent, withdrawal, language) and the portal users' language."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import ConsentMethod

from .models import GUARDIAN_PAGE_CHECKS, Language

IDENTITY_CHOICES = [
    (ConsentMethod.DETAILS_HELD.value, _("Use the identity details the facilitator already holds")),
    (ConsentMethod.DOCUMENT.value, _("I will show an identity document (Aadhaar, passport, ...)")),
    (ConsentMethod.DIGILOCKER.value, _("A DigiLocker token")),
]
assert {value for value, _label in IDENTITY_CHOICES} == {c.value for c in GUARDIAN_PAGE_CHECKS}


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)


class ConsentForm(forms.Form):
    given_by = forms.CharField(label=_("Your full name"), max_length=200)
    relationship = forms.CharField(
        label=_("Your relationship to the child"),
        max_length=50,
        help_text=_("For example: mother, father, legal guardian."),
    )
    verified_how = forms.ChoiceField(
        label=_("How we check that you are the child's parent"),
        choices=IDENTITY_CHOICES,
        widget=forms.RadioSelect,
    )
    identity_reference = forms.CharField(
        label=_("Which document, or the token's reference (optional)"),
        max_length=100,
        required=False,
    )
    notice_version = forms.CharField(widget=forms.HiddenInput)
    read_notice = forms.BooleanField(
        label=_("I have read the privacy notice above and I consent to it."),
        error_messages={"required": _("Tick the box to say you read the notice and consent.")},
    )


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I withdraw my consent to processing my child's data."),
        error_messages={"required": _("Tick the box to withdraw your consent.")},
    )
