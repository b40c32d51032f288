"""The SQLite database: connections, migrations and the unit of work.

Why this shape
--------------
* **One writer, on the event loop's thread.** SQLite allows one writer at a time, so every
  change goes through one connection guarded by an :class:`asyncio.Lock`:
  ``async with db.transaction() as tx`` runs ``BEGIN IMMEDIATE … COMMIT`` and nothing else
  writes meanwhile. Everything a handler changes for one update (the processed-update
  marker, the answer, the new revision, the conversation cursor, an audit row) is written
  inside ONE such transaction, so a crash either keeps all of it or none of it, and the
  reply is sent only after the commit.
  The write connection is a plain :mod:`sqlite3` connection called in place (wrapped so
  that its methods keep aiosqlite's awaitable shape). A statement in WAL mode takes tens of
  microseconds, while a hop to an aiosqlite thread costs a GIL hand-off and, under load, a
  turn of the whole event-loop queue — *with the write lock held*. Measured with 500
  concurrent candidates, those hops capped the engine at ~270 updates/s with p99 ≈ 600 ms;
  calling in place removes the queueing (bench/bench_engine.py, docs/architecture.md). The
  price: a transaction blocks the loop for its own duration (well under a millisecond for a
  chat answer), and a lock held by *another process* is waited for on the loop
  (``busy_timeout``), so run one bot process per database file.
* **Readers do not wait for the writer.** WAL lets a second, read-only aiosqlite connection
  (its own thread) see the last committed state while a write transaction is open
  (``async with db.read() as r``), for summaries and exports that may read a lot.
* **Durability.** ``synchronous=NORMAL`` (default) in WAL mode survives a crash of the
  process: a committed transaction is in the WAL file before ``COMMIT`` returns. It may
  lose the last transactions on a power cut or a kernel crash, because the WAL is fsynced
  at checkpoints, not at every commit. ``synchronous=FULL`` fsyncs the WAL at every commit
  and also survives power loss, at the price of one fsync per update (a few milliseconds on
  ordinary disks, which caps a single writer at a few hundred updates per second). Pick it
  with ``Database.open(path, synchronous="FULL")`` on hardware without a battery-backed
  cache if losing the last second of answers on a power cut is not acceptable.

* **Checkpoints off the answer path** (issue 17). SQLite copies the WAL back into the
  database file at a checkpoint, by default inside the ``COMMIT`` that passes 1 000 pages
  of WAL: that commit then writes the pages and fsyncs both files, several milliseconds on
  the event loop (measured in the engine's replay of sample A: 2 % of the commits held 85 %
  of the commits' time). The writer does no checkpoint of its own (``wal_autocheckpoint``
  0); every :data:`CHECK_EVERY` commits it looks at the WAL's size and, past
  :data:`CHECKPOINT_BYTES`, a connection of its own runs a PASSIVE checkpoint in a thread
  (:class:`Checkpointer`): the copy and the fsyncs (the same ``synchronous``) no longer
  stop the loop, and commits go on meanwhile. Durability is unchanged: a commit is in the
  WAL before ``COMMIT`` returns, whoever copies it later.
* **At rest** (issue 11). The database file, its ``-wal`` and ``-shm`` companions (SQLite
  gives them the database file's mode) and a folder the database creates are readable by the
  bot's user only (0600/0700), whatever the umask. With a key
  (``Database.open(path, key=hex)``, the setting ``KND_DB_KEY``) the file is encrypted with
  SQLCipher through ``sqlcipher3`` (the optional extra ``[encrypted]``): a raw 256-bit key,
  so opening costs no key derivation. ``secure_delete`` is on for every connection (deleted
  content is overwritten, not left in free pages), and :meth:`Database.checkpoint` empties the
  WAL file after an erasure (``storage/erasure.py``).

Layers
------
``storage/session.py`` runs SQL on a connection and knows no repository; the core
repositories (``storage/core.py``) build on it; this module opens the database and hands out
:class:`Session` and :class:`Tx`, which add the core repositories as typed attributes
(``tx.people``, ``tx.dossiers``, ``tx.conversations``, ``tx.audit``, ``tx.progress``).
Imports run one way: session ← repositories ← db.

Adding repositories (for colleagues)
------------------------------------
A repository is a small class over a :class:`Session` (a transaction or a read session)
holding the SQL of one area. Subclass :class:`Repo` in your own module, e.g.
``storage/reviews.py``::

    class Reviews(Repo):
        async def add_comment(self, dossier_id: int, ...) -> int:
            return await self.s.insert("INSERT INTO comments (...) VALUES (?, ...)", (...))

and use it inside the same unit of work as everything else::

    async with db.transaction() as tx:
        comment_id = await tx.repo(Reviews).add_comment(...)
        await tx.audit.append("comment", person_id=..., dossier_id=...)

``tx.now`` is the timestamp of the unit of work (ISO-8601 UTC text) — use it for every
``*_at`` column so that one update writes one time. New tables go into a new numbered file
``storage/migrations/NNN_name.sql`` (package data, read through :mod:`importlib.resources`
so an installed wheel finds it); it is applied at the next start, in its own transaction,
and recorded in ``schema_migrations``. Never edit an applied migration.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import fcntl
import logging
import os
import re
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

import aiosqlite

from storage.core import AuditLog, Conversations, Dossiers, People
from storage.dialect import POSTGRES, SQLITE, Dialect, is_postgres_url
from storage.files import DocumentFolder
from storage.progress import Progress
from storage.session import SqlRepo, SqlSession, SqlTx, SyncConnection, utc_iso

if TYPE_CHECKING:
    from storage import pg

__all__ = [
    "MIGRATIONS",
    "Database",
    "EncryptionUnavailable",
    "Repo",
    "Session",
    "Tx",
    "migration_files",
    "transient",
    "utc_iso",
]

log = logging.getLogger(__name__)

#: The numbered SQL files, read as package data (an installed wheel carries them): one folder
#: per database, numbered alike (PostgreSQL's history starts at 042, SQLite's 001–042 at once).
MIGRATIONS: Traversable = files("storage") / "migrations" / "sqlite"
PG_MIGRATIONS: Traversable = files("storage") / "migrations" / "postgres"
Synchronous = Literal["OFF", "NORMAL", "FULL"]
#: The writer looks at the WAL's size every this many commits (a stat: ~1 µs).
CHECK_EVERY = 32
#: Past this size of WAL a checkpoint runs in the checkpointer's thread (SQLite's own default
#: is 1 000 pages: 4 MB).
CHECKPOINT_BYTES = 4_000_000
#: Past this the writer finishes the checkpoint itself after a commit (PASSIVE, on its own
#: connection: the thread's runs have copied all but the last frames). Under a steady stream
#: of commits the thread's checkpoint never reaches the last frame before the next commit
#: adds one, so the WAL was never started again: 270 MB after 8 000 answers, and every read
#: searched the longer WAL index (+8 % CPU per update, +17 MB resident at N = 500 paced).
#: A run of the thread going on is waited for first (a starved thread is nearly always running).
WAL_CAP = 64_000_000
#: The WAL file is cut back to this size when the writer starts it again from its start
#: (``journal_size_limit``), so that its size past this tells how much it holds.
WAL_KEPT_BYTES = 1 << 20
#: A raw SQLCipher key: 256 bits in hex (optionally followed by a 128-bit salt).
_RAW_KEY = re.compile(r"[0-9A-Fa-f]{64}(?:[0-9A-Fa-f]{32})?")
FILE_MODE = 0o600
FOLDER_MODE = 0o700


def transient(exc: BaseException) -> bool:
    """Whether ``exc`` is the database failing for a moment, not the work's fault: the
    session ended (the server timed a stalled transaction out, restarted, the network
    failed), a deadlock or serialization conflict, SQLite's file locked past its busy timeout.
    The same work tried again can succeed, so an update that met it is kept for another try,
    never answered with an apology and marked done (handlers/router.py, bot/intake.py)."""
    psycopg = sys.modules.get("psycopg")  # imported once a PostgreSQL database is opened
    if psycopg is not None and isinstance(
        exc, psycopg.OperationalError | psycopg.errors.IdleInTransactionSessionTimeout
    ):
        return True
    if type(exc).__name__ == "OperationalError":  # sqlite3's, or sqlcipher3's own class
        text = str(exc)
        return "locked" in text or "busy" in text
    return False


class EncryptionUnavailable(RuntimeError):
    """A key is configured but ``sqlcipher3`` is not installed."""


def _driver(encrypted: bool) -> ModuleType:
    """The DB-API module: :mod:`sqlite3`, or SQLCipher's when the database has a key."""
    if not encrypted:
        return sqlite3
    try:
        from sqlcipher3 import dbapi2
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise EncryptionUnavailable(
            "the database key needs sqlcipher3: pip install 'knd-bot[encrypted]'"
        ) from exc
    return dbapi2


