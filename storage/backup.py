"""Backups of either database, restores, and the row counts an operator reads after them.

Why this shape
--------------
* **SQLite: the online backup API** (``sqlite3.Connection.backup``, in one step) copies the
  database inside ONE read transaction: a consistent snapshot of every committed transaction,
  those still in the WAL included, while the bot keeps writing (in WAL mode a reader and the
  writer run together). The copy is written beside the target as ``….part``, checked
  (``quick_check``) and renamed: a backup file is never half written. Files are 0600.
* **Encrypted at rest** (issue 11: ``KND_DB_KEY``, SQLCipher): the backup is written with the
  same key, so it is encrypted like the database and useless without the key; the key is
  never written into it. Keep the key apart from the backups.
* **PostgreSQL: ``pg_dump -Fc``** in the snapshot where the rows were counted
  (``--snapshot``), restored with ``pg_restore --clean --if-exists --single-transaction``.
  The tools get the URL without its password; the password goes through the environment
  (``PGPASSWORD``): in no process list, in no message. The bot does not encrypt PostgreSQL's
  data (the server's disk does, if configured): a dump holds the content in clear.
* **Never under a running bot**: its caches and sessions would disagree with the restored
  rows. An open SQLite database holds a shared lock on its open mark (``storage.db.open_mark``)
  which the restore takes exclusively for its whole run; on PostgreSQL the bot's connections
  are named (``application_name``) and a restore with any of them connected is refused.
* **A restore overwrites rows only when told** (``force``): a database with any row (other
  than the migrations' record) is not empty. A backup made by a newer bot (a migration this
  code does not know) is refused before anything is touched.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from storage.db import (
    MIGRATIONS,
    PG_MIGRATIONS,
    _driver,
    hold_open_mark,
    migration_files,
    private_file,
)
from storage.dialect import APPLICATION_NAME, is_postgres_url

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"  # pg_dump's custom format
#: Tables that are not data: the record of applied migrations (each database keeps its own).
NOT_DATA = frozenset({"schema_migrations"})
PG_TABLES = (
    "SELECT table_name FROM information_schema.tables "
    "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
)


class BackupProblem(Exception):
    """What stops a backup, a restore or a copy: ``kind`` names the message
    (``cli.ops.<kind>`` in templates/cli.toml), ``detail`` fills it (never a password)."""

    def __init__(self, kind: str, **detail: Any) -> None:
        super().__init__(kind)
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Counts:
    """Rows per data table."""

    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def __getitem__(self, table: str) -> int:
        return self.rows.get(table, 0)

    def summary(self) -> dict[str, int]:
        """What the messages name: tables, rows, and the rows people recognise."""
        return {
            "tables": len(self.rows),
            "total": self.total,
            "people": self["people"],
            "dossiers": self["dossiers"],
            "comments": self["comments"],
            "audit": self["audit_log"],
        }


def count_rows(conn: Any, tables: Iterable[str]) -> Counts:
    """Rows of each table, on an sqlite3 or a sync psycopg connection."""
    return Counts(
        {t: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in tables}
    )


def sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    ).fetchall()
    return [r[0] for r in rows if r[0] not in NOT_DATA]


def pg_tables(conn: Any) -> list[str]:
    return [r[0] for r in conn.execute(PG_TABLES).fetchall() if r[0] not in NOT_DATA]


def applied_versions(conn: Any) -> set[str]:
    """The migrations a database records (none when it was never migrated)."""
    try:
        return {str(r[0]) for r in conn.execute("SELECT version FROM schema_migrations")}
    except Exception:  # no such table: a database the bot never opened
        return set()


def refuse_unknown(versions: Iterable[str], postgres: bool, path: Path) -> None:
    """A backup made by a newer bot (migrations this code lacks) is not restored."""
    known = {f.name for f in migration_files(PG_MIGRATIONS if postgres else MIGRATIONS)}
    newer = sorted(set(versions) - known)
    if newer:
        raise BackupProblem("backup_newer", path=str(path), versions=", ".join(newer))


# --------------------------------------------------------------------------------------
# SQLite


def open_sqlite(path: Path, key: str | None) -> sqlite3.Connection:
    """A connection to an SQLite file (SQLCipher with ``key``), checked readable."""
    driver = _driver(key is not None)
    conn: sqlite3.Connection = driver.connect(
        str(path), isolation_level=None, check_same_thread=False
    )
    try:
        if key is not None:
            conn.execute("PRAGMA cipher_log_level = NONE")  # a wrong key: our message only
            conn.execute(f"PRAGMA key = \"x'{key}'\"")
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except driver.DatabaseError:
        conn.close()
        raise BackupProblem("sqlite_unreadable", path=str(path)) from None
    return conn


def _same_file(a: Path, b: Path) -> bool:
    with contextlib.suppress(OSError):
        return a.resolve() == b.resolve()
    return False


@contextlib.contextmanager
def _written_whole(dest: Path) -> Iterator[Path]:
    """A ``….part`` file (0600) renamed to ``dest`` when the block succeeds, removed if not."""
    part = dest.with_name(dest.name + ".part")
    for leftover in (part, Path(f"{part}-wal"), Path(f"{part}-shm")):
        leftover.unlink(missing_ok=True)
    private_file(part)
    try:
        yield part
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, dest)


def backup_sqlite(source: Path, dest: Path, key: str | None) -> Counts:
    """Copy the live database ``source`` to ``dest`` (encrypted with ``key`` as it is)."""
    if not source.is_file():
        raise BackupProblem("no_database", path=str(source))
    if _same_file(source, dest):
        raise BackupProblem("same_file", path=str(dest))
    src = open_sqlite(source, key)
    try:
        with _written_whole(dest) as part:
            out = open_sqlite(part, key)
            try:
                src.backup(out)  # pages=-1: one step, one read transaction, one snapshot
                check = str(out.execute("PRAGMA quick_check").fetchone()[0])
                counts = count_rows(out, sqlite_tables(out))
                out.execute("PRAGMA journal_mode = DELETE")  # one file, no -wal beside it
            finally:
                out.close()
            if check != "ok":
                raise BackupProblem("backup_broken", reason=check[:120])
    finally:
        src.close()
    return counts


def backup_kind(path: Path) -> str:
    """``sqlite``, ``postgres`` (a pg_dump archive) or :class:`BackupProblem`. An encrypted
    SQLite file has no readable header: it is taken as SQLite and its key checks it."""
    if not path.is_file():
        raise BackupProblem("no_backup", path=str(path))
    with path.open("rb") as fh:
        head = fh.read(len(SQLITE_HEADER))
    if head.startswith(PG_DUMP_HEADER):
        return "postgres"
    return "sqlite"


def restore_sqlite(backup: Path, target: Path, key: str | None, *, force: bool) -> None:
    """Replace the database file ``target`` by the backup (the bot stopped meanwhile)."""
    if _same_file(backup, target):
        raise BackupProblem("same_file", path=str(backup))
    with backup.open("rb") as fh:
        if key is None and fh.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupProblem("not_a_backup", path=str(backup))
    src = open_sqlite(backup, key)
    mark = None
    try:
        if not sqlite_tables(src):
            raise BackupProblem("not_a_backup", path=str(backup))
        refuse_unknown(applied_versions(src), False, backup)
        private_file(target)
        mark = hold_open_mark(target, exclusive=True)
        if mark is None:
            raise BackupProblem("in_use", target=str(target))
        dst = open_sqlite(target, key)
        try:
            existing = count_rows(dst, sqlite_tables(dst))
            if existing.total and not force:
                raise BackupProblem("not_empty", target=str(target), **existing.summary())
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
        if mark is not None:
            os.close(mark)


# --------------------------------------------------------------------------------------
# PostgreSQL


#: Debian's versioned folders of PostgreSQL's programs (not on PATH without the client package).
PG_FOLDERS = "/usr/lib/postgresql/*/bin"


def pg_tool(name: str) -> str:
    """``pg_dump`` / ``pg_restore``: on PATH, else the newest of Debian's versioned folders."""
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(glob.glob(PG_FOLDERS), reverse=True):
        if (Path(folder) / name).is_file():
            return str(Path(folder) / name)
    raise BackupProblem("no_pg_tool", tool=name)


