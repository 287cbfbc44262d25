from __future__ import annotations

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from .healthz import healthz

admin.site.site_header = "NPP import cases"
admin.site.site_title = "NPP import cases"
admin.site.index_title = "Facilitator desk"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
