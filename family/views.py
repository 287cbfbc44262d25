"""The guardian status page and the portal users' language choice."""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cases import access
from cases.clock import today_ist

from . import selectors, services
from .forms import ConsentForm, LanguageForm, WithdrawForm
from .language import SESSION_KEY
from .models import GuardianLink, Language


def _problem(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    response = render(
        request, "family/link_problem.html", {"title": title, "text": text}, status=status
    )
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _client(request: HttpRequest) -> str:
    return services.client_key(request.META.get("REMOTE_ADDR", ""))


@require_http_methods(["GET", "POST"])
def guardian_status_page(request: HttpRequest, token: str) -> HttpResponse:
    """One case's progress for its family, in their language. Anyone with the link sees it,
    so it shows nothing clinical; each opening is logged and counted (429 past the limit)."""
    try:
        link = services.link_from_token(token)
    except services.LinkInvalid:
        return _problem(
            request,
            404,
            _("This link does not work"),
            _(
                "The address is not complete or has been changed. Open the link from the "
                "message you received again, or ask the facilitator for a new one."
            ),
        )
    with translation.override(link.language):
        return _page(request, link, token)


def _page(request: HttpRequest, link: GuardianLink, token: str) -> HttpResponse:
    now = timezone.now()
    outcome = (
        "revoked"
        if link.revoked_at is not None
        else ("shown" if access.guardian_link_open(link, now) else "expired")
    )
    if not services.guardian_link_record_view(
        link=link,
        client=_client(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        outcome=outcome,
        now=now,
    ):
        response = _problem(
            request,
            429,
            _("Too many visits"),
            _("This page was opened too many times in the last hour. Try again in an hour."),
        )
        response.headers["Retry-After"] = "3600"
        return response
    if outcome == "revoked":
        return _problem(
            request,
            410,
            _("This link has been stopped"),
            _("The facilitator stopped this link. Ask them for a new one."),
        )
    if outcome == "expired":
        return _problem(
            request,
            410,
            _("This link has expired"),
            _("Links work for a limited time. Ask the facilitator for a new one."),
        )

    consent_form, withdraw_form = ConsentForm(), WithdrawForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "language":
                form = LanguageForm(request.POST)
                if form.is_valid():
                    services.guardian_set_language(
                        link=link, language=form.cleaned_data["language"]
                    )
                return redirect(request.path)
            if action == "consent":
                consent_form = ConsentForm(request.POST)
                if consent_form.is_valid():
                    services.guardian_consent_give(link=link, **_consent_values(consent_form))
                    messages.success(request, _("Thank you: your consent is recorded."))
                    return redirect(request.path)
            elif action == "withdraw":
                withdraw_form = WithdrawForm(request.POST)
                if withdraw_form.is_valid():
                    services.guardian_consent_withdraw(link=link)
                    messages.success(
                        request,
                        _(
                            "Your consent is withdrawn. We have stopped working on your "
                            "child's case; the facilitator will contact you."
                        ),
                    )
                    return redirect(request.path)
        except ValidationError as exc:
            if getattr(exc, "code", None) == "consent_in_force":  # the form sent twice
                messages.info(request, exc.messages[0])
                return redirect(request.path)
            target = consent_form if action == "consent" else withdraw_form
            for message in exc.messages:
                target.add_error(None, message)
        except PermissionDenied:
            return redirect(request.path)

    status = selectors.guardian_status(link, today_ist(now))
    consent_form.initial["notice_version"] = settings.NPP_PRIVACY_NOTICE_VERSION
    response = render(
        request,
        "family/guardian_status.html",
        {
            "link": link,
            "status": status,
            "consent_form": consent_form,
            "withdraw_form": withdraw_form,
            "notice_version": settings.NPP_PRIVACY_NOTICE_VERSION,
            "languages": Language.choices,
        },
    )
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _consent_values(form: ConsentForm) -> dict:
    data = form.cleaned_data
    return {
        name: data[name]
        for name in (
            "given_by",
            "relationship",
            "verified_how",
            "identity_reference",
            "notice_version",
        )
    }


@require_POST
def choose_language(request: HttpRequest) -> HttpResponse:
    """Choose the language of the pages: stored on a signed-in user (their reminders follow
    it), in a cookie for someone not signed in yet (the sign-in page)."""
    form = LanguageForm(request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = "/portal/"
    response = redirect(back)
    if not form.is_valid():
        return response
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        with contextlib.suppress(PermissionDenied):
            services.language_set(user=request.user, language=language, by=request.user)
            request.session[SESSION_KEY] = language
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=request.is_secure(),
        httponly=True,
    )
    return response