@dataclass(frozen=True)
class PgTarget:
    """A PostgreSQL URL split for the command-line tools: the connection string without the
    password (their argument), the password apart (their environment)."""

    conninfo: str
    password: str
    database: str

    @classmethod
    def of(cls, url: str) -> PgTarget:
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        params = {k: str(v) for k, v in conninfo_to_dict(url).items()}
        password = params.pop("password", "")
        return cls(make_conninfo("", **params), password, params.get("dbname", ""))

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def run(self, command: Sequence[str]) -> str:
        """Run a tool; its first error line (password masked) as :class:`BackupProblem`."""
        done = subprocess.run(list(command), env=self.env(), capture_output=True, check=False)
        if done.returncode != 0:
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines() or ["?"]
            reason = lines[0][:200]
            if self.password:
                reason = reason.replace(self.password, "…")
            raise BackupProblem("pg_tool_failed", tool=Path(command[0]).name, reason=reason)
        return done.stdout.decode("utf-8", "replace")


def backup_postgres(url: str, dest: Path) -> Counts:
    """``pg_dump -Fc`` of the snapshot whose rows are counted (one exported snapshot)."""
    import psycopg

    tool = pg_tool("pg_dump")
    target = PgTarget.of(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()
        counts = count_rows(conn, pg_tables(conn))
        with _written_whole(dest) as part:
            target.run(
                [tool, "--format=custom", "--no-owner", "--no-privileges",
                 f"--snapshot={snapshot[0] if snapshot else ''}", f"--file={part}",
                 f"--dbname={target.conninfo}"]
            )  # fmt: skip
        conn.execute("COMMIT")
    return counts


def dump_versions(tool: str, backup: Path, target: PgTarget) -> set[str]:
    """The migrations a pg_dump archive records (its ``schema_migrations`` rows)."""
    text = target.run([tool, "--data-only", "--table=schema_migrations", "--file=-", str(backup)])
    versions: set[str] = set()
    copying = False
    for line in text.splitlines():
        if line.startswith("COPY "):
            copying = True
        elif line == "\\.":
            copying = False
        elif copying and line:
            versions.add(line.split("\t", 1)[0])
    return versions


def restore_postgres(backup: Path, url: str, *, force: bool) -> None:
    """``pg_restore --clean --if-exists`` in one transaction into the database of ``url``."""
    import psycopg

    tool = pg_tool("pg_restore")
    target = PgTarget.of(url)
    with psycopg.connect(url, autocommit=True) as conn:
        refuse_while_bots_connected(conn, target.database)
        existing = count_rows(conn, pg_tables(conn))
    refuse_unknown(dump_versions(tool, backup, target), True, backup)
    if existing.total and not force:
        raise BackupProblem("not_empty", target=target.database, **existing.summary())
    target.run(
        [tool, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
         "--exit-on-error", f"--dbname={target.conninfo}", str(backup)]
    )  # fmt: skip


#: How long a restore waits for the sessions of a bot that has just stopped to leave
#: ``pg_stat_activity`` (a backend ends a moment after its client closed the connection)
BOTS_GONE_WAIT_S = 3.0


def refuse_while_bots_connected(conn: Any, database: str) -> None:
    """A bot's named connections to this database (another session than ours) refuse the
    operation: a restore would change the rows under it. Sessions still listed
    ``BOTS_GONE_WAIT_S`` after asking belong to a running bot, not one just stopped."""
    deadline = time.monotonic() + BOTS_GONE_WAIT_S
    while conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name = %s AND pid <> pg_backend_pid()",
        (APPLICATION_NAME,),
    ).fetchone()[0]:
        if time.monotonic() > deadline:
            raise BackupProblem("in_use", target=database)
        time.sleep(0.05)


def table_counts(target: str | Path, key: str | None = None) -> Counts:
    """Rows per data table of a database (a file, or a PostgreSQL URL)."""
    if is_postgres_url(target):
        import psycopg

        with psycopg.connect(str(target), autocommit=True) as conn:
            return count_rows(conn, pg_tables(conn))
    lite = open_sqlite(Path(target), key)
    try:
        return count_rows(lite, sqlite_tables(lite))
    finally:
        lite.close()
