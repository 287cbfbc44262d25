"""The API's routes, included under ``/api/v1/`` in the ``api`` namespace.

Each transition has its own path, so the schema gives each its own body (exactly its facts).
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from cases.services import TRANSITION_FACTS

from .views.cases import (
    CaseBlockers,
    CaseDeadlines,
    CaseDetail,
    CaseList,
    CaseTimeline,
    CaseTransition,
)
from .views.clinical import CaseLabValues
from .views.docs import docs
from .views.documents import CaseDocuments, DocumentDetail, DocumentDownload
from .views.notifications import NotificationList, NotificationsMarkRead

app_name = "api"
urlpatterns = [
    path("cases/", CaseList.as_view(), name="case-list"),
    path("cases/<str:reference>/", CaseDetail.as_view(), name="case-detail"),
    path("cases/<str:reference>/blockers/", CaseBlockers.as_view(), name="case-blockers"),
    path("cases/<str:reference>/timeline/", CaseTimeline.as_view(), name="case-timeline"),
    path("cases/<str:reference>/deadlines/", CaseDeadlines.as_view(), name="case-deadlines"),
    path("cases/<str:reference>/documents/", CaseDocuments.as_view(), name="case-documents"),
    path("cases/<str:reference>/lab-values/", CaseLabValues.as_view(), name="case-lab-values"),
    *[
        path(
            f"cases/<str:reference>/transitions/{name}/",
            CaseTransition.as_view(transition=name),
            name=f"case-transition-{name}",
        )
        for name in TRANSITION_FACTS
    ],
    path("documents/<int:pk>/", DocumentDetail.as_view(), name="document-detail"),
    path("documents/<int:pk>/download/", DocumentDownload.as_view(), name="document-download"),
    path("notifications/", NotificationList.as_view(), name="notification-list"),
    path("notifications/read/", NotificationsMarkRead.as_view(), name="notification-read"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs, name="docs"),
]
