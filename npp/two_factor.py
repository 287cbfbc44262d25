"""Two-factor sign-in for facilitators (django-otp, TOTP).

Staff type their authenticator code on the shared login page. A staff session without a
verified code is not a facilitator session: ``cases.permissions.user_is_facilitator`` says no,
so the admin, the dashboard and every scoped read refuse it until ``/accounts/2fa/`` verifies
(or first sets up) the code.
"""

from __future__ import annotations

import base64

import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

# The two predicates live with the role checks in cases.permissions, which needs them and sits
# below npp; the sign-in views and the admin's gate still import them from here.
from cases.permissions import session_verified, two_factor_required

CODE_HELP = "The 6-digit code from your authenticator app."
# One answer to every failed sign-in, whatever was wrong: a different one for a right password
# with a wrong code would confirm the password to whoever lacks only the authenticator.
SIGN_IN_FAILED = (
    "Enter a correct username and password (both are case-sensitive) and, for "
    "facilitators, the current 6-digit code from your authenticator app."
)


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


class LoginForm(AuthenticationForm):
    """Username and password for everyone; staff with an authenticator also give its code.

    A wrong (or missing) code fails like a wrong password: the same message, and it counts
    toward django-axes' lockout (``user_login_failed``), so codes cannot be tried endlessly
    once a password is known."""

    error_messages = {**AuthenticationForm.error_messages, "invalid_login": SIGN_IN_FAILED}

    otp_token = forms.CharField(
        label="Authenticator code (facilitators only)",
        required=False,
        max_length=8,
        help_text=CODE_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is None or not two_factor_required(user):
            return cleaned
        device = confirmed_device(user)
        if device is None:
            return cleaned  # first sign-in: /accounts/2fa/ sets the authenticator up
        token = (cleaned.get("otp_token") or "").strip()
        if not token or not device.verify_token(token):
            # As django.contrib.auth.authenticate() reports a wrong password (axes listens).
            user_login_failed.send(
                sender=__name__,
                request=self.request,
                credentials={"username": cleaned.get("username")},
            )
            self.user_cache = None
            raise self.get_invalid_login_error()
        user.otp_device = device  # django-otp marks the session verified on login
        return cleaned


class CodeForm(forms.Form):
    token = forms.CharField(
        label="Authenticator code",
        max_length=8,
        help_text=CODE_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _qr_data_uri(url: str) -> str:
    svg = segno.make(url, error="m").svg_inline(scale=4)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@login_required
def two_factor_view(request: HttpRequest) -> HttpResponse:
    """Verify this session with a code, or set an authenticator up on first use."""
    next_url = request.POST.get("next") or request.GET.get("next") or "/admin/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = "/admin/"
    if not two_factor_required(request.user) or session_verified(request.user):
        return redirect(next_url)
    device = confirmed_device(request.user)
    setting_up = device is None
    if setting_up:
        device, _ = TOTPDevice.objects.get_or_create(
            user=request.user, confirmed=False, defaults={"name": "Authenticator app"}
        )
    assert device is not None  # confirmed, or the one just set up
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            if setting_up:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect(next_url)
        form.add_error(
            "token", "That code is not right; check the time on your phone and try again."
        )
    context = {"form": form, "next": next_url, "setting_up": setting_up}
    if setting_up:
        context["qr"] = _qr_data_uri(device.config_url)
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "registration/two_factor.html", context)
