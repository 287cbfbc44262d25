"""Signing in and out: one login page for every role.

``/accounts/login/`` is Django's ``LoginView`` with our template; after it, ``LOGIN_REDIRECT_URL``
(``/portal/``) sends each role to its home. The admin's own login page redirects here, keeping
``next``, so facilitators and everyone else use the same door (and the same lockout rules).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse, reverse_lazy

from .two_factor import LoginForm, session_verified, two_factor_required, two_factor_view


def admin_login_redirect(request: HttpRequest) -> HttpResponseRedirect:
    """``/admin/login/`` -> ``/accounts/login/``, passing on ``next`` and nothing else.

    A facilitator who signed in with a password but not yet with the second factor goes to
    ``/accounts/2fa/`` instead."""
    url = reverse("login")
    if two_factor_required(request.user) and not session_verified(request.user):
        url = reverse("two_factor")
    next_url = request.GET.get("next")
    if next_url:
        url += "?" + urlencode({"next": next_url})
    return HttpResponseRedirect(url)


urlpatterns = [
    path("login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("2fa/", two_factor_view, name="two_factor"),
    # Django's LogoutView answers POST only, so a link or an image cannot sign anyone out.
    path("logout/", auth_views.LogoutView.as_view(next_page=reverse_lazy("login")), name="logout"),
]