def private_file(path: Path) -> None:
    """Create ``path`` (and a missing parent folder) readable by this user only; tighten an
    existing file, and the database's ``-wal``/``-shm`` companions if present."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=FOLDER_MODE)
        path.parent.chmod(FOLDER_MODE)  # mkdir's mode passes through the umask
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE))
    for companion in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(FileNotFoundError):
            if companion.stat().st_mode & 0o777 != FILE_MODE:
                companion.chmod(FILE_MODE)


class Checkpointer:
    """PASSIVE checkpoints of an SQLite file on a connection and a thread of their own (see
    the module docstring): :meth:`start` hands one to the thread unless one is running."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._conn: sqlite3.Connection | None = None
        self._pool = concurrent.futures.ThreadPoolExecutor(1, "knd-checkpoint")
        self._running: concurrent.futures.Future[None] | None = None
        #: checkpoints run so far (the tests read it)
        self.done = 0

    def start(self) -> bool:
        """Start a checkpoint; False when one is still running."""
        if self._running is not None and not self._running.done():
            return False
        self._running = self._pool.submit(self._checkpoint)
        return True

    def _checkpoint(self) -> None:
        try:
            if self._conn is None:
                self._conn = self._connect()
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.done += 1
        except Exception:  # the next one tries again; the WAL only grows meanwhile
            log.exception("the WAL checkpoint failed")

    @property
    def idle(self) -> bool:
        """No checkpoint is running in the thread."""
        return self._running is None or self._running.done()

    def wait(self) -> None:
        """Until the running checkpoint (if any) is over."""
        if self._running is not None:
            self._running.result()

    def close(self) -> None:
        def close_connection() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        if self._running is not None:  # else the thread was never started
            self._pool.submit(close_connection).result()
        self._pool.shutdown(wait=True)


