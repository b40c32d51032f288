"""A throwaway PostgreSQL cluster for the tests that run on both databases.

``KND_TEST_POSTGRES`` (a ``postgresql://`` URL to a server where the user may create
databases) is used when set; otherwise a cluster is made with ``initdb`` in a temporary
folder (as the ``postgres`` user when running as root: the server refuses root), listening on
a unix socket there only, with ``fsync`` off (a test database need not survive a power cut).
Each test gets a fresh database cloned from a migrated template, so a test costs tens of
milliseconds, not a migration.
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
    """A server with a migrated template; :meth:`fresh` clones it for one test."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.template = f"knd_template_{os.getpid()}"

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql)

    def prepare(self) -> Server:
        """Make the migrated template (outside any event loop)."""
        self._admin(f"DROP DATABASE IF EXISTS {self.template}")
        self._admin(f"CREATE DATABASE {self.template}")
        asyncio.run(_migrate(with_database(self.url, self.template)))
        return self

    def fresh(self) -> str:
        """The URL of a new, migrated, empty database."""
        name = f"knd_{os.getpid()}_{next(_COUNTER)}"
        self._admin(f"CREATE DATABASE {name} TEMPLATE {self.template}")
        return with_database(self.url, name)

    def drop(self, database_url: str) -> None:
        name = database_url.partition("?")[0].rsplit("/", 1)[1]
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def _migrate(url: str) -> None:
    db = await Database.open(url)
    await db.close()
