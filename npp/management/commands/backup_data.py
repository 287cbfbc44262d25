"""``make backup``: archive the database and the private document store (see ``npp.backup``)."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from npp.backup import BackupError, Database, backup_create


class Command(BaseCommand):
    help = (
        "Write npp-backup-<UTC time>.tar.gz (database dump, private documents, manifest of "
        "SHA-256 sums and row counts) under --dir, $BACKUP_DIR or var/backups."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dir",
            help="Folder for the archive (default: $BACKUP_DIR, else <NPP_VAR_DIR>/backups).",
        )

    def handle(self, *args, dir: str | None = None, **options) -> None:
        dest = Path(dir or os.environ.get("BACKUP_DIR") or Path(settings.VAR_DIR) / "backups")
        conf = connection.settings_dict
        try:
            self.stdout.write(
                f"Backing up {Database.from_settings(conf).label()} and "
                f"{settings.PRIVATE_STORAGE_ROOT} ..."
            )
            path, manifest = backup_create(
                database=conf, store=Path(settings.PRIVATE_STORAGE_ROOT), dest_dir=dest
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        documents = sum(1 for name in manifest["files"] if name.startswith("private/"))
        size = path.stat().st_size / 1e6
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written: {path} ({size:.1f} MB; {len(manifest['tables'])} tables, "
                f"{manifest['rows']} rows, {documents} document file(s)). "
                f"Restore with: make restore FILE={path}"
            )
        )
