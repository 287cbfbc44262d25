"""Backups: the database and the private document store in one verified archive.

``backup_create`` writes ``npp-backup-<UTC time>.tar.gz`` holding

- ``database.pgdump``: ``pg_dump --format=custom`` of the PostgreSQL database, or
  ``database.sqlite3``: a copy made with SQLite's online backup API (the embedded default);
- ``private/<name>``: every document of the store, by the name the database gives it: each file
  under the local folder (``DirectoryStore``), or each object under the bucket's prefix
  (``S3Store``), so an archive of either restores into either;
- ``manifest.json``: the SHA-256 of every other file in the archive and the row count of every
  table, taken in the same snapshot as the dump.

``backup_restore`` extracts into a scratch folder, checks every file against the manifest and
refuses on any difference, refuses a database or store that is not empty, then restores with
``pg_restore`` (or the SQLite backup API), puts the documents back (moved into the folder, or
uploaded with server-side encryption into the bucket) and compares the restored row counts
(and, for a bucket, the objects and their sizes).

The database is dumped before the store is read: an upload writes its file before its row
commits, so every document row in the dump has its file in the archive (a file uploaded in
between is archived without a row, which is harmless). Passwords never reach a command line
or a message: libpq reads them from ``PGPASSWORD``; the S3 client comes with its credentials.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import mimetypes
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from .database import (  # noqa: F401 - re-exported: the commands and tests import them here
    PG_RELATIONS,
    PG_TABLES,
    BackupError,
    Database,
    MissingDatabase,
    _existing_relations,
    _first_line,
    _run,
    _sqlite,
    database_counts,
    dump_postgres,
    dump_sqlite,
    pg_counts,
    restore_postgres,
    restore_sqlite,
    sqlite_counts,
)

FORMAT = 1
PREFIX = "npp-backup-"
MANIFEST = "manifest.json"
PG_DUMP = "database.pgdump"
SQLITE_COPY = "database.sqlite3"
STORE = "private"
CHUNK = 1024 * 1024
SHOWN = 10  # problems listed in a refusal; the rest are counted


# --- Hashing and the manifest -----------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def store_files(store: Path) -> dict[str, Path]:
    """Every regular file under the store, by its archive name ``private/<relative path>``."""
    if not store.exists():
        return {}
    found = {}
    for path in sorted(store.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found[str(PurePosixPath(STORE, *path.relative_to(store).parts))] = path
    return found


# --- Document stores: a local folder or an S3 bucket ------------------------------------------------


class Store(Protocol):
    def label(self) -> str:
        """Where the documents are, safe to print."""

    def collect(self, scratch: Path) -> dict[str, Path]:
        """Every document as a local file, by its archive name ``private/<name>``."""

    def scratch_parent(self) -> Path | None:
        """Where a restore unpacks the archive (None: the system's temporary folder)."""

    def not_empty(self) -> str:
        """Why the store cannot take a restore ("" if it is empty and ready)."""

    def put_back(self, extracted: Path) -> None:
        """Restore the documents extracted under ``extracted`` (the archive's ``private/``)."""


@dataclass(frozen=True)
class DirectoryStore:
    """Documents as files under a folder (``NPP_PRIVATE_STORAGE_ROOT``)."""

    root: Path

    def label(self) -> str:
        return str(self.root)

    def collect(self, scratch: Path) -> dict[str, Path]:
        return store_files(self.root)  # archived where they are

    def scratch_parent(self) -> Path:
        # Next to the store, so that putting the files back is a rename.
        self.root.parent.mkdir(parents=True, exist_ok=True)
        return self.root.parent

    def not_empty(self) -> str:
        if self.root.exists() and (not self.root.is_dir() or any(self.root.iterdir())):
            return (
                f"the document store {self.root} is not empty; move it away or point "
                "NPP_PRIVATE_STORAGE_ROOT at an empty folder"
            )
        return ""

    def put_back(self, extracted: Path) -> None:
        _move_store(extracted, self.root)


@dataclass(frozen=True)
class S3Store:
    """Documents as objects under ``prefix`` in an S3-compatible ``bucket``.

    ``client`` is a boto3 S3 client with its endpoint and credentials; ``put_args`` are what
    every object is written with (the storage's: server-side encryption, no ACL)."""

    client: Any
    bucket: str
    prefix: str = ""
    put_args: dict[str, str] = field(default_factory=dict)

    def label(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _key(self, name: str) -> str:
        return f"{self.prefix.strip('/')}/{name}" if self.prefix.strip("/") else name

    def objects(self, limit: int | None = None) -> dict[str, int]:
        """Size of every object under the prefix, by its name below the prefix."""
        start = f"{self.prefix.strip('/')}/" if self.prefix.strip("/") else ""
        found: dict[str, int] = {}
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket,
            Prefix=start,
            **({"PaginationConfig": {"MaxItems": limit}} if limit else {}),
        )
        with _s3_errors(f"Cannot list {self.label()}"):
            for page in pages:
                for item in page.get("Contents", []):
                    if not item["Key"].endswith("/"):  # a "folder" marker holds no document
                        found[item["Key"][len(start) :]] = item["Size"]
        return found

    def collect(self, scratch: Path) -> dict[str, Path]:
        names = sorted(self.objects())
        unsafe = [name for name in names if not _safe_name(name)]
        if unsafe:
            raise BackupError(
                f"Refusing to archive {self.label()}: object names that are not "
                f"plain relative paths, e.g. {', '.join(map(repr, unsafe[:3]))}."
            )
        files = {}
        for name in names:
            target = scratch / STORE / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with _s3_errors(f"Cannot download {self._key(name)} from {self.label()}"):
                self.client.download_file(self.bucket, self._key(name), str(target))
            files[str(PurePosixPath(STORE, name))] = target
        return files

    def scratch_parent(self) -> None:
        return None

    def not_empty(self) -> str:
        with _s3_errors(
            f"Cannot reach {self.label()}",
            missing=(
                f"the bucket {self.bucket} does not exist or these credentials cannot see it; "
                "create it (private) first"
            ),
        ):
            self.client.head_bucket(Bucket=self.bucket)
        found = self.objects(limit=3)
        if found:
            return (
                f"the bucket {self.label()} is not empty (e.g. {', '.join(sorted(found))}); "
                "restore into an empty bucket, or point NPP_S3_BUCKET / NPP_S3_PREFIX at one"
            )
        return ""

    def put_back(self, extracted: Path) -> None:
        files = _extracted_files(extracted) if extracted.exists() else {}
        for name, path in sorted(files.items()):
            args = {
                **self.put_args,
                "ContentType": mimetypes.guess_type(name)[0] or "application/octet-stream",
            }
            with _s3_errors(f"Cannot upload {self._key(name)} to {self.label()}"):
                self.client.upload_file(str(path), self.bucket, self._key(name), ExtraArgs=args)
        expected = {name: path.stat().st_size for name, path in files.items()}
        if self.objects() != expected:
            raise BackupError(
                f"The documents were uploaded but {self.label()} does not hold "
                "exactly them, with their sizes; check the bucket."
            )


def as_store(store: Path | str | Store) -> Store:
    """A folder path means a ``DirectoryStore``."""
    return DirectoryStore(Path(store)) if isinstance(store, (str, Path)) else store


def _safe_name(name: str) -> bool:
    parts = name.split("/")
    return bool(name) and all(part not in ("", ".", "..") for part in parts)


@contextmanager
def _s3_errors(what: str, missing: str = "") -> Iterator[None]:
    """Turn a boto3 failure into a ``BackupError`` worded for the operator; ``missing`` is the
    refusal for a 404 (no such bucket)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode")
        if missing and status == 404:
            raise BackupError(f"Refusing to restore: {missing}.") from exc
        raise BackupError(f"{what}: {_first_line(exc)}") from exc


def _manifest(
    db: Database, counts: dict[str, int], files: dict[str, Path], created: dt.datetime
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "created_at": created.isoformat(),
        "engine": db.engine,
        "database": PG_DUMP if db.engine == "postgresql" else SQLITE_COPY,
        "tables": counts,
        "rows": sum(counts.values()),
        "files": {name: sha256_file(path) for name, path in files.items()},
    }


# --- Writing the archive --------------------------------------------------------------------------------


def backup_create(
    *, database: dict[str, Any], store: Path | Store, dest_dir: Path, now: dt.datetime | None = None
) -> tuple[Path, dict[str, Any]]:
    """Write a new archive of ``database`` and ``store`` (a folder path, or an ``S3Store``)
    under ``dest_dir``; return its path and manifest."""
    db = Database.from_settings(database)
    store = as_store(store)
    created = now or dt.datetime.now(dt.UTC)
    dest_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(dir=dest_dir, prefix=".partial-") as scratch:
        dump = Path(scratch) / (PG_DUMP if db.engine == "postgresql" else SQLITE_COPY)
        counts = (dump_postgres if db.engine == "postgresql" else dump_sqlite)(db, dump)
        files = {dump.name: dump, **store.collect(Path(scratch))}
        manifest = _manifest(db, counts, files, created)
        partial = Path(scratch) / "archive.tar.gz"
        _write_tar(partial, manifest, files)
        target = _free_name(dest_dir, created)
        partial.replace(target)
    return target, manifest


def _write_tar(path: Path, manifest: dict[str, Any], files: dict[str, Path]) -> None:
    data = json.dumps(manifest, indent=2, sort_keys=True).encode()
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode, info.mtime = len(data), 0o600, int(dt.datetime.now().timestamp())
        tar.addfile(info, io.BytesIO(data))
        for name, source in files.items():
            tar.add(source, arcname=name, recursive=False)
    path.chmod(0o600)  # patient data


def _free_name(dest_dir: Path, created: dt.datetime) -> Path:
    stamp = created.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for suffix in ["", *(f"-{n}" for n in range(1, 100))]:
        target = dest_dir / f"{PREFIX}{stamp}{suffix}.tar.gz"
        if not target.exists():
            return target
    raise BackupError(f"Too many backups named {PREFIX}{stamp} in {dest_dir}.")


# --- Reading and verifying an archive -----------------------------------------------------------------


def archive_extract(archive: Path, into: Path) -> dict[str, Any]:
    """Extract ``archive`` into ``into`` and check every file against its manifest.

    Raises ``BackupError`` on an unreadable archive, an unsafe member (absolute path, ``..``,
    link, device) or any file that is missing, extra or changed.
    """
    if not archive.is_file():
        raise BackupError(f"No such backup file: {archive}")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(into, filter="data")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(
            f"{archive} is not a readable backup archive: {_first_line(exc)}"
        ) from exc
    manifest = _read_manifest(into / MANIFEST, archive)
    problems = _compare(manifest["files"], _extracted_files(into))
    if problems:
        shown = "\n  ".join(problems[:SHOWN])
        more = f"\n  ... and {len(problems) - SHOWN} more" if len(problems) > SHOWN else ""
        raise BackupError(
            f"Refusing to restore {archive}: it does not match its manifest "
            f"({len(problems)} problem(s)); it was changed or damaged after it was written.\n  "
            f"{shown}{more}"
        )
    return manifest


def _read_manifest(path: Path, archive: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"Refusing to restore {archive}: no readable {MANIFEST} in it.") from exc
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
        raise BackupError(
            f"Refusing to restore {archive}: unknown manifest format {manifest.get('format')!r}."
        )
    return manifest


def _extracted_files(root: Path) -> dict[str, Path]:
    return {
        str(PurePosixPath(*path.relative_to(root).parts)): path
        for path in root.rglob("*")
        if path.is_file() and path != root / MANIFEST
    }


def _compare(expected: dict[str, str], found: dict[str, Path]) -> list[str]:
    problems = [f"missing from the archive: {name}" for name in sorted(set(expected) - set(found))]
    problems += [f"not in the manifest: {name}" for name in sorted(set(found) - set(expected))]
    problems += [
        f"SHA-256 differs: {name}"
        for name in sorted(set(expected) & set(found))
        if sha256_file(found[name]) != expected[name]
    ]
    return problems


# --- Restoring -----------------------------------------------------------------------------------------------


def backup_restore(
    *, archive: Path, database: dict[str, Any], store: Path | Store
) -> dict[str, Any]:
    """Verify ``archive``, then restore it into an empty database and an empty store (a
    folder path, or an ``S3Store`` whose bucket exists).

    Returns the manifest. Raises ``BackupError`` before touching anything if the archive does
    not match its manifest, was made from another engine, or either target holds data.
    """
    db = Database.from_settings(database)
    store = as_store(store)
    with tempfile.TemporaryDirectory(dir=store.scratch_parent(), prefix=".restore-") as scratch:
        root = Path(scratch)
        manifest = archive_extract(Path(archive), root)
        if manifest.get("engine") != db.engine:
            raise BackupError(
                f"Refusing to restore: the backup is of a {manifest.get('engine')} "
                f"database and the target is {db.label()}."
            )
        _require_empty(db, store)
        restore = restore_postgres if db.engine == "postgresql" else restore_sqlite
        restore(db, root / manifest["database"])
        store.put_back(root / STORE)
    _check_counts(db, manifest)
    return manifest


def _require_empty(db: Database, store: Store) -> None:
    problems = []
    tables = _existing_relations(db)
    if tables:
        problems.append(
            f"the database {db.label()} is not empty ({len(tables)} relation(s), "
            f"e.g. {', '.join(tables[:3])}); restore into a new, empty database"
        )
    if occupied := store.not_empty():
        problems.append(occupied)
    if problems:
        raise BackupError("Refusing to restore: " + "; and ".join(problems) + ".")


def _move_store(extracted: Path, store: Path) -> None:
    store.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not extracted.exists():
        return
    for item in extracted.iterdir():
        shutil.move(str(item), str(store / item.name))


def _check_counts(db: Database, manifest: dict[str, Any]) -> None:
    restored = database_counts(db)
    expected = manifest["tables"]
    wrong = [
        f"{table}: {restored.get(table)} rows, expected {rows}"
        for table, rows in sorted(expected.items())
        if restored.get(table) != rows
    ]
    if wrong:
        raise BackupError(
            "The restore finished but row counts differ from the manifest:\n  "
            + "\n  ".join(wrong[:SHOWN])
        )
