"""Clinical routes under ``/clinical/`` in the ``clinical`` namespace."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "clinical"
urlpatterns = [
    path("cases/<int:pk>/", views.monitoring, name="monitoring"),
    path("cases/<int:pk>/slots/<slug:slot>/", views.slot_entry, name="slot"),
    path("cases/<int:pk>/values/", views.other_value, name="other_value"),
    path("cases/<int:pk>/steroid/<slug:action>/", views.steroid_action, name="steroid"),
    path("cases/<int:pk>/adverse-events/new/", views.adverse_event_new, name="adverse_event_new"),
    path("cases/<int:pk>/outcomes/<int:month>/", views.outcome_entry, name="outcome"),
    path("signals/<int:pk>/decide/", views.signal_decide, name="signal_decide"),
    path("adverse-events/<int:pk>/", views.adverse_event, name="adverse_event"),
    path("adverse-events/<int:pk>/pvpi.pdf", views.adverse_event_pdf, name="adverse_event_pdf"),
    path(
        "adverse-events/<int:pk>/export.<slug:fmt>",
        views.adverse_event_export,
        name="adverse_event_export",
    ),
]
