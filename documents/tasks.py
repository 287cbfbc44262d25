"""Celery tasks of the documents app. Thin: they take ids and call a service."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .packets.services import packet_build_run


@shared_task(
    bind=True,
    # Acknowledge after the work, so a worker that dies mid-build leaves the message to be
    # delivered again; packet_build_run makes the second run store nothing twice. A duplicate
    # is harmless, a lost build is not (the facilitator would watch a bar that never moves).
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    max_retries=3,
    ignore_result=True,  # progress and outcome live on the PacketBuild row
)
def build_packet_task(self, build_id: int) -> None:
    """Build the packet of ``PacketBuild`` ``build_id`` and record progress and result on it."""
    packet_build_run(build_id=build_id, task_id=self.request.id or "")
