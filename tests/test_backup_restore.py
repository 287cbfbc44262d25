"""``make backup`` / ``make restore`` (npp.backup): a seeded database and its document store
survive the round trip row for row and byte for byte, and a restore refuses a tampered archive
and a target that already holds data."""

from __future__ import annotations

import hashlib
import io
import sqlite3
import tarfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from npp.backup import (
    BackupError,
    Database,
    S3Store,
    backup_create,
    backup_restore,
    database_counts,
)
from tests import factories

ON_POSTGRES = connection.vendor == "postgresql"
postgres_only = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="pg_dump/pg_restore need PostgreSQL: run with DATABASE_URL=postgres://... (CI does)",
)
sqlite_only = pytest.mark.skipif(
    ON_POSTGRES, reason="the suite runs on PostgreSQL; the SQLite round trip runs on SQLite"
)
# Committed data, so pg_dump's own connection sees it; the seeded product and document types
# are put back after each flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def seeded(settings) -> None:
    settings.DEBUG = True  # seed_demo refuses to publish its demo password with DEBUG off
    call_command("seed_demo", stdout=io.StringIO())


# --- Helpers ---------------------------------------------------------------------------------------


def sha256s(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def store() -> Path:
    return Path(settings.PRIVATE_STORAGE_ROOT)


@contextmanager
def fresh_postgres_database() -> Iterator[dict]:
    """An empty database next to the test database, dropped afterwards whatever happens."""
    from psycopg import sql

    conf = connection.settings_dict
    name = f"npp_restore_{uuid.uuid4().hex[:12]}"
    maintenance = Database.from_settings({**conf, "NAME": "postgres"})
    with maintenance.connect() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield {**conf, "NAME": name}
    finally:
        with maintenance.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def small_dataset(facilitator, doctor1) -> None:
    case = factories.CaseFactory(doctor=doctor1.doctor, facilitator=facilitator)
    factories.upload_document(case, "prescription", facilitator)


def tamper(archive: Path, target: Path) -> Path:
    """A copy of ``archive`` with one byte of one document changed."""
    with tarfile.open(archive, "r:gz") as src, tarfile.open(target, "w:gz") as dst:
        changed = False
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else None
            if data and not changed and member.name.startswith("private/"):
                data, changed = bytes([data[0] ^ 1]) + data[1:], True
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    assert changed
    return target


def restored_documents_match(database: dict, restored_store: Path) -> int:
    """Every document row's file is in the restored store with the SHA-256 on the row."""
    with Database.from_settings(database).connect() as conn:
        rows = conn.execute("SELECT file, sha256 FROM documents_document").fetchall()
    for name, digest in rows:
        assert hashlib.sha256((restored_store / name).read_bytes()).hexdigest() == digest, name
    return len(rows)


# --- PostgreSQL ----------------------------------------------------------------------------------------


@postgres_only
def test_backup_of_seeded_database_restores_every_row_and_file(tmp_path, seeded):
    source = connection.settings_dict
    archive, manifest = backup_create(database=source, store=store(), dest_dir=tmp_path / "b")

    assert archive.name.startswith("npp-backup-")
    assert archive.name.endswith(".tar.gz")
    assert set(manifest["files"]) == {
        "database.pgdump",
        *(f"private/{name}" for name in sha256s(store())),
    }
    assert manifest["tables"] == database_counts(Database.from_settings(source))
    assert manifest["tables"]["public.cases_case"] >= 12
    restored_store = tmp_path / "restored-private"
    with fresh_postgres_database() as target:
        backup_restore(archive=archive, database=target, store=restored_store)

        assert database_counts(Database.from_settings(target)) == manifest["tables"]
        assert sha256s(restored_store) == sha256s(store())
        assert restored_documents_match(target, restored_store) == len(sha256s(store())) > 0


@postgres_only
def test_restore_refuses_a_tampered_archive_and_changes_nothing(tmp_path, facilitator, doctor1):
    small_dataset(facilitator, doctor1)
    archive, _ = backup_create(
        database=connection.settings_dict, store=store(), dest_dir=tmp_path / "b"
    )
    bad = tamper(archive, tmp_path / "tampered.tar.gz")
    restored_store = tmp_path / "restored-private"
    with fresh_postgres_database() as target:
        with pytest.raises(BackupError, match="does not match its manifest"):
            backup_restore(archive=bad, database=target, store=restored_store)

        assert database_counts(Database.from_settings(target)) == {}
    assert not restored_store.exists() or not any(restored_store.iterdir())


@postgres_only
def test_restore_refuses_a_database_that_is_not_empty(tmp_path, facilitator, doctor1):
    small_dataset(facilitator, doctor1)
    source = connection.settings_dict
    before = database_counts(Database.from_settings(source))
    archive, _ = backup_create(database=source, store=store(), dest_dir=tmp_path / "b")

    with pytest.raises(BackupError, match=r"database .* is not empty"):
        backup_restore(archive=archive, database=source, store=tmp_path / "empty-store")

    assert database_counts(Database.from_settings(source)) == before


@postgres_only
def test_restore_refuses_a_document_store_that_is_not_empty(tmp_path, facilitator, doctor1):
    small_dataset(facilitator, doctor1)
    archive, _ = backup_create(
        database=connection.settings_dict, store=store(), dest_dir=tmp_path / "b"
    )
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.pdf").write_bytes(b"%PDF-1.4 someone else's")
    with fresh_postgres_database() as target:
        with pytest.raises(BackupError, match=r"document store .* is not empty"):
            backup_restore(archive=archive, database=target, store=occupied)

        assert database_counts(Database.from_settings(target)) == {}
    assert sha256s(occupied) == {"keep.pdf": hashlib.sha256(b"%PDF-1.4 someone else's").hexdigest()}


# --- SQLite (the embedded default) ---------------------------------------------------------------


@sqlite_only
def test_sqlite_backup_of_seeded_database_restores_every_row_and_file(tmp_path, seeded):
    source = connection.settings_dict
    archive, manifest = backup_create(database=source, store=store(), dest_dir=tmp_path / "b")
    target = {**source, "NAME": str(tmp_path / "restored.sqlite3")}
    restored_store = tmp_path / "restored-private"

    backup_restore(archive=archive, database=target, store=restored_store)

    assert database_counts(Database.from_settings(target)) == manifest["tables"]
    assert manifest["tables"]["cases_case"] >= 12
    assert sha256s(restored_store) == sha256s(store())


def test_sqlite_file_round_trip_and_refusals(tmp_path):
    """The SQLite path on any suite: a standalone database file and store, no Django tables."""
    source = tmp_path / "source.sqlite3"
    with sqlite3.connect(source) as conn:
        conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)")
        conn.executemany("INSERT INTO things (name) VALUES (?)", [("a",), ("b",), ("c",)])
    conn.close()
    files = tmp_path / "store"
    (files / "ab").mkdir(parents=True)
    (files / "ab" / "abc.pdf").write_bytes(b"%PDF-1.4 test")
    conf = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(source)}
    archive, manifest = backup_create(database=conf, store=files, dest_dir=tmp_path / "b")
    target = {**conf, "NAME": str(tmp_path / "restored.sqlite3")}

    with pytest.raises(BackupError, match="does not match its manifest"):
        backup_restore(
            archive=tamper(archive, tmp_path / "bad.tar.gz"),
            database=target,
            store=tmp_path / "restored",
        )
    backup_restore(archive=archive, database=target, store=tmp_path / "restored")
    with pytest.raises(BackupError, match="is not empty"):
        backup_restore(archive=archive, database=target, store=tmp_path / "restored")

    assert manifest["tables"] == {"things": 3}
    assert database_counts(Database.from_settings(target)) == {"things": 3}
    assert sha256s(tmp_path / "restored") == sha256s(files)


