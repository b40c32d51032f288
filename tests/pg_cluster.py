"""A throwaway PostgreSQL cluster for the tests that run on both databases.

``KND_TEST_POSTGRES`` (a ``postgresql://`` URL to a server where the user may create
databases) is used when set; otherwise a cluster is made with ``initdb`` in a temporary
folder (as the ``postgres`` user when running as root: the server refuses root), listening on
a unix socket there only, with ``fsync`` off (a test database need not survive a power cut).
Each test gets a fresh database cloned from a migrated template, so a test costs tens of
milliseconds, not a migration; a clone a test is done with is emptied and given to the next
test of the process unless that test changed its schema (:class:`Server`).
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg

from storage.db import Database
from storage.dialect import to_pyformat

_COUNTER = itertools.count()
#: The PostgreSQL database standing in for each SQLite path of the running test (conftest's
#: ``backend`` fixture fills it), for helpers that read the database apart from the bot.
STAND_INS: dict[str, str] = {}


class _Reader:
    """A read-only-by-use psycopg connection with sqlite3's ``execute(sql, params)``."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url, autocommit=True)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(to_pyformat(sql).encode(), tuple(params))


def reader(path: str | Path) -> Any:
    """A connection to read the stand-in of ``path``, or None when it is an SQLite file."""
    url = STAND_INS.get(str(path))
    return _Reader(url) if url else None


def binaries() -> Path | None:
    """The folder of ``initdb`` and ``postgres``: on PATH, else Debian's versioned folder."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists():
            return Path(folder)
    return None


def _as_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextlib.contextmanager
def local_cluster() -> Iterator[str]:
    """Start a cluster for this process; yields the URL of its ``postgres`` database."""
    folder = binaries()
    if folder is None:
        raise FileNotFoundError("no PostgreSQL binaries (initdb) on this machine")
    _remove_abandoned()
    home = Path(tempfile.mkdtemp(prefix="knd-pg-"))
    data, log = home / "data", home / "log"
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(home, user.pw_uid, user.pw_gid)
    subprocess.run(
        _as_user([str(folder / "initdb"), "-D", str(data), "-U", "knd", "-A", "trust",
                  "-E", "UTF8", "--no-sync"]),
        check=True, capture_output=True,
    )  # fmt: skip
    options = f"-k {home} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
    subprocess.run(
        _as_user([str(folder / "pg_ctl"), "-D", str(data), "-l", str(log), "-w",
                  "-o", options, "start"]),
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield f"postgresql://knd@/postgres?host={home}"
    finally:
        subprocess.run(
            _as_user([str(folder / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(home, ignore_errors=True)


#: A cluster folder older than this with no live server was left by a killed test process.
ABANDONED_AFTER_S = 3600


def _remove_abandoned() -> None:
    """Delete the clusters of test processes killed before their cleanup ran (a runner's
    timeout, a kill -9): each is ~64 MB in the temporary folder, and nothing else removes it.
    Only old folders: a younger one may be another process's cluster still being made."""
    now = time.time()
    for home in Path(tempfile.gettempdir()).glob("knd-pg-*"):
        with contextlib.suppress(OSError):
            if now - home.stat().st_mtime < ABANDONED_AFTER_S or _server_alive(home / "data"):
                continue
            shutil.rmtree(home, ignore_errors=True)


