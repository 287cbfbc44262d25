"""Writes for packets: build one (now or in the background), and say when one is stale.

A build is: choose the enclosures (the newest accepted version of each document the packet
needs) -> check each file is still the one uploaded and readable -> build the context -> render
and place the enclosure pages (``documents.rendering``) -> store the PDF through
``document_upload`` as the next version of the packet's document type, ``accepted``. Anything
wrong before the store raises ``PacketError`` with a message for the facilitator, and nothing
is stored, so the previous packet stays the newest.

Background builds run through ``PacketBuild`` rows (``packet_build_request`` queues one,
``packet_build_run`` is the task's body); see ``packet_build_run`` for how a retried task
never stores a second version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, cast

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from PIL import Image
from pypdf import PageObject

from cases import access
from cases.models import Case
from cases.states import CaseState
from documents import rendering
from documents.models import Document, DocumentType, ReviewStatus
from documents.selectors import checklist
from documents.services import document_upload

from . import (
    Enclosure,
    PacketError,
    application,
    customs,
    document_label,
    generated_text,
    in_sentence,
    provided_facts,
)
from .models import ACTIVE_STATUSES, MAX_ATTEMPTS, BuildStatus, PacketBuild, PacketKind

logger = logging.getLogger(__name__)

Progress = Callable[[int, str], None]

PACKET_TYPE_CODES: dict[str, str] = {
    PacketKind.APPLICATION: "application_packet",
    PacketKind.CUSTOMS: "customs_packet",
}
# The checklist target whose lines a packet encloses; customs keeps only its own codes.
_TARGETS: dict[str, str] = {
    PacketKind.APPLICATION: CaseState.REGULATORY_REVIEW,
    PacketKind.CUSTOMS: CaseState.DELIVERY,
}
_BUILDERS: dict[str, ModuleType] = {
    PacketKind.APPLICATION: application,
    PacketKind.CUSTOMS: customs,
}
_PDF = "application/pdf"


def _no_progress(percent: int, step: str) -> None:
    pass


# --- Enclosures -----------------------------------------------------------------------------


def select_enclosures(case: Case, kind: str) -> list[Document]:
    """The newest version of each document ``kind`` encloses; all must be accepted and valid."""
    lines = checklist(case, _TARGETS[kind])
    if kind == PacketKind.CUSTOMS:
        order = {code: i for i, code in enumerate(customs.enclosure_codes())}
        lines = sorted(
            (line for line in lines if line.document_type.code in order),
            key=lambda line: order[line.document_type.code],
        )
        missing = set(order) - {line.document_type.code for line in lines}
        if missing:  # a type's "required before" was edited away from the customs stages
            raise PacketError(f"The checklist no longer asks for: {', '.join(sorted(missing))}.")
    problems = [line.describe() for line in lines if not line.ok]
    if problems:
        label = PacketKind(kind).label.lower()
        raise PacketError([f"The {label} needs every document accepted first.", *problems])
    return cast(
        "list[Document]", [line.document for line in lines]
    )  # every line is ok: each has one


def load_enclosures(documents: list[Document], folder: Path, progress: Progress) -> list[Enclosure]:
    """Read and check every file; images are copied to ``folder`` for WeasyPrint."""
    enclosures = []
    for number, document in enumerate(documents, start=1):
        label = document_label(document)
        progress(2 + 18 * (number - 1) // len(documents), f"Checking {in_sentence(label)}")
        data = _stored_bytes(document, label)
        if document.content_type == _PDF:
            try:
                reader = rendering.read_pdf(data)
            except rendering.UnreadablePdf as exc:
                raise PacketError(
                    _sentence(
                        f"the {in_sentence(label)} is not a readable PDF; "
                        "upload a new version, accept it and build again."
                    )
                ) from exc
            enclosures.append(Enclosure(number, document, label, len(reader.pages), reader=reader))
        else:
            path = folder / f"enclosure-{number}{Path(document.file.name).suffix.lower()}"
            path.write_bytes(_checked_image(data, label))
            enclosures.append(Enclosure(number, document, label, 1, image_url=path.as_uri()))
    return enclosures


def _stored_bytes(document: Document, label: str) -> bytes:
    try:
        with document.file.open("rb") as handle:
            data = handle.read()
    except (OSError, ValueError) as exc:
        raise PacketError(
            _sentence(f"the file of the {in_sentence(label)} is missing from storage.")
        ) from exc
    if hashlib.sha256(data).hexdigest() != document.sha256:
        raise PacketError(
            _sentence(
                f"the stored file of the {in_sentence(label)} no longer matches the SHA-256 recorded "
                "when it was uploaded; upload it again."
            )
        )
    return data


def _checked_image(data: bytes, label: str) -> bytes:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except Exception as exc:  # Pillow raises many types on damaged files
        raise PacketError(_sentence(f"the {in_sentence(label)} is not a readable image.")) from exc
    return data


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- Plan, render, store ----------------------------------------------------------------------


@dataclass
class PacketPlan:
    """Everything a render needs, decided from the database before any page is drawn."""

    case: Case
    kind: str
    template_name: str
    context: dict[str, Any] = field(repr=False)
    footer: rendering.Footer
    enclosures: list[Enclosure]
    folder: Path

    @property
    def document_ids(self) -> list[int]:
        return [e.document.pk for e in self.enclosures]


@dataclass(frozen=True)
class RenderedPacket:
    data: bytes = field(repr=False)
    page_count: int
    own_pages: int
    page_ranges: dict[int, tuple[int, int]]  # enclosure number -> (first, last), 1-based


@contextmanager
def packet_plan(
    *,
    case: Case,
    kind: str,
    by: Any,
    progress: Progress = _no_progress,
    now: dt.datetime | None = None,
) -> Iterator[PacketPlan]:
    """Choose and check the enclosures and build the context; the folder lives as long as the plan."""
    if kind not in PacketKind.values:
        raise ValueError(f"Unknown packet kind {kind!r}.")
    generated_at = now or timezone.now()
    documents = select_enclosures(case, kind)
    with tempfile.TemporaryDirectory(prefix="npp-packet-") as folder:
        enclosures = load_enclosures(documents, Path(folder), progress)
        progress(22, "Preparing the case facts")
        builder = _BUILDERS[kind]
        context = builder.context(
            case=case, enclosures=enclosures, generated_at=generated_at, by=by
        )
        footer = rendering.Footer(left=case.reference, right=generated_text(generated_at))
        yield PacketPlan(case, kind, builder.TEMPLATE, context, footer, enclosures, Path(folder))


def packet_render(plan: PacketPlan, progress: Progress = _no_progress) -> RenderedPacket:
    """One WeasyPrint pass for every page, then each enclosure page drawn under its placeholder."""
    progress(25, "Laying out the pages")
    rendered = rendering.render_pdf(
        plan.template_name, plan.context, footer=plan.footer, resource_dirs=[plan.folder]
    )
    placements: dict[int, PageObject] = {}
    ranges = {}
    for enclosure in plan.enclosures:
        indexes = [rendered.anchors[page["anchor"]] for page in enclosure.pages]
        ranges[enclosure.number] = (indexes[0] + 1, indexes[-1] + 1)
        if enclosure.reader is not None:
            placements.update(zip(indexes, enclosure.reader.pages, strict=True))
    enclosure_pages = sum(e.page_count for e in plan.enclosures)
    own_pages = rendered.page_count - enclosure_pages
    expected = list(range(own_pages, rendered.page_count))
    placed = sorted(rendered.anchors[p["anchor"]] for e in plan.enclosures for p in e.pages)
    if placed != expected:  # a placeholder spilled onto two pages: a template or CSS bug
        raise RuntimeError(f"Enclosure placeholders landed on pages {placed}, not {expected}.")

    def on_page(done: int, total: int) -> None:
        progress(70 + 20 * done // total, f"Placing enclosed pages ({done} of {total})")

    progress(70, "Placing enclosed pages")
    data = rendering.place_pages(rendered.data, placements, on_page=on_page)
    return RenderedPacket(data, rendered.page_count, own_pages, ranges)


def packet_store(
    *, plan: PacketPlan, data: bytes, by: Any, build: PacketBuild | None = None
) -> Document:
    """Store ``data`` as the next packet version, once per build, only if nothing changed.

    In one transaction: if ``build`` already has its document, return that (a retried task);
    refuse if an enclosure was replaced or re-reviewed while we rendered; store the version and
    record it on ``build``. If the transaction fails after the file was written, the file goes.
    """
    document_type = DocumentType.objects.get(code=PACKET_TYPE_CODES[plan.kind])
    filename = f"{plan.case.reference}-{plan.kind}-packet.pdf"
    document = None
    try:
        with transaction.atomic():
            if build is not None:
                locked = PacketBuild.objects.select_for_update().get(pk=build.pk)
                if locked.document_id is not None:
                    assert locked.document is not None
                    return locked.document
            if [d.pk for d in select_enclosures(plan.case, plan.kind)] != plan.document_ids:
                raise PacketError(
                    "A document changed while the packet was being built; build it again."
                )
            document = document_upload(
                case=plan.case,
                document_type=document_type,
                data=data,
                filename=filename,
                by=by,
                review_status=ReviewStatus.ACCEPTED,
            )
            if build is not None:
                PacketBuild.objects.filter(pk=build.pk).update(
                    document=document,
                    status=BuildStatus.DONE,
                    progress=100,
                    step="Done",
                    error="",
                    updated_at=timezone.now(),
                )
    except BaseException:
        if document is not None and document.file.name:
            document.file.storage.delete(document.file.name)
        raise
    return document


def _build(
    *, case: Case, kind: str, by: Any, progress: Progress, build: PacketBuild | None = None
) -> Document:
    if not access.may_build_packets(by, case):
        raise PermissionDenied("Only facilitators build packets.")
    with packet_plan(case=case, kind=kind, by=by, progress=progress) as plan:
        rendered = packet_render(plan, progress)
        progress(92, "Storing the packet")
        try:
            return packet_store(plan=plan, data=rendered.data, by=by, build=build)
        except ValidationError as exc:  # our own output refused by upload validation: a bug
            raise RuntimeError(f"The rendered packet failed validation: {exc.messages}") from exc


def packet_build(*, case: Case, kind: str, by: Any, progress: Progress | None = None) -> Document:
    """Build the ``kind`` packet of ``case`` now and store it as a new accepted version.

    ``progress(percent, step)`` is called as the build goes. Raises ``PacketError`` (a
    document missing, unaccepted, expired, changed or unreadable; a fact missing) or
    ``PermissionDenied``; then nothing is stored and the previous packet stays the newest.
    """
    return _build(case=case, kind=kind, by=by, progress=progress or _no_progress)


# --- Background builds ---------------------------------------------------------------------


def _stale_after() -> dt.timedelta:
    # A build that has not moved for longer than a task may run is not running any more.
    return dt.timedelta(seconds=getattr(settings, "CELERY_TASK_TIME_LIMIT", 600) + 60)


def packet_build_request(*, case: Case, kind: str, by: Any) -> PacketBuild:
    """Queue a build of ``kind`` for ``case``, or return the one already under way.

    Raises ``PacketError`` with what is missing when the enclosures are not ready.

    The task is sent once the row has committed, so the worker always finds it.
    """
    if kind not in PacketKind.values:
        raise ValueError(f"Unknown packet kind {kind!r}.")
    if not access.may_build_packets(by, case):
        raise PermissionDenied("Only facilitators build packets.")
    # What is already known to stop the build is said now, not by a failed build later.
    select_enclosures(case, kind)
    provided_facts(case, kind)
    with transaction.atomic():
        # Lock the case so two clicks queue one build between them.
        Case.objects.select_for_update().only("pk").get(pk=case.pk)
        active = PacketBuild.objects.filter(
            case=case, kind=kind, status__in=ACTIVE_STATUSES
        ).first()
        if active is not None and active.updated_at > timezone.now() - _stale_after():
            return active
        if active is not None:
            _fail(active.pk, "The build stopped without finishing; a new one was started.")
        build = PacketBuild.objects.create(
            case=case, kind=kind, requested_by=by, step="Waiting for a worker"
        )
        transaction.on_commit(lambda: _enqueue(build.pk))
    return build


def _enqueue(build_id: int) -> None:
    from documents.tasks import build_packet_task

    try:
        build_packet_task.delay(build_id)
    except Exception:  # broker down: say so on the row instead of leaving it queued forever
        logger.exception("could not enqueue packet build %s", build_id)
        _fail(build_id, "The task queue could not be reached; try again in a minute.")


def _fail(build_id: int, message: str) -> None:
    PacketBuild.objects.filter(pk=build_id, status__in=ACTIVE_STATUSES).update(
        status=BuildStatus.FAILED, error=message, updated_at=timezone.now()
    )


def _progress_writer(build_id: int) -> Progress:
    last = {"percent": -1}

    def report(percent: int, step: str) -> None:
        percent = max(0, min(99, int(percent)))  # 100 comes with the stored document
        if percent == last["percent"]:
            return
        last["percent"] = percent
        PacketBuild.objects.filter(pk=build_id, status=BuildStatus.RUNNING).update(
            progress=percent, step=step[:200], updated_at=timezone.now()
        )

    return report


def packet_build_run(*, build_id: int, task_id: str = "") -> Document | None:
    """The task's body: build the packet of a queued ``PacketBuild`` and record the result.

    Idempotent, because a late-acked task can run again after a crash: the row is claimed with
    a conditional update (only a queued or running build without a document, tried fewer than
    ``MAX_ATTEMPTS`` times: a build that kills its worker each time stops), and the version
    is stored in the same transaction that records it on the row, under the row's lock. So a
    retry after the store does nothing, a retry before it builds once, and a duplicate running
    alongside finds the document already recorded and stores nothing. A permanent problem
    (``PacketError``, permission) marks the build failed with its message; a database outage
    is raised for Celery to retry.
    """
    claimed = PacketBuild.objects.filter(
        pk=build_id, status__in=ACTIVE_STATUSES, document__isnull=True, attempts__lt=MAX_ATTEMPTS
    ).update(
        status=BuildStatus.RUNNING,
        progress=0,
        step="Starting",
        error="",
        task_id=task_id,
        attempts=F("attempts") + 1,
        updated_at=timezone.now(),
    )
    if not claimed:
        _fail(
            build_id,
            f"The build stopped without finishing {MAX_ATTEMPTS} times; "
            "the team has been told (see the worker log).",
        )  # no-op unless active
        logger.info("packet build %s is finished, failed or gone; nothing to do", build_id)
        return None
    build = PacketBuild.objects.select_related("case", "requested_by").get(pk=build_id)
    try:
        return _build(
            case=build.case,
            kind=build.kind,
            by=build.requested_by,
            progress=_progress_writer(build_id),
            build=build,
        )
    except PacketError as exc:
        _fail(build_id, " ".join(exc.messages))
    except PermissionDenied as exc:
        _fail(build_id, str(exc) or "Only facilitators build packets.")
    except SoftTimeLimitExceeded:
        _fail(build_id, "The build took too long and was stopped; try again.")
    except (OperationalError, InterfaceError):
        raise  # transient (database restarting): the task retries; the claim allows "running"
    except Exception:
        logger.exception("packet build %s failed", build_id)
        _fail(
            build_id,
            "The packet could not be built because of an unexpected error; "
            "it has been logged for the team.",
        )
        raise
    return None


# --- Reads used by the guard and the admin -----------------------------------------------------


def latest_packet(case: Case, kind: str) -> Document | None:
    return (
        case.documents.filter(
            document_type__code=PACKET_TYPE_CODES[kind], review_status=ReviewStatus.ACCEPTED
        )
        .order_by("-version")
        .first()
    )


def packet_blockers(case: Case) -> list[str]:
    """Why ``submit_to_regulator`` must wait for a (new) application packet; [] when fresh.

    Fresh means built after the newest acceptance of any document the packet encloses (a
    document accepted later is not in it). The store re-checks the enclosures in the same
    transaction, so a packet never predates a document it claims to include.
    """
    packet = latest_packet(case, PacketKind.APPLICATION)
    if packet is None:
        return ["Build the application packet first."]
    types = DocumentType.objects.filter(required_before=_TARGETS[PacketKind.APPLICATION])
    newest = (
        case.documents.filter(document_type__in=types, review_status=ReviewStatus.ACCEPTED)
        .annotate(accepted_at=Coalesce("reviewed_at", "uploaded_at"))
        .select_related("document_type")
        .order_by("-accepted_at")
        .first()
    )
    if newest is not None and newest.accepted_at > packet.uploaded_at:
        accepted = timezone.localtime(newest.accepted_at)
        return [
            (
                f"Build the application packet: the newest one (v{packet.version}) predates the "
                f"{in_sentence(document_label(newest))} accepted on {accepted:%d %b %Y at %H:%M}."
            )
        ]
    return []