class Session(SqlSession):
    """A session with the core repositories at hand: ``s.people`` is ``s.repo(People)``."""

    db: Database

    @property
    def people(self) -> People:
        return self.repo(People)

    @property
    def dossiers(self) -> Dossiers:
        return self.repo(Dossiers)

    @property
    def conversations(self) -> Conversations:
        return self.repo(Conversations)

    @property
    def audit(self) -> AuditLog:
        return self.repo(AuditLog)

    @property
    def progress(self) -> Progress:
        return self.repo(Progress)


class Tx(SqlTx, Session):
    """One unit of work on the write connection; see :meth:`Database.transaction`."""


class Repo(SqlRepo):
    """Base of repositories outside the core: ``self.s`` has the core repositories at hand."""

    s: Session


def open_mark(path: str | Path) -> Path:
    """The file beside an SQLite database that every open :class:`Database` holds a shared
    ``flock`` on (the kernel drops it with the process, after a kill -9 too). A restore takes
    it exclusively: it never replaces the rows under a running bot, whose caches and
    sessions would then disagree with its file, and a bot started meanwhile waits for it.
    A separate file, because opening and closing a descriptor of the database file itself
    would drop SQLite's own POSIX locks held by this process."""
    return Path(f"{path}-open")


def hold_open_mark(path: str | Path, exclusive: bool = False) -> int | None:
    """Lock the open mark of ``path`` (shared: a bot; exclusive: a restore) and return its
    descriptor (closing it releases the lock); None when an exclusive lock is refused."""
    fd = os.open(open_mark(path), os.O_CREAT | os.O_RDWR, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB if exclusive else fcntl.LOCK_SH)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


