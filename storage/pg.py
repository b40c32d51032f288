"""The PostgreSQL connection: psycopg 3 (async) with the shape of the SQLite one.

Why psycopg 3: it is the PostgreSQL project's long-maintained driver line, async and sync
with one API, DB-API cursors (``rowcount``, ``executemany``) like :mod:`sqlite3`, so one
wrapper gives repositories the connection they already use; its pool (``psycopg_pool``)
serves the read sessions. (asyncpg is faster per call but has its own interface and ``$1``
placeholders.) Loose typing like SQLite's: a Python ``int`` is sent with no type so the
server reads it as the column's (an id into a text column, 0/1 into an integer flag), and a
``numeric`` sum comes back as ``int`` (``float`` with a fraction).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import psycopg
from psycopg.adapt import Dumper, Loader
from psycopg.rows import RowMaker
from psycopg_pool import AsyncConnectionPool

from storage.dialect import to_pyformat

Params = Sequence[Any] | dict[str, Any]


class PgRow(tuple[Any, ...]):
    """A result row read by position or by column name, as :class:`sqlite3.Row`."""

    __slots__ = ()
    _index: ClassVar[dict[str, int]] = {}

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            index = self._index.get(key)
            return super().__getitem__(self._index[key.lower()] if index is None else index)
        return super().__getitem__(key)

    def keys(self) -> list[str]:
        return list(self._index)


@functools.lru_cache(maxsize=2048)
def _row_class(names: tuple[str, ...]) -> type[PgRow]:
    index = {name: i for i, name in enumerate(names)}
    return type("PgRow", (PgRow,), {"__slots__": (), "_index": index})


def _rows(cursor: Any) -> RowMaker[PgRow]:
    names = tuple(column.name for column in cursor.description or ())
    return _row_class(names)


class _LooseInt(Dumper):
    oid = 0  # unknown: the server takes the type the context asks for, as SQLite would

    def dump(self, obj: Any) -> bytes:
        return str(int(obj)).encode()


class _Number(Loader):
    def load(self, data: Any) -> Any:
        text = bytes(data).decode()
        try:
            return int(text)
        except ValueError:
            return float(text)


def configure(conn: psycopg.AsyncConnection[Any]) -> None:
    """The adaptations above, on one connection."""
    conn.adapters.register_dumper(int, _LooseInt)
    conn.adapters.register_dumper(bool, _LooseInt)
    conn.adapters.register_loader("numeric", _Number)


class PgConnection:
    """An async psycopg connection with the methods repositories call on SQLite's."""

    def __init__(self, raw: psycopg.AsyncConnection[Any]) -> None:
        self.raw = raw

    @property
    def lost(self) -> bool:
        """Whether the session is gone (the server ended it, the network failed)."""
        return bool(self.raw.closed or self.raw.broken)

    async def execute(self, sql: str, params: Params = ()) -> psycopg.AsyncCursor[PgRow]:
        named = isinstance(params, dict)
        cursor = self.raw.cursor(row_factory=_rows)
        await cursor.execute(to_pyformat(sql, named), params if named else tuple(params))
        return cursor

    async def executemany(self, sql: str, rows: Iterable[Params]) -> psycopg.AsyncCursor[PgRow]:
        batch = [r if isinstance(r, dict) else tuple(r) for r in rows]
        named = bool(batch) and isinstance(batch[0], dict)
        cursor = self.raw.cursor(row_factory=_rows)
        await cursor.executemany(to_pyformat(sql, named), batch)
        return cursor

    async def execute_fetchall(self, sql: str, params: Params = ()) -> list[PgRow]:
        cursor = await self.execute(sql, params)
        return await cursor.fetchall() if cursor.description else []

    async def executescript(self, script: str) -> None:
        """Several statements, no parameters (migrations)."""
        await self.raw.execute(script.encode())

    async def close(self) -> None:
        await self.raw.close()


#: A transaction never waits on the network (storage/db.py), so one idle this long belongs to
#: a stalled worker (paused, swapped out): PostgreSQL ends its session, and with it the row
#: locks that would keep every other worker from taking its people and chats over.
IDLE_IN_TRANSACTION_MS = 4_000


#: Every connection of a bot (or worker) names itself so (``pg_stat_activity``): a restore
#: refuses to replace the rows under a running bot, as the SQLite file's open mark does.
APPLICATION_NAME = "knd-bot"


async def connect(url: str) -> PgConnection:
    """One autocommit connection (transactions are opened with explicit BEGIN)."""
    raw = await psycopg.AsyncConnection.connect(
        url,
        autocommit=True,
        application_name=APPLICATION_NAME,
        options=f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS}",
    )
    configure(raw)
    return PgConnection(raw)


class PgReaders:
    """A small pool of read connections: each read session borrows one."""

    def __init__(self, url: str, size: int = 4) -> None:
        self.pool = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=size,
            kwargs={"autocommit": True, "application_name": APPLICATION_NAME},
            configure=self._configure,
            open=False,
        )

    @staticmethod
    async def _configure(conn: psycopg.AsyncConnection[Any]) -> None:
        configure(conn)

    async def open(self) -> None:
        await self.pool.open(wait=True)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[PgConnection]:
        async with self.pool.connection() as raw:
            yield PgConnection(raw)

    async def close(self) -> None:
        await self.pool.close()
