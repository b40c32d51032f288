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

import asyncio
import functools
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import psycopg
from psycopg import waiting
from psycopg.adapt import Dumper, Loader
from psycopg.pq import ExecStatus, TransactionStatus
from psycopg.rows import RowMaker
from psycopg_pool import AsyncConnectionPool

from storage.dialect import APPLICATION_NAME, IDLE_IN_TRANSACTION_MS, to_pyformat

Params = Sequence[Any] | dict[str, Any]
TUPLES_OK = ExecStatus.TUPLES_OK
WAIT_R, WAIT_W = waiting.WAIT_R, waiting.WAIT_W
READY_R, READY_W = waiting.READY_R, waiting.READY_W


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
    # the names straight from the result: ``cursor.description`` builds a Column object per
    # column of every result, a measurable share of a worker's CPU (docs/benchmarks.md)
    result = cursor.pgresult
    if result is None:
        return _row_class(())
    return _row_class(tuple(result.fname(i).decode() for i in range(result.nfields)))


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


#: Statements a connection keeps prepared (psycopg prepares one at its fifth run): storage/
#: has nearly 300 statement sites, several built per call, and psycopg's default of 100 would
#: evict hot ones and prepare them again
PREPARED_MAX = 1000


def configure(conn: psycopg.AsyncConnection[Any]) -> None:
    """The adaptations above, and how many statements stay prepared, on one connection."""
    conn.prepared_max = PREPARED_MAX
    conn.adapters.register_dumper(int, _LooseInt)
    conn.adapters.register_dumper(bool, _LooseInt)
    conn.adapters.register_loader("numeric", _Number)


async def _wait(gen: Any, fileno: int) -> Any:
    """Run psycopg's protocol generator ``gen`` on the socket ``fileno`` to its end.

    psycopg's own wait (``waiting.wait_async``) arms a 0.1 s timer with every wait for the
    server (to look for a Ctrl-C) and reads the clock around it; a worker waits ≈ 2–3 times
    a statement, ≈ 50 times an update, so that bookkeeping was a measurable share of its CPU
    (docs/benchmarks.md). Here: a write is tried at once (the socket is nearly always
    writable), a read waits on one future resolved by the loop's reader callback; a
    cancellation still ends the wait (the caller cancels the query on the server)."""
    try:
        state = next(gen)
    except StopIteration as done:
        return done.value
    loop = asyncio.get_running_loop()
    try:
        while True:
            if state & WAIT_W and (ready := waiting._ready(fileno, state)):
                state = gen.send(ready)
                continue
            future = loop.create_future()
            ready = 0

            def wake(kind: int, future: asyncio.Future[None] = future) -> None:
                nonlocal ready
                ready |= kind
                if not future.done():
                    future.set_result(None)

            reading, writing = state & WAIT_R, state & WAIT_W
            if reading:
                loop.add_reader(fileno, wake, READY_R)
            if writing:
                loop.add_writer(fileno, wake, READY_W)
            try:
                await future
            finally:
                if reading:
                    loop.remove_reader(fileno)
                if writing:
                    loop.remove_writer(fileno)
            state = gen.send(ready)
    except OSError as exc:
        raise psycopg.OperationalError("connection socket closed") from exc
    except StopIteration as done:
        return done.value


class _Connection(psycopg.AsyncConnection[Any]):
    """psycopg's async connection waiting with :func:`_wait`: the same protocol generators,
    the same cancellation of a query cut short (psycopg's own wait takes over then)."""

    async def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        if timeout is not None:
            return await super().wait(gen, interval, timeout)
        try:
            return await _wait(gen, self.pgconn.socket)
        except (asyncio.CancelledError, KeyboardInterrupt, SystemExit):
            if self.pgconn.transaction_status == TransactionStatus.ACTIVE:
                await self._cancel_after_interrupt(gen)
            raise

    async def _cancel_after_interrupt(self, gen: Any) -> None:
        """As psycopg does: cancel the query on the server and read its end, else close the
        connection (its state is unknown)."""
        try:
            await self._try_cancel(timeout=5.0)
            await waiting.wait_async(gen, self.pgconn.socket, interval=0.1, timeout=5.0)
        except psycopg.errors.QueryCanceled:
            pass
        except BaseException:
            self.pgconn.finish()