class Database:
    """An SQLite file with one serialised writer and one reader; see the module docstring.
    Given a ``postgresql://`` URL instead of a path, a PostgreSQL database with the same
    shape: one write connection (the same lock) and a small pool of readers."""

    def __init__(
        self, path: str | Path, *, synchronous: Synchronous = "NORMAL", key: str | None = None
    ) -> None:
        if key is not None and not _RAW_KEY.fullmatch(key):
            raise ValueError("the database key is 64 hexadecimal digits (a raw 256-bit key)")
        self.path = str(path)
        self.dialect: Dialect = POSTGRES if is_postgres_url(self.path) else SQLITE
        if self.dialect.postgres and key is not None:
            raise ValueError("the database key is for SQLite files (PostgreSQL encrypts apart)")
        self.synchronous: Synchronous = synchronous
        self._key = key
        self._writer: SyncConnection | pg.PgConnection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._readers: pg.PgReaders | None = None
        self._write_lock = asyncio.Lock()
        # Caches of immutable snapshots, filled after commits (storage.core uses them).
        self.cache: dict[str, Any] = {}
        #: Where an adapter keeps documents on disk (the composition root sets it); an
        #: erasure removes the erased dossier's files there.
        self.files: DocumentFolder | None = None
        self._checkpoint_due = False
        self._open_mark: int | None = None
        self._checkpointer: Checkpointer | None = None
        self._commits = 0

    # -- lifecycle ---------------------------------------------------------------------------
    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        synchronous: Synchronous = "NORMAL",
        migrate: bool = True,
        key: str | None = None,
    ) -> Database:
        """Open (creating if needed) the database file and apply pending migrations; with
        ``key`` (hex), an SQLCipher database."""
        db = cls(path, synchronous=synchronous, key=key)
        await db.connect()
        if migrate:
            await db.migrate()
        return db

    @property
    def encrypted(self) -> bool:
        return self._key is not None

    async def connect(self) -> None:
        if self.dialect.postgres:
            from storage import pg  # psycopg only for PostgreSQL (≈ 7 MB of the bot's memory)

            self._writer = await pg.connect(self.path)
            self._readers = pg.PgReaders(self.path)
            await self._readers.open()
            return
        driver = _driver(self.encrypted)
        if self.path != ":memory:":
            private_file(Path(self.path))
            self._open_mark = hold_open_mark(self.path)

        def connection() -> sqlite3.Connection:
            conn: sqlite3.Connection = driver.connect(
                self.path, isolation_level=None, cached_statements=256, check_same_thread=False
            )
            conn.row_factory = driver.Row
            return conn

        raw = connection()
        try:
            for pragma in self._pragmas(read_only=False):
                raw.execute(pragma)
        except driver.DatabaseError as exc:
            raw.close()
            # one error type whatever the driver (a wrong key reads as "not a database")
            raise sqlite3.DatabaseError(str(exc)) from None
        self._writer = SyncConnection(raw)
        if self.path != ":memory:":
            reader = await aiosqlite.Connection(connection, 64)
            for pragma in self._pragmas(read_only=True):
                await reader.execute(pragma)
            self._reader = reader

            def checkpointing() -> sqlite3.Connection:
                conn = connection()
                keyed = self._pragmas(read_only=True)[: 2 if self._key else 0]
                for pragma in [*keyed, f"PRAGMA synchronous = {self.synchronous}"]:
                    conn.execute(pragma).fetchall()
                return conn

            self._checkpointer = Checkpointer(checkpointing)

    def _pragmas(self, *, read_only: bool) -> list[str]:
        # The key first (nothing can be read before it), checked by the first read.
        keyed = [f"PRAGMA key = \"x'{self._key}'\"", "SELECT count(*) FROM sqlite_master"]
        pragmas = [
            *(keyed if self._key else []),
            "PRAGMA secure_delete = ON",
            "PRAGMA journal_mode = WAL",
            f"PRAGMA synchronous = {self.synchronous}",
            "PRAGMA foreign_keys = ON",
            "PRAGMA busy_timeout = 5000",
            "PRAGMA temp_store = MEMORY",
            # no checkpoint inside a commit: the checkpointer's thread runs them; the WAL
            # file cut back to 1 MB when it starts again, so its size tells what it holds
            "PRAGMA wal_autocheckpoint = 0",
            f"PRAGMA journal_size_limit = {WAL_KEPT_BYTES}",
            # page cache in KiB: 8 MB for the writer, 4 MB for the reader (memory target)
            f"PRAGMA cache_size = {-4000 if read_only else -8000}",
        ]
        if read_only:
            pragmas.append("PRAGMA query_only = ON")
        return pragmas

    async def close(self) -> None:
        if self._checkpointer is not None:
            await asyncio.to_thread(self._checkpointer.close)
            self._checkpointer = None
        for conn in (self._reader, self._writer, self._readers):
            if conn is not None:
                await conn.close()
        self._reader = self._writer = self._readers = None
        if self._open_mark is not None:
            os.close(self._open_mark)
            self._open_mark = None

    def want_checkpoint(self) -> None:
        """Truncate the WAL now, or after the next commit if a reader holds part of it."""
        self._checkpoint_due = not self.checkpoint()

    def checkpoint(self) -> bool:
        """Copy the WAL into the database and truncate it to nothing (after an erasure: the
        WAL would otherwise keep the erased pages until it is overwritten). Outside any
        transaction; False when a reader kept part of it (it is truncated at a later one)."""
        writer = self._require_writer()
        if not isinstance(writer, SyncConnection):
            return True  # PostgreSQL: no WAL file of ours to empty
        if self.path == ":memory:" or writer.raw.in_transaction:
            return False
        if self._checkpointer is not None:
            self._checkpointer.wait()  # a PASSIVE one running would make this one busy
        busy, _, _ = writer.raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return busy == 0

    # -- units of work -------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def transaction(
        self, now: datetime | None = None, *, single: bool = False
    ) -> AsyncIterator[Tx]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` on the single write connection.

        The body runs with the write lock held: keep it short (no network calls). Any
        exception rolls everything back and propagates; after-commit hooks run only when the
        commit succeeded. ``single``: the body runs ONE statement (a lease's take or drop),
        which PostgreSQL then runs alone, atomic by itself, sparing the round trips of BEGIN
        and COMMIT (storage/pg.py); a second statement is refused there.
        """
        async with self._write_lock:
            conn = await self._live_writer()
            tx = Tx(self, conn, utc_iso(now))
            if not isinstance(conn, SyncConnection):
                await conn.begin(single=single)
            else:
                await conn.execute(self.dialect.begin)
            try:
                yield tx
            except BaseException:
                with contextlib.suppress(Exception):
                    await self._end(conn, "ROLLBACK")
                tx.close()
                raise
            await self._end(conn, "COMMIT")
        tx.committed()
        tx.close()
        if self._checkpoint_due:
            self.want_checkpoint()
        self._commits += 1
        if self._commits >= CHECK_EVERY and self._checkpointer is not None:
            self._commits = 0
            self.wal_check()

    def wal_check(self) -> bool:
        """Start a checkpoint in the checkpointer's thread if the WAL passed
        :data:`CHECKPOINT_BYTES` (see the module docstring); True when one was started."""
        try:
            size = os.stat(f"{self.path}-wal").st_size
        except FileNotFoundError:
            return False
        if size > WAL_CAP and self._checkpointer is not None:
            writer = self._require_writer()
            if isinstance(writer, SyncConnection) and not writer.raw.in_transaction:
                # the thread's run first, if one is going: skipped while it ran, the cap held
                # nothing on a loaded machine, whose starved thread was nearly always running
                self._checkpointer.wait()
                writer.raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                return False
        return (
            size > CHECKPOINT_BYTES
            and self._checkpointer is not None
            and (self._checkpointer.start())
        )

    @staticmethod
    async def _end(conn: SyncConnection | pg.PgConnection, command: str) -> None:
        if not isinstance(conn, SyncConnection):
            await (conn.commit() if command == "COMMIT" else conn.rollback())
        else:
            await conn.execute(command)

    async def _live_writer(self) -> SyncConnection | pg.PgConnection:
        """The write connection; on PostgreSQL a new one when the server ended the session
        (a worker stalled inside a transaction: ``pg.IDLE_IN_TRANSACTION_MS``). What that
        transaction wrote was rolled back; the worker's leases fence it out (bot/workers.py)."""
        conn = self._require_writer()
        if not isinstance(conn, SyncConnection) and conn.lost:
            from storage import pg

            log.warning("the database ended the write session; connecting again")
            with contextlib.suppress(Exception):
                await conn.close()
            conn = self._writer = await pg.connect(self.path)
        return conn

    @contextlib.asynccontextmanager
    async def latest(self) -> AsyncIterator[Session]:
        """A short read of the last committed state between transactions. SQLite: on the
        write connection with its lock held (no ``BEGIN … COMMIT``, no hop to the reader's
        thread: the sender reads a chat's next reply this way after every commit that
        queues one); PostgreSQL: :meth:`read`. Keep it to a statement or two."""
        if self.dialect.postgres:
            async with self.read() as session:
                yield session
            return
        async with self._write_lock:
            session = Session(self, await self._live_writer(), utc_iso())
            try:
                yield session
            finally:
                session.close()  # see SqlSession.close

    @contextlib.asynccontextmanager
    async def read(self, now: datetime | None = None) -> AsyncIterator[Session]:
        """A read-only session on the last committed state (WAL snapshot per statement)."""
        if self._readers is not None:
            async with self._readers.connection() as borrowed:
                session = Session(self, borrowed, utc_iso(now))
                try:
                    yield session
                finally:
                    session.close()  # see SqlSession.close
            return
        session = Session(self, self._reader or self._require_writer(), utc_iso(now))
        try:
            yield session
        finally:
            session.close()

    def _require_writer(self) -> SyncConnection | pg.PgConnection:
        if self._writer is None:
            raise RuntimeError("Database is not open: use `await Database.open(path)`")
        return self._writer

    # -- migrations ----------------------------------------------------------------------------
    async def migrate(self, directory: Traversable | None = None) -> list[str]:
        """Apply every ``NNN_*.sql`` not yet recorded, in name order, each in a transaction
        (by default the folder of this database's dialect)."""
        if directory is None:
            directory = PG_MIGRATIONS if self.dialect.postgres else MIGRATIONS
        conn = self._require_writer()
        async with self._write_lock:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            done = {
                row[0]
                for row in await conn.execute_fetchall("SELECT version FROM schema_migrations")
            }
            applied: list[str] = []
            for script in migration_files(directory):
                if script.name in done:
                    continue
                await self._apply(conn, script.name, script.read_text(encoding="utf-8"))
                applied.append(script.name)
                log.info("applied migration %s", script.name)
        return applied

    async def _apply(self, conn: SyncConnection | pg.PgConnection, name: str, script: str) -> None:
        """Run one migration and record it, all or nothing."""
        try:
            await conn.executescript(
                f"{self.dialect.begin};\n"
                f"{script}\n;\n"
                "INSERT INTO schema_migrations (version, applied_at) "
                f"VALUES ('{name}', '{utc_iso()}');\n"
                "COMMIT;"
            )
        except Exception:
            with contextlib.suppress(Exception):
                await conn.execute("ROLLBACK")
            raise


def migration_files(directory: Traversable = MIGRATIONS) -> list[Traversable]:
    """The ``*.sql`` files of ``directory``, in name order (the order they apply in)."""
    return sorted((f for f in directory.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
