"""Admin-side views for packets: queue a build, report its progress, and the case-page panel.

Only facilitators reach these (``cases.access.may_build_packets``). The build
button posts a plain form (it works without JavaScript); ``static/npp/packets.js`` then polls
the JSON endpoint to move the progress bar, so the page needs no inline script and runs under
a Content-Security-Policy without 'unsafe-inline'.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cases import access
from cases.models import Case
from cases.states import CaseState

from . import PacketError, provided_facts
from .models import BuildStatus, PacketBuild, PacketKind
from .services import PACKET_TYPE_CODES, packet_blockers, packet_build_request, select_enclosures


def facilitator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.may_build_packets(request.user):
            raise PermissionDenied("Only facilitators build packets.")
        return view(request, *args, **kwargs)

    return wrapper


@require_POST
@facilitator_required
def build(request: HttpRequest, case_pk: int, kind: str) -> HttpResponse:
    """Queue a packet build (or find the one under way) and go back to the case page."""
    case = get_object_or_404(access.cases_visible_to(request.user), pk=case_pk)
    if kind not in PacketKind.values:
        raise PermissionDenied("Unknown packet.")
    label = PacketKind(kind).label
    try:
        packet_build = packet_build_request(case=case, kind=kind, by=request.user)
    except PacketError as exc:
        messages.error(request, f"{label} not built: {' '.join(exc.messages)}")
        return HttpResponseRedirect(
            reverse("admin:cases_case_change", args=[case.pk]) + "#npp-packets"
        )
    messages.info(
        request,
        f"{label}: build #{packet_build.pk} is {packet_build.get_status_display().lower()}.",
    )
    return HttpResponseRedirect(reverse("admin:cases_case_change", args=[case.pk]) + "#npp-packets")


@require_GET
@facilitator_required
def build_status(request: HttpRequest, pk: int) -> JsonResponse:
    """{"status", "progress", "step", "error", "download_url"} of one build, for the progress bar."""
    packet_build = get_object_or_404(
        PacketBuild.objects.filter(case__in=access.cases_visible_to(request.user)), pk=pk
    )
    response = JsonResponse(status_payload(packet_build))
    response["Cache-Control"] = "no-store"
    return response


def status_payload(packet_build: PacketBuild) -> dict[str, Any]:
    done = packet_build.status == BuildStatus.DONE and packet_build.document_id
    return {
        "status": packet_build.status,
        "progress": packet_build.progress,
        "step": packet_build.step,
        "error": packet_build.error,
        "download_url": reverse("documents:download", args=[packet_build.document_id])
        if done
        else "",
    }


def _admin_action(kind: PacketKind) -> Callable[..., None]:
    """A changelist action queueing ``kind`` builds for the selected cases."""

    def action(modeladmin: Any, request: HttpRequest, queryset: Any) -> None:
        queued = 0
        for case in queryset:
            try:
                packet_build_request(case=case, kind=kind.value, by=request.user)
            except (PermissionDenied, PacketError) as exc:
                modeladmin.message_user(request, f"{case.reference}: {exc}", messages.ERROR)
            else:
                queued += 1
        modeladmin.message_user(
            request,
            f"{kind.label}: {queued} build(s) queued; each case page shows its progress.",
            messages.INFO,
        )

    action.__name__ = f"build_{kind.value}_packets"
    action.short_description = f"Build {kind.label.lower()}s"  # type: ignore[attr-defined]
    action.allowed_permissions = ("change",)  # type: ignore[attr-defined]
    return action


# For the case list's actions (documents.admin): queue builds for the selected cases.
build_application_packets = _admin_action(PacketKind.APPLICATION)
build_customs_packets = _admin_action(PacketKind.CUSTOMS)


def packet_panel(user: Any, case: Case) -> dict[str, Any]:
    """What ``admin/cases/case/_packets.html`` shows: buttons, latest builds, latest packets."""
    builds: dict[str, PacketBuild] = {}
    for packet_build in PacketBuild.objects.filter(case=case).order_by("-created_at", "-id")[:20]:
        builds.setdefault(packet_build.kind, packet_build)
    kinds = []
    for kind in PacketKind:
        latest = builds.get(kind.value)
        missing: list[str] = []
        try:
            select_enclosures(case, kind.value)
        except PacketError as exc:
            missing = exc.messages
        try:
            provided_facts(case, kind.value)
        except PacketError as exc:
            missing += exc.messages
        kinds.append(
            {
                "missing": missing,
                "kind": kind.value,
                "label": kind.label,
                "build_url": reverse("documents:packet_build", args=[case.pk, kind.value]),
                "build": latest,
                "status": status_payload(latest) if latest else None,
                "status_url": reverse("documents:packet_build_status", args=[latest.pk])
                if latest
                else "",
            }
        )
    packets = (
        case.documents.filter(document_type__code__in=PACKET_TYPE_CODES.values())
        .select_related("document_type")
        .order_by("-uploaded_at")[:6]
    )
    stale = packet_blockers(case) if case.state == CaseState.DOCUMENTS else []
    return {"kinds": kinds, "packets": packets, "application_blockers": stale}