# --- S3-compatible object storage (any engine), against moto's server on 127.0.0.1 -------------


def s3_store(server, bucket: str, prefix: str = "") -> S3Store:
    """The store ``make backup`` builds from settings that name ``bucket``."""
    return S3Store(
        client=server.client(),
        bucket=bucket,
        prefix=prefix,
        put_args={"ServerSideEncryption": "AES256"},
    )


def object_sha256s(server, bucket: str) -> dict[str, str]:
    client = server.client()
    return {
        key: hashlib.sha256(client.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest()
        for key in server.keys(bucket)
    }


@contextmanager
def fresh_database(tmp_path: Path) -> Iterator[dict]:
    """An empty database of the suite's engine."""
    if ON_POSTGRES:
        with fresh_postgres_database() as target:
            yield target
    else:
        yield {**connection.settings_dict, "NAME": str(tmp_path / "restored.sqlite3")}


def tables_in(database: dict) -> dict[str, int]:
    db = Database.from_settings(database)
    if db.engine == "sqlite" and not Path(db.name).exists():
        return {}
    return database_counts(db)


def document_rows(database: dict) -> list[tuple[str, str]]:
    db = Database.from_settings(database)
    query = "SELECT file, sha256 FROM documents_document ORDER BY file"
    if db.engine == "sqlite":
        with sqlite3.connect(db.sqlite_uri("ro"), uri=True) as conn:
            return conn.execute(query).fetchall()
    with db.connect() as conn:
        return conn.execute(query).fetchall()


def s3_dataset(facilitator, doctor1, doctor2) -> None:
    """Two cases, PDF and PNG documents, a lab result and a second version (the demo's full
    seed is the local-disk round trip's: here every object costs a request or three)."""
    from documents.demo import simple_png

    first = factories.CaseFactory(doctor=doctor1.doctor, facilitator=facilitator)
    second = factories.CaseFactory(doctor=doctor2.doctor, facilitator=facilitator)
    for case in (first, second):
        factories.upload_document(case, "prescription", facilitator)
        factories.upload_document(case, "cbc", facilitator)
    factories.upload_document(
        first, "prescription", facilitator, data=simple_png("Rx v2"), filename="prescription.png"
    )


def test_s3_backup_restores_every_row_and_object(
    tmp_path, s3_documents, facilitator, doctor1, doctor2
):
    s3_dataset(facilitator, doctor1, doctor2)
    server, bucket = s3_documents
    source = connection.settings_dict
    rows = dict(document_rows(source))  # the SHA-256 of every document, taken at its upload
    archive, manifest = backup_create(
        database=source, store=s3_store(server, bucket), dest_dir=tmp_path / "b"
    )

    assert len(rows) == 5
    assert not store().exists()
    assert server.keys(bucket) == sorted(rows)
    assert {
        name: digest for name, digest in manifest["files"].items() if name.startswith("private/")
    } == {f"private/{name}": d for name, d in rows.items()}
    empty_bucket = server.new_bucket()
    target_store = s3_store(server, empty_bucket)
    puts = []
    target_store.client.meta.events.register(
        "before-send.s3.PutObject",
        lambda request, **_: puts.append(
            str(request.headers.get("x-amz-server-side-encryption"), "ascii")
        ),
    )
    with fresh_database(tmp_path) as target:
        backup_restore(archive=archive, database=target, store=target_store)

        assert database_counts(Database.from_settings(target)) == manifest["tables"]
        assert dict(document_rows(target)) == rows
    assert object_sha256s(server, empty_bucket) == rows
    assert len(puts) == len(rows)
    assert set(puts) == {"AES256"}


def test_s3_restore_refuses_a_tampered_archive_a_bucket_in_use_and_a_missing_bucket(
    tmp_path, s3_documents, facilitator, doctor1
):
    server, bucket = s3_documents
    small_dataset(facilitator, doctor1)
    archive, _ = backup_create(
        database=connection.settings_dict, store=s3_store(server, bucket), dest_dir=tmp_path / "b"
    )
    empty_bucket, occupied = server.new_bucket(), server.new_bucket()
    server.client().put_object(Bucket=occupied, Key="keep.pdf", Body=b"%PDF-1.4 someone else's")

    with fresh_database(tmp_path) as target:
        with pytest.raises(BackupError, match="does not match its manifest"):
            backup_restore(
                archive=tamper(archive, tmp_path / "bad.tar.gz"),
                database=target,
                store=s3_store(server, empty_bucket),
            )
        with pytest.raises(BackupError, match=f"bucket s3://{occupied}/ is not empty"):
            backup_restore(archive=archive, database=target, store=s3_store(server, occupied))
        with pytest.raises(BackupError, match="bucket npp-nowhere does not exist"):
            backup_restore(archive=archive, database=target, store=s3_store(server, "npp-nowhere"))

        assert tables_in(target) == {}
    assert server.keys(empty_bucket) == []
    assert server.keys(occupied) == ["keep.pdf"]


def test_an_archive_moves_documents_between_local_disk_and_s3(tmp_path, s3_server):
    """Backups name documents as the database does (``private/<name>``) whatever the store, so
    restoring a local-disk backup into a bucket moves an installation onto S3, and back."""
    source = tmp_path / "source.sqlite3"
    with sqlite3.connect(source) as conn:
        conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
    conn.close()
    files = tmp_path / "store"
    (files / "ab").mkdir(parents=True)
    (files / "ab" / "abc.pdf").write_bytes(b"%PDF-1.4 test")
    (files / "cd").mkdir()
    (files / "cd" / "cde.png").write_bytes(b"\x89PNG test")
    conf = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(source)}
    bucket = s3_server.new_bucket()

    to_s3, _ = backup_create(database=conf, store=files, dest_dir=tmp_path / "b")
    backup_restore(
        archive=to_s3,
        database={**conf, "NAME": str(tmp_path / "on-s3.sqlite3")},
        store=s3_store(s3_server, bucket, prefix="documents"),
    )
    back, manifest = backup_create(
        database=conf, store=s3_store(s3_server, bucket, "documents/"), dest_dir=tmp_path / "b2"
    )
    backup_restore(
        archive=back,
        database={**conf, "NAME": str(tmp_path / "local.sqlite3")},
        store=tmp_path / "restored",
    )

    assert s3_server.keys(bucket) == ["documents/ab/abc.pdf", "documents/cd/cde.png"]
    assert set(manifest["files"]) == {
        "database.sqlite3",
        "private/ab/abc.pdf",
        "private/cd/cde.png",
    }
    assert sha256s(tmp_path / "restored") == sha256s(files)
    assert (
        s3_server.client().get_object(Bucket=bucket, Key="documents/cd/cde.png")["ContentType"]
        == "image/png"
    )


def test_backup_and_restore_commands_use_the_configured_bucket(
    tmp_path, s3_documents, facilitator, doctor1
):
    server, bucket = s3_documents
    small_dataset(facilitator, doctor1)
    out = io.StringIO()

    call_command("backup_data", "--dir", str(tmp_path / "b"), stdout=out)

    assert f"and s3://{bucket}/ ..." in out.getvalue()
    assert "1 document file(s)" in out.getvalue()
    archive = next((tmp_path / "b").glob("npp-backup-*.tar.gz"))
    with tarfile.open(archive) as tar:
        assert f"private/{server.keys(bucket)[0]}" in tar.getnames()
    # The suite's own database and bucket are in use: the restore refuses both, naming both.
    with pytest.raises(
        CommandError, match=f"database .* is not empty.*bucket s3://{bucket}/ is not"
    ):
        call_command("restore_data", str(archive), stdout=io.StringIO())
