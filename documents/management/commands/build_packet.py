"""Build a case's packet now, for scripts and support work.

    python manage.py build_packet NPP-2026-0001 --kind application --out /path/file.pdf

Stores the packet as a new accepted version (as the admin button does, but without the task)
and prints the path, the page count and the SHA-256. The packet is built as the case's assigned
facilitator unless ``--user`` names another facilitator.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from cases.models import Case
from documents.packets import PacketError
from documents.packets.models import PacketKind
from documents.packets.services import packet_build


class Command(BaseCommand):
    help = "Build a case's application or customs packet now and store it as a new version."

    def add_arguments(self, parser) -> None:
        parser.add_argument("reference", help="The case reference, e.g. NPP-2026-0001.")
        parser.add_argument(
            "--kind", required=True, help=f"Which packet: {' or '.join(PacketKind.values)}."
        )
        parser.add_argument("--out", type=Path, help="Also write the PDF to this file.")
        parser.add_argument(
            "--user", help="Username of the facilitator building it (default: the case's)."
        )

    def handle(
        self, *args, reference: str, kind: str, out: Path | None, user: str | None, **options
    ) -> None:
        if kind not in PacketKind.values:
            raise CommandError(f"Unknown kind {kind!r}: use {' or '.join(PacketKind.values)}.")
        try:
            case = Case.objects.select_related("patient", "hospital", "facilitator").get(
                reference=reference.strip()
            )
        except Case.DoesNotExist:
            raise CommandError(f"No case has the reference {reference!r}.") from None
        by = self._user(case, user)
        try:
            document = packet_build(case=case, kind=kind, by=by)
        except (PacketError, PermissionDenied) as exc:
            reasons = exc.messages if isinstance(exc, PacketError) else [str(exc)]
            raise CommandError(" ".join(reasons)) from exc
        path = self._write(document, out)
        self.stdout.write(f"{path}\n{document.page_count} pages\nSHA-256 {document.sha256}")

    def _user(self, case: Case, username: str | None):
        if not username:
            if case.facilitator is None:
                raise CommandError(f"{case.reference} has no assigned facilitator; pass --user.")
            return case.facilitator
        try:
            return get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user is called {username!r}.") from None

    def _write(self, document, out: Path | None) -> str:
        if out is None:
            return f"stored as {document} (document {document.pk})"
        try:
            with document.file.open("rb") as handle:
                out.write_bytes(handle.read())
        except OSError as exc:
            raise CommandError(f"Could not write {out}: {exc.strerror or exc}.") from exc
        return str(out)
