"""``make restore FILE=...``: verify a backup archive, then restore it into an empty database
and an empty private document store, the folder or the S3 bucket (see ``npp.backup``)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from npp.backup import BackupError, Database, backup_restore

from .backup_data import document_store


class Command(BaseCommand):
    help = (
        "Check FILE against its manifest, then restore it into the (empty) database of "
        "DATABASE_URL and the (empty) document store: NPP_PRIVATE_STORAGE_ROOT, or the "
        "existing bucket NPP_S3_BUCKET (under NPP_S3_PREFIX) when set."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="An npp-backup-*.tar.gz written by `make backup`.")

    def handle(self, *args, file: str, **options) -> None:
        conf = connection.settings_dict
        store = document_store()
        # Our own checks below use their own connections; Django's must not hold the target.
        connection.close()
        try:
            self.stdout.write(
                f"Restoring {file} into {Database.from_settings(conf).label()} "
                f"and {store.label()} ..."
            )
            manifest = backup_restore(archive=Path(file), database=conf, store=store)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        documents = sum(1 for name in manifest["files"] if name.startswith("private/"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the backup of {manifest['created_at']}: every file matched the manifest; "
                f"{len(manifest['tables'])} tables and {manifest['rows']} rows (counts match), "
                f"{documents} document file(s)."
            )
        )
