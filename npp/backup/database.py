"""The database side of a backup: the connection facts (never the password on a command line),
row counts, dumping and restoring PostgreSQL or SQLite."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class BackupError(Exception):
    """A refusal or failure, worded for the person running the command."""


class MissingDatabase(BackupError):
    pass


# --- The database, without ever showing its password ------------------------------------------


@dataclass(frozen=True)
class Database:
    engine: str  # "postgresql" or "sqlite"
    name: str
    host: str = ""
    port: str = ""
    user: str = ""
    password: str = ""
    sslmode: str = ""

    @classmethod
    def from_settings(cls, conf: dict[str, Any]) -> Database:
        """From a ``DATABASES`` entry (the test database's name included)."""
        engine = conf["ENGINE"].rsplit(".", 1)[-1]
        if engine.startswith("postgres"):
            return cls(
                "postgresql",
                str(conf["NAME"]),
                str(conf.get("HOST") or ""),
                str(conf.get("PORT") or ""),
                str(conf.get("USER") or ""),
                str(conf.get("PASSWORD") or ""),
                str((conf.get("OPTIONS") or {}).get("sslmode", "")),
            )
        if engine == "sqlite3":
            return cls("sqlite", str(conf["NAME"]))
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {engine}.")

    def label(self) -> str:
        """Where the data is, safe to print."""
        if self.engine == "sqlite":
            return f"SQLite {self.name}"
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        return f"PostgreSQL {user}{self.host or 'localhost'}{port}/{self.name}"

    def libpq_env(self) -> dict[str, str]:
        """The environment for pg_dump / pg_restore: connection facts, password included."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        pairs = {
            "PGHOST": self.host,
            "PGPORT": self.port,
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGSSLMODE": self.sslmode,
            "PGDATABASE": self.name,
        }
        env.update({k: v for k, v in pairs.items() if v})
        return env

    def connect(self):
        import psycopg

        params = {
            "dbname": self.name,
            "host": self.host or None,
            "port": self.port or None,
            "user": self.user or None,
            "password": self.password or None,
            "sslmode": self.sslmode or None,
        }
        try:
            # Autocommit: the dump opens its own snapshot transaction explicitly.
            return psycopg.connect(
                autocommit=True, **{k: v for k, v in params.items() if v is not None}
            )
        except psycopg.OperationalError as exc:
            if "does not exist" in str(exc):
                raise MissingDatabase(f"{self.label()} does not exist.") from exc
            raise BackupError(f"Cannot connect to {self.label()}: {_first_line(exc)}") from exc

    def sqlite_uri(self, mode: str) -> str:
        if self.name.startswith("file:"):  # e.g. the test runner's shared in-memory database
            return self.name
        return f"{Path(self.name).resolve().as_uri()}?mode={mode}"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


# --- Row counts ----------------------------------------------------------------------------------

PG_TABLES = """
    SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_%'
    ORDER BY 1, 2
"""
PG_RELATIONS = PG_TABLES.replace("('r', 'p')", "('r', 'p', 'v', 'm', 'S', 'f')")


def pg_counts(conn) -> dict[str, int]:
    """Rows in every table, keyed ``schema.table``."""
    from psycopg import sql

    counts = {}
    for schema, table in conn.execute(PG_TABLES).fetchall():
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(
            sql.Identifier(schema), sql.Identifier(table)
        )
        counts[f"{schema}.{table}"] = conn.execute(query).fetchone()[0]
    return counts


def sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def database_counts(db: Database) -> dict[str, int]:
    """Rows per table now (for checks and tests)."""
    if db.engine == "sqlite":
        with _sqlite(db.sqlite_uri("ro")) as conn:
            return sqlite_counts(conn)
    with db.connect() as conn:
        return pg_counts(conn)


@contextmanager
def _sqlite(uri: str) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(uri, uri=True)
    try:
        yield conn
    finally:
        conn.close()


# --- Dumping ---------------------------------------------------------------------------------------


def _run(command: list[str], db: Database, what: str) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise BackupError(f"`{tool}` is not installed (apt-get install postgresql-client).")
    done = subprocess.run(command, env=db.libpq_env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise BackupError(f"{what} failed ({tool} exit {done.returncode}):\n{detail}")


def dump_postgres(db: Database, target: Path) -> dict[str, int]:
    """pg_dump into ``target`` and count rows, both in one exported snapshot."""
    with db.connect() as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        counts = pg_counts(conn)
        # The snapshot lives as long as this transaction: pg_dump must finish inside it.
        _run(
            [
                "pg_dump",
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--file={target}",
                "--dbname",
                db.name,
            ],
            db,
            "pg_dump",
        )
        conn.execute("ROLLBACK")
    return counts


def dump_sqlite(db: Database, target: Path) -> dict[str, int]:
    """A consistent copy through the online backup API; counts come from the copy."""
    with _sqlite(db.sqlite_uri("ro")) as source, _sqlite(target.resolve().as_uri()) as copy:
        source.backup(copy)
        return sqlite_counts(copy)


def _existing_relations(db: Database) -> list[str]:
    if db.engine == "sqlite":
        path = None if db.name.startswith("file:") else Path(db.name)
        if path is not None and (not path.exists() or path.stat().st_size == 0):
            return []
        with _sqlite(db.sqlite_uri("ro")) as conn:
            return list(sqlite_counts(conn))
    try:
        conn = db.connect()
    except MissingDatabase as exc:
        raise BackupError(
            f"{exc} Create it empty first, e.g. `createdb -h {db.host or 'localhost'} "
            f"-U {db.user or 'postgres'} {db.name}`, then restore again."
        ) from exc
    with conn:
        return [f"{schema}.{name}" for schema, name in conn.execute(PG_RELATIONS).fetchall()]


def restore_postgres(db: Database, dump: Path) -> None:
    # One transaction: a failure leaves the target as empty as it was. Ownership and grants
    # are those of the restoring user, so a backup restores on a server with other roles.
    _run(
        [
            "pg_restore",
            "--exit-on-error",
            "--single-transaction",
            "--no-owner",
            "--no-privileges",
            "--dbname",
            db.name,
            str(dump),
        ],
        db,
        "pg_restore",
    )


def restore_sqlite(db: Database, copy: Path) -> None:
    if not db.name.startswith("file:"):
        Path(db.name).parent.mkdir(parents=True, exist_ok=True)
    target = db.name if db.name.startswith("file:") else Path(db.name).resolve().as_uri()
    with _sqlite(copy.resolve().as_uri() + "?mode=ro") as source, _sqlite(target) as dest:
        source.backup(dest)
