"""``make backup``: archive the database and the private document store (see ``npp.backup``)."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from documents.models import Document
from documents.storage import PrivateS3Storage
from npp.backup import BackupError, Database, S3Store, Store, as_store, backup_create


def document_store() -> Store:
    """Where Document.file keeps the documents: the S3 bucket (under its prefix) when the
    settings name one, else NPP_PRIVATE_STORAGE_ROOT."""
    storage = Document._meta.get_field("file").storage
    if isinstance(storage, PrivateS3Storage):
        return S3Store(
            client=storage.connection.meta.client,
            bucket=storage.bucket_name,
            prefix=storage.location,
            put_args=storage.get_object_parameters(""),
        )
    return as_store(Path(settings.PRIVATE_STORAGE_ROOT))


class Command(BaseCommand):
    help = (
        "Write npp-backup-<UTC time>.tar.gz (database dump, private documents from the "
        "folder or the S3 bucket, manifest of SHA-256 sums and row counts) under --dir, "
        "$BACKUP_DIR or var/backups."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dir",
            help="Folder for the archive (default: $BACKUP_DIR, else <NPP_VAR_DIR>/backups).",
        )

    def handle(self, *args, dir: str | None = None, **options) -> None:
        dest = Path(dir or os.environ.get("BACKUP_DIR") or Path(settings.VAR_DIR) / "backups")
        conf = connection.settings_dict
        store = document_store()
        try:
            self.stdout.write(
                f"Backing up {Database.from_settings(conf).label()} and {store.label()} ..."
            )
            path, manifest = backup_create(database=conf, store=store, dest_dir=dest)
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
