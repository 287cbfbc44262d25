from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from cases import access

from .auth_urls import admin_login_redirect
from .healthz import healthz


def _verified_staff(request) -> bool:
    """The admin opens only to active staff whose session passed the second factor
    (npp.two_factor); ``cases.access`` decides."""
    return access.may_enter_admin(request.user)


# The default site's check replaced in place (no AdminSite subclass to register models on).
admin.site.has_permission = _verified_staff  # type: ignore[method-assign]
admin.site.site_header = "NPP import cases"
admin.site.site_title = "NPP import cases"
admin.site.index_title = "Facilitator desk"

# Our styled pages, safe to render with the database down (503 then, with Retry-After).
handler500 = "npp.errors.server_error"

urlpatterns = [
    path("", RedirectView.as_view(url="/portal/", permanent=False)),
    # Before the admin: its login page hands over to the shared one.
    path("admin/login/", admin_login_redirect),
    path("admin/", admin.site.urls),
    path("dashboard/", include("dashboard.urls")),
    path("accounts/", include("npp.auth_urls")),
    path("portal/", include("portals.urls")),
    path("clinical/", include("clinical.urls")),
    path("healthz", healthz, name="healthz"),
    path("documents/", include("documents.urls")),
    path("cold-chain/", include("coldchain.urls")),
    # Signed inbound events from couriers and temperature loggers (CSRF-exempt there only).
    path("webhooks/", include("webhooks.urls")),
    path("api/v1/", include("api.urls")),
    # The guardian's status link (no login) and the portal users' language.
    path("family/", include("family.urls")),
]
