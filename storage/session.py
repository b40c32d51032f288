"""Sessions: SQL on one connection, knowing no repository.

The bottom layer of ``storage/``. A :class:`SqlSession` runs reads, a :class:`SqlTx` also
writes inside the unit of work opened by :meth:`storage.db.Database.transaction`, and a
:class:`SqlRepo` holds the SQL of one area over either. Repositories import this module;
``storage/db.py`` imports the repositories and adds the typed accessors (``tx.people``,
``tx.dossiers`` …), so the layers import one way: session ← repositories ← db.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeVar, cast

import aiosqlite

from storage.dialect import SQLITE, Dialect
from storage.files import DocumentFolder

if TYPE_CHECKING:
    from storage.pg import PgConnection

Params = Sequence[Any] | dict[str, Any]


def integrity_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a constraint's violation, whichever driver runs the database:
    sqlite3's, SQLCipher's (``sqlcipher3`` raises its own classes) or psycopg's (whose
    ``UniqueViolation`` … derive from it). Told by the class DB-API 2.0 (PEP 249) names
    ``IntegrityError`` in every driver, so that neither driver is imported for a database
    that does not use it (psycopg and SQLCipher are ≈ 12 MB of the bot's memory). Use it,
    never ``sqlite3.IntegrityError`` alone."""
    return any(cls.__name__ == "IntegrityError" for cls in type(exc).__mro__)


R = TypeVar("R", bound="SqlRepo")


def utc_iso(moment: datetime | None = None) -> str:
    """Timestamps are stored as ISO-8601 UTC text with milliseconds and a ``+00:00`` offset."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


class SyncConnection:
    """A :class:`sqlite3.Connection` with aiosqlite's awaitable methods, run in place.

    The coroutines never suspend, so a transaction made of them runs without yielding to the
    event loop (see ``storage/db.py``).
    """

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    async def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        return self.raw.execute(sql, params)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> sqlite3.Cursor:
        return self.raw.executemany(sql, rows)

    async def execute_fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return self.raw.execute(sql, params).fetchall()

    async def executescript(self, script: str) -> sqlite3.Cursor:
        return self.raw.executescript(script)

    async def close(self) -> None:
        self.raw.close()


Conn: TypeAlias = "SyncConnection | aiosqlite.Connection | PgConnection"


class Store(Protocol):
    """What a session needs of its database: the in-process caches of immutable snapshots,
    the documents folder (None: no file is kept on disk) and a checkpoint after an erasure."""

    cache: dict[str, Any]
    files: DocumentFolder | None
    dialect: Dialect

    def want_checkpoint(self) -> None: ...


class SqlRepo:
    """Base of repositories: the SQL of one area over a session."""

    def __init__(self, session: SqlSession) -> None:
        self.s = session

    def _tx(self) -> SqlTx:
        """The session, which must be a transaction: repositories write only inside one."""
        if not isinstance(self.s, SqlTx):
            raise TypeError("writes need a transaction: `async with db.transaction() as tx`")
        return self.s


class SqlSession:
    """What repositories run SQL on: a read session, or a transaction (:class:`SqlTx`)."""

    def __init__(self, db: Store, conn: Conn, now: str) -> None:
        self.db = db
        self.conn = conn
        self.now = now
        #: the SQL that differs between the databases (``storage/dialect.py``)
        self.dialect: Dialect = getattr(db, "dialect", SQLITE)
        self._repos: dict[type[SqlRepo], SqlRepo] = {}
        #: rows read ahead for later reads of this session, by what they answer; any
        #: statement but a SELECT drops them (``storage/core.py`` ``Conversations.get``: a
        #: conversation with its person and dossier, and its chat's last prompt)
        self.read_ahead: dict[tuple[Any, ...], Any] = {}

    # -- raw SQL (only storage/ modules call these) ---------------------------------------
    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        if self.read_ahead and not sql.startswith("SELECT"):
            self.read_ahead.clear()  # a write (INSERT … RETURNING, WITH …) may change them
        return cast(list[sqlite3.Row], list(await self.conn.execute_fetchall(sql, params)))

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Params = (), default: Any = None) -> Any:
        row = await self.fetchone(sql, params)
        return row[0] if row is not None else default

    # -- repositories ----------------------------------------------------------------------
    def repo(self, cls: type[R]) -> R:
        """The session's instance of repository ``cls`` (created on first use)."""
        found = self._repos.get(cls)
        if found is None:
            found = self._repos[cls] = cls(self)
        return cast(R, found)

    def close(self) -> None:
        """Let go of the session's repositories when it ends (the database calls this).
        Each repository points back at its session: left as they were, the session, its
        repositories and what they read were freed only by the garbage collector, whose
        collections of every update's leftovers cost ≈ 20 µs per update (issue 17); dropped
        here, they are freed as soon as the last reference goes (tests/test_garbage.py)."""
        self._repos.clear()
        self.read_ahead.clear()


class SqlTx(SqlSession):
    """One unit of work on the write connection; see ``Database.transaction``."""

    def __init__(self, db: Store, conn: Conn, now: str) -> None:
        super().__init__(db, conn, now)
        self._after_commit: list[Callable[[], object]] = []

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run a write statement; returns the number of rows changed."""
        self.read_ahead.clear()
        cursor = await self.conn.execute(sql, params)
        return cursor.rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT into a table keyed by ``id``; returns the new row's id."""
        self.read_ahead.clear()
        if self.dialect.postgres:
            row = await self.fetchone(f"{sql} RETURNING id", params)
            return int(row[0]) if row is not None else 0
        cursor = cast(sqlite3.Cursor, await self.conn.execute(sql, params))
        return int(cursor.lastrowid or 0)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        self.read_ahead.clear()
        await self.conn.executemany(sql, rows)

    async def write_then_read(
        self, write: str, write_params: Params, read: str, read_params: Params
    ) -> tuple[int, list[sqlite3.Row]]:
        """Run a write, then a read that must see it and what was committed before it;
        returns the rows changed and the rows read. PostgreSQL: one round trip for both
        (``PgConnection.write_then_read``)."""
        self.read_ahead.clear()
        if self.dialect.postgres:
            conn = cast("PgConnection", self.conn)
            changed, rows = await conn.write_then_read(write, write_params, read, read_params)
            return changed, cast(list[sqlite3.Row], rows)
        return await self.execute(write, write_params), await self.fetchall(read, read_params)

    @contextlib.asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A statement that may fail (a unique key's backstop) without ending the transaction:
        PostgreSQL aborts the whole transaction on an error unless a savepoint takes it."""
        if not self.dialect.postgres:
            yield
            return
        await self.conn.execute("SAVEPOINT may_fail")
        try:
            yield
        except BaseException:
            await self.conn.execute("ROLLBACK TO SAVEPOINT may_fail")
            raise
        await self.conn.execute("RELEASE SAVEPOINT may_fail")

    def after_commit(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` once the transaction is committed (in-process caches)."""
        self._after_commit.append(callback)

    def committed(self) -> None:
        """Run the after-commit callbacks (called by the database once COMMIT succeeded)."""
        for callback in self._after_commit:
            callback()

    def close(self) -> None:
        """:meth:`SqlSession.close`, and the after-commit callbacks (closures over the
        repositories) dropped too."""
        super().close()
        self._after_commit.clear()