def _server_alive(data: Path) -> bool:
    """Whether the postmaster named in ``data``'s pid file still runs."""
    try:
        pid = int((data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` instead."""
    base, _, query = url.partition("?")
    base = base.rsplit("/", 1)[0]
    return f"{base}/{name}" + (f"?{query}" if query else "")


class Server:
    """A server with a migrated template; :meth:`fresh` clones it for one test.

    A clone a test is done with goes back to a pool instead of being dropped, emptied
    again (its rows deleted, its sequences set back), when its schema is still the
    template's: a clone and its drop took 0.4–0.9 s at load 17 (9 MB copied through the WAL),
    emptying one 0.05–0.14 s. A test that changed the schema, or rows the template holds
    (``schema_migrations``), or wrote megabytes, gets its database dropped as before."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.template = f"knd_template_{os.getpid()}"
        self._made: set[str] = set()  # the clones :meth:`fresh` made
        self._clean: list[str] = []  # clones emptied back to the template's state
        self._seeded: list[str] = []  # the tables the template has rows in
        self._shape = ""  # the template's schema and seeded rows (:func:`_shape`)
        self._empty_again: str | None = None  # the SQL that empties a clone; None: no pool
        self._size_cap = 0  # bytes: a clone larger than this is dropped (:data:`GROWN_BY`)

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql)

    def prepare(self) -> Server:
        """Make the migrated template (outside any event loop)."""
        self._admin(f"DROP DATABASE IF EXISTS {self.template}")
        self._admin(f"CREATE DATABASE {self.template}")
        asyncio.run(_migrate(with_database(self.url, self.template)))
        with psycopg.connect(with_database(self.url, self.template), autocommit=True) as conn:
            self._seeded = _tables(conn, seeded=True)
            self._shape = _shape(conn, self._seeded)
            self._empty_again = _emptying(conn)
            self._size_cap = _size(conn) + GROWN_BY
        return self

    def fresh(self) -> str:
        """The URL of a new, migrated, empty database."""
        if self._clean:
            return with_database(self.url, self._clean.pop())
        name = f"knd_{os.getpid()}_{next(_COUNTER)}"
        self._admin(f"CREATE DATABASE {name} TEMPLATE {self.template}")
        self._made.add(name)
        return with_database(self.url, name)

    def drop(self, database_url: str) -> None:
        name = database_url.partition("?")[0].rsplit("/", 1)[1]
        if name in self._made and name not in self._clean and self._emptied(database_url):
            self._clean.append(name)
            return
        self._made.discard(name)
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        """Drop the pooled clones (at the end of the test process)."""
        while self._clean:
            self._admin(f"DROP DATABASE IF EXISTS {self._clean.pop()} WITH (FORCE)")

    def _emptied(self, url: str) -> bool:
        """Whether the clone at ``url`` is as the template was made: every other session
        ended (as ``DROP … WITH (FORCE)`` does), the schema unchanged, the rows deleted."""
        if self._empty_again is None:
            return False
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                others = (
                    "SELECT pid FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
                conn.execute(f"SELECT pg_terminate_backend(pid) FROM ({others}) o")
                deadline = time.monotonic() + 5.0
                while conn.execute(others).fetchone() is not None:
                    if time.monotonic() > deadline:
                        return False
                    time.sleep(0.005)
                if _shape(conn, self._seeded) != self._shape or _size(conn) > self._size_cap:
                    return False
                with conn.transaction():
                    conn.execute(self._empty_again.encode())
            return True
        except psycopg.Error:
            return False


#: how much a clone may have grown and still be emptied for the next test: the kill tests'
#: 10 000 answers would leave their deleted rows for every later test to scan past
GROWN_BY = 4 << 20


def _size(conn: psycopg.Connection[Any]) -> int:
    found = conn.execute(b"SELECT pg_database_size(current_database())").fetchone()
    return int(found[0]) if found else 0


#: the catalogs any change of a schema writes to
_CATALOGS = (
    "pg_class", "pg_attribute", "pg_attrdef", "pg_constraint", "pg_index", "pg_proc",
    "pg_trigger", "pg_namespace", "pg_type", "pg_extension",
)  # fmt: skip


def _shape(conn: psycopg.Connection[Any], seeded: Sequence[str]) -> str:
    """What a change of a database's schema or of the rows the template is made with
    (``seeded``) changes: each such table's and catalog's row count and newest row version
    (a clone keeps the template's; DDL or a write adds or removes rows, or writes new
    versions), and the database's own settings. One query, ≈ 1 ms."""
    counts = " || ' ' || ".join(
        f"(SELECT count(*) || ':' || coalesce(max(xmin::text::bigint), 0) FROM {table})"
        for table in (*_CATALOGS, *seeded)
    )
    settings = (
        "(SELECT coalesce(string_agg(array_to_string(setconfig, ','), ';'), '')"
        " FROM pg_db_role_setting WHERE setdatabase ="
        " (SELECT oid FROM pg_database WHERE datname = current_database()))"
    )
    found = conn.execute(f"SELECT {counts} || ' ' || {settings}".encode()).fetchone()
    return str(found[0]) if found else ""


def _tables(conn: psycopg.Connection[Any], *, seeded: bool) -> list[str]:
    """The user tables, quoted: those with rows (``seeded``) or those without."""
    found = conn.execute(
        b"SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c"
        b" JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')"
        b" AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
        b" AND n.nspname NOT LIKE 'pg_%' ORDER BY 1"
    ).fetchall()
    tables = [str(t[0]) for t in found]
    return [
        t
        for t in tables
        if (conn.execute(f"SELECT EXISTS (SELECT FROM {t})".encode()).fetchone() or [0])[0]
        == seeded
    ]


def _emptying(template: psycopg.Connection[Any]) -> str | None:
    """One transaction's SQL that empties a clone of ``template`` again: every table the
    template has no row in, without its triggers and foreign keys (``session_replication_role``
    replica: a superuser's, as the tests' clusters give), and every sequence set back to
    the template's value. None when the role may not do that (no pool then)."""
    superuser = template.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if not (superuser.fetchone() or [False])[0]:
        return None
    statements = ["SET LOCAL session_replication_role = replica"]
    statements += [f"DELETE FROM {t}" for t in _tables(template, seeded=False)]
    sequences = template.execute(
        b"SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), start_value,"
        b" last_value FROM pg_sequences"
    ).fetchall()
    for name, start, last in sequences:
        value, called = (start, "false") if last is None else (last, "true")
        statements.append(f"SELECT setval('{name}', {value}, {called})")
    return ";\n".join(statements)


async def _migrate(url: str) -> None:
    db = await Database.open(url)
    await db.close()