class PgConnection:
    """An async psycopg connection with the methods repositories call on SQLite's.

    Round trips are what a worker on PostgreSQL spends most on (each is a pass through
    psycopg's protocol code, a wake-up of the server's backend and a wait for it), so a
    transaction's ``BEGIN`` is not sent alone: :meth:`begin` only notes it, and it goes out
    with the transaction's first statement in one pipeline (one message, one answer). A
    transaction that ran nothing sends nothing at all, and one declared ``single`` (one
    statement: a lease's take, renewal or drop) runs it in autocommit — a statement is atomic
    alone — without BEGIN and COMMIT."""

    def __init__(self, raw: psycopg.AsyncConnection[Any]) -> None:
        self.raw = raw
        self._begin = False  # BEGIN noted, to go out with the next statement
        self._single: int | None = None  # statements left in a single-statement unit

    async def begin(self, *, single: bool = False) -> None:
        """Open a transaction (sent with its first statement); ``single``: a unit of at most
        one statement, committed by itself (a second one is refused)."""
        if single:
            self._single = 1
        else:
            self._begin = True

    async def commit(self) -> None:
        await self._end(b"COMMIT")

    async def rollback(self) -> None:
        await self._end(b"ROLLBACK")

    async def _end(self, command: bytes) -> None:
        if self._single is not None:  # its statement committed alone, or never ran
            self._single = None
            return
        if self._begin:  # nothing was run: there is no transaction on the server
            self._begin = False
            return
        await self.raw.execute(command)

    async def _flush_begin(self) -> None:
        if self._begin:
            self._begin = False
            await self.raw.execute(b"BEGIN")

    @property
    def lost(self) -> bool:
        """Whether the session is gone (the server ended it, the network failed)."""
        return bool(self.raw.closed or self.raw.broken)

    def _count_single(self) -> None:
        if self._single is not None:
            if self._single < 1:
                raise RuntimeError("a single-statement transaction ran a second statement")
            self._single -= 1

    async def execute(self, sql: str, params: Params = ()) -> psycopg.AsyncCursor[PgRow]:
        return await self._run(self.raw.cursor(row_factory=_rows), sql, params)

    async def _run(
        self, cursor: psycopg.AsyncCursor[PgRow], sql: str, params: Params
    ) -> psycopg.AsyncCursor[PgRow]:
        self._count_single()
        named = isinstance(params, dict)
        query, args = to_pyformat(sql, named), params if named else tuple(params)
        if not self._begin:
            await cursor.execute(query, args)
            return cursor
        self._begin = False
        async with self.raw.pipeline():  # BEGIN and the first statement: one round trip
            await self.raw.execute(b"BEGIN")
            await cursor.execute(query, args)
        return cursor

    async def write_then_read(
        self, write: str, write_params: Params, read: str, read_params: Params
    ) -> tuple[int, list[PgRow]]:
        """A write and the read that follows it in ONE round trip (a lease's take or drop
        and the rows it is for): sent in one pipeline they run in order as one implicit
        transaction, and the read, a statement of its own, sees what was committed before
        the write ran and the write itself (READ COMMITTED: a snapshot per statement).
        Returns the write's row count and the read's rows. In a ``single`` unit they count
        as its one statement: together they are atomic."""
        self._count_single()
        written = self.raw.cursor(row_factory=_rows)
        reading = self.raw.cursor(row_factory=_rows)
        async with self.raw.pipeline():
            if self._begin:
                self._begin = False
                await self.raw.execute(b"BEGIN")
            await written.execute(to_pyformat(write), tuple(write_params))
            await reading.execute(to_pyformat(read), tuple(read_params))
        return written.rowcount, await reading.fetchall()

    async def executemany(self, sql: str, rows: Iterable[Params]) -> psycopg.AsyncCursor[PgRow]:
        if self._single is not None:  # several statements: not atomic without a transaction
            raise RuntimeError("a single-statement transaction ran executemany")
        await self._flush_begin()
        batch = [r if isinstance(r, dict) else tuple(r) for r in rows]
        named = bool(batch) and isinstance(batch[0], dict)
        cursor = self.raw.cursor(row_factory=_rows)
        await cursor.executemany(to_pyformat(sql, named), batch)
        return cursor

    async def execute_fetchall(self, sql: str, params: Params = ()) -> list[PgRow]:
        # the connection's spare cursor when it is free (a cursor is a Transformer and an
        # adapters' map built anew: ≈ 4 % of a worker's CPU when made per statement); the
        # rows are read before it is given back, so nothing else sees it meanwhile
        raw = self.raw
        cursor: psycopg.AsyncCursor[PgRow] | None = getattr(raw, "spare", None)
        if cursor is None:
            cursor = raw.cursor(row_factory=_rows)
        else:
            raw.spare = None  # type: ignore[attr-defined]
        try:
            await self._run(cursor, sql, params)
            result = cursor.pgresult
            if result is None or result.status != TUPLES_OK:
                return []  # a statement without rows (``description`` would cost more)
            return await cursor.fetchall()
        finally:
            raw.spare = cursor  # type: ignore[attr-defined]

    async def executescript(self, script: str) -> None:
        """Several statements, no parameters (migrations)."""
        await self._flush_begin()
        await self.raw.execute(script.encode())

    async def close(self) -> None:
        await self.raw.close()


async def connect(url: str) -> PgConnection:
    """One autocommit connection (transactions are opened with explicit BEGIN)."""
    raw = await _Connection.connect(
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
            connection_class=_Connection,
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
