"""PostgreSQL's own side of storage/: its migrations folder, the URL setting, the placeholders,
the round trips a transaction costs.

The repositories' behaviour on PostgreSQL is tested by the modules in conftest's
BOTH_DATABASES; these are the pieces that have no SQLite twin.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import pq

from bot.settings import Settings
from bot.workers import SharedWorkers
from storage import pg
from storage.db import PG_MIGRATIONS, Database, migration_files, transient
from storage.dialect import to_pyformat
from storage.inbox import Inbox, Incoming, received
from storage.leases import Fence, Leases
from storage.outbox import Message, Outbox
from storage.pg import PgConnection


async def test_postgres_migrations_are_applied_once_and_recorded(pg_server: Any) -> None:
    url = pg_server.fresh()
    try:
        db = await Database.open(url)
        async with db.read() as r:
            applied = [row[0] for row in await r.fetchall("SELECT version FROM schema_migrations")]
            phase = await r.fetchval(
                "SELECT generation_expression FROM information_schema.columns"
                " WHERE table_name = 'dossier_progress' AND column_name = 'phase'"
            )
        assert applied == [f.name for f in migration_files(PG_MIGRATIONS)]
        assert "not_admitted" in phase  # the derived phase column exists on both databases
        assert await db.migrate() == []
        await db.close()
    finally:
        pg_server.drop(url)


async def test_a_failing_postgres_migration_leaves_nothing_behind(
    pg_server: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_ok.sql").write_text("CREATE TABLE a (x BIGINT);")
    (folder / "002_bad.sql").write_text(
        "CREATE TABLE b (x BIGINT);\nINSERT INTO nowhere VALUES (1);"
    )
    url = pg_server.fresh()
    db = await Database.open(url, migrate=False)
    try:
        with pytest.raises(Exception, match="nowhere"):
            await db.migrate(folder)
        async with db.read() as r:
            tables = {row[0] for row in await r.fetchall("SELECT tablename FROM pg_tables")}
            versions = await r.fetchall(
                "SELECT version FROM schema_migrations WHERE version LIKE '00%'"
            )
        assert "a" in tables and "b" not in tables
        assert [v[0] for v in versions] == ["001_ok.sql"]
    finally:
        await db.close()
        pg_server.drop(url)


def test_the_url_setting_chooses_postgres_and_the_file_stays_the_default(tmp_path: Path) -> None:
    sqlite = Settings(db_path=tmp_path / "k.sqlite3")
    assert sqlite.database_target() == tmp_path / "k.sqlite3"
    chosen = Settings(db_path=tmp_path / "k.sqlite3", db_url="postgresql://knd:pw@db/knd")
    assert chosen.database_target() == "postgresql://knd:pw@db/knd"
    assert "pw" not in repr(chosen)


def test_placeholders_are_translated_outside_quoted_text_only() -> None:
    sql = "SELECT a FROM t INDEXED BY t_a WHERE b = ? AND c LIKE '%?%' AND d = :d"
    assert to_pyformat(sql) == "SELECT a FROM t WHERE b = %s AND c LIKE '%%?%%' AND d = :d"
    assert to_pyformat("SELECT x::text WHERE y = :y", named=True) == (
        "SELECT x::text WHERE y = %(y)s"
    )


class RoundTrips:
    """The round trips of the write connection inside ``with``: each is one ReadyForQuery
    the server answers, read from libpq's protocol trace (complete once tracing stops)."""

    def __init__(self, db: Database) -> None:
        writer = db._require_writer()
        assert isinstance(writer, PgConnection)
        self.pgconn = writer.raw.pgconn
        self.count = -1

    def __enter__(self) -> RoundTrips:
        self.file = tempfile.TemporaryFile("w+")
        self.pgconn.trace(self.file.fileno())
        self.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        return self

    def __exit__(self, *exc: object) -> None:
        self.pgconn.untrace()
        self.file.seek(0)
        self.count = self.file.read().count("ReadyForQuery")
        self.file.close()


async def test_a_transaction_sends_its_begin_with_its_first_statement(pg_server: Any) -> None:
    url = pg_server.fresh()
    db = await Database.open(url)
    try:
        with RoundTrips(db) as two_statements:
            async with db.transaction() as tx:
                await tx.execute("CREATE TABLE t (a BIGINT PRIMARY KEY, b TEXT)")
                await tx.execute("INSERT INTO t VALUES (?, ?)", (1, "một"))
        assert two_statements.count == 3  # BEGIN + CREATE, INSERT, COMMIT
        with RoundTrips(db) as empty:
            async with db.transaction():
                pass
        assert empty.count == 0  # nothing run, nothing sent
        with pytest.raises(psycopg.errors.UniqueViolation):
            async with db.transaction() as tx:  # the first statement fails: rolled back
                await tx.execute("INSERT INTO t VALUES (?, ?)", (1, "hai"))
        with pytest.raises(RuntimeError, match="after"):
            async with db.transaction() as tx:  # fails after a write: rolled back too
                await tx.execute("INSERT INTO t VALUES (?, ?)", (2, "hai"))
                raise RuntimeError("after")
        with RoundTrips(db) as single:
            async with db.transaction(single=True) as tx:  # a lease's take: one statement
                assert await tx.execute("UPDATE t SET b = ? WHERE a = ?", ("một!", 1)) == 1
        assert single.count == 1
        async with db.read() as r:
            assert [tuple(row) for row in await r.fetchall("SELECT a, b FROM t")] == [(1, "một!")]
    finally:
        await db.close()
        pg_server.drop(url)


async def test_a_read_cancelled_while_the_server_works_ends_at_once_and_the_connection_goes_on(
    pg_server: Any,
) -> None:
    """The connection's own wait (storage/pg.py ``_wait``, no timer per wait): a task
    cancelled during a slow statement stops waiting at once, the server's query is cancelled
    (not left running on the connection), and the next reads answer — through the spare
    cursor a read gives back, and a second one while it is out."""
    url = pg_server.fresh()
    conn = await pg.connect(url)
    try:
        started = asyncio.get_running_loop().time()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await conn.execute_fetchall("SELECT pg_sleep(30)")
        assert asyncio.get_running_loop().time() - started < 10
        assert conn.raw.pgconn.transaction_status == pq.TransactionStatus.IDLE
        assert [
            tuple(r) for r in await conn.execute_fetchall("SELECT CAST(? AS BIGINT), 'hai'", (1,))
        ] == [(1, "hai")]
        both = await asyncio.gather(
            conn.execute_fetchall("SELECT 1 AS a"), conn.execute_fetchall("SELECT 2 AS b")
        )
        assert [[tuple(r) for r in rows] for rows in both] == [[(1,)], [(2,)]]
        assert both[1][0]["b"] == 2
    finally:
        await conn.close()
        pg_server.drop(url)


async def test_a_single_statement_unit_refuses_a_second_one(pg_server: Any) -> None:
    url = pg_server.fresh()
    db = await Database.open(url)
    try:
        async with db.transaction() as tx:
            await tx.execute("CREATE TABLE t (a BIGINT)")
        with pytest.raises(RuntimeError, match="second statement"):
            async with db.transaction(single=True) as tx:
                await tx.execute("INSERT INTO t VALUES (1)")
                await tx.execute("INSERT INTO t VALUES (2)")
        with pytest.raises(RuntimeError, match="executemany"):
            async with db.transaction(single=True) as tx:
                await tx.executemany("INSERT INTO t VALUES (?)", [(3,), (4,)])
        async with db.transaction() as tx:  # the connection is a plain one again
            await tx.execute("INSERT INTO t VALUES (5)")
            await tx.execute("INSERT INTO t VALUES (6)")
        async with db.read() as r:  # the first statement committed alone, as documented
            assert [row[0] for row in await r.fetchall("SELECT a FROM t ORDER BY a")] == [1, 5, 6]
    finally:
        await db.close()
        pg_server.drop(url)


async def test_an_update_marked_under_a_lease_is_one_statement_and_still_fenced(
    pg_server: Any,
) -> None:
    url = pg_server.fresh()
    db = await Database.open(url)
    person = "person:telegram:7"
    try:
        async with db.transaction() as tx:
            (row,) = await tx.repo(Inbox).receive([Incoming("telegram", "u1", "7", b"{}")])
            assert await tx.repo(Leases).take(person, "a", 30)
        with RoundTrips(db) as marks:
            async with db.transaction() as tx:  # another worker's stale mark: refused
                assert not await tx.repo(Inbox).mark_processed(row.id, Fence(person, "b"))
            async with db.transaction() as tx:
                assert await tx.repo(Inbox).mark_processed(row.id, Fence(person, "a"))
        assert marks.count == 4  # BEGIN + the checked mark, COMMIT; twice
        async with db.transaction() as tx:  # processed once only
            assert not await tx.repo(Inbox).mark_processed(row.id, Fence(person, "a"))
        async with db.read() as r:
            assert await r.repo(Inbox).unprocessed_of("telegram", "7") == []
    finally:
        await db.close()
        pg_server.drop(url)


async def test_a_lease_is_taken_and_dropped_with_the_read_that_follows_in_one_round_trip(
    pg_server: Any,
) -> None:
    url = pg_server.fresh()
    db = await Database.open(url)
    a, b = SharedWorkers(db, seconds=30), SharedWorkers(db, seconds=30)
    person, first, one = "person:telegram:7", ("telegram", "7", 50), ("telegram", "7", 1)
    try:
        async with db.transaction() as tx:
            stored = await tx.repo(Inbox).receive(
                [Incoming("telegram", f"u{i}", "7", b"{}") for i in range(3)]
            )
        with RoundTrips(db) as take:
            rows = await a.take_reading(person, Inbox.UNPROCESSED_OF, first)
        assert take.count == 1  # the take and the person's rows: one message, one answer
        assert [r.id for r in received(rows or [])] == [r.id for r in stored]
        assert await b.take_reading(person, Inbox.UNPROCESSED_OF, first) is None  # held
        async with db.transaction() as tx:
            assert await tx.repo(Inbox).mark_processed(stored[0].id, Fence(person, a.holder))
        with RoundTrips(db) as drop:
            left = await a.release_reading(person, Inbox.UNPROCESSED_OF, one)
        assert drop.count == 1
        assert [r.id for r in received(left)] == [stored[1].id]  # read after the mark
        rows = await b.take_reading(person, Inbox.UNPROCESSED_OF, first)  # dropped: free
        assert [r.id for r in received(rows or [])] == [r.id for r in stored[1:]]
        assert not await a.renew(person)  # a's hold was forgotten with the drop
    finally:
        await db.close()
        pg_server.drop(url)


async def test_a_reply_marked_under_a_chats_lease_is_one_statement_and_still_fenced(
    pg_server: Any,
) -> None:
    url = pg_server.fresh()
    db = await Database.open(url)
    chat = "chat:telegram:9"
    try:
        async with db.transaction() as tx:
            first, second = await tx.repo(Outbox).add(
                [
                    Message("telegram", "9", "private", b"x"),
                    Message("telegram", "9", "private", b"y"),
                ]
            )
            assert await tx.repo(Leases).take(chat, "a/1", 30)
        with RoundTrips(db) as marks:
            async with db.transaction() as tx:  # a stale sender's mark: refused, nothing marked
                assert not await tx.repo(Outbox).sent(first, "m1", Fence(chat, "b/1"))
            async with db.transaction() as tx:
                assert await tx.repo(Outbox).sent(first, "m1", Fence(chat, "a/1"))
        assert marks.count == 4  # BEGIN + the checked mark, COMMIT; twice
        async with db.transaction() as tx:  # a row erased meanwhile: the lease still held
            await tx.execute("DELETE FROM outbox WHERE id = ?", (second,))
            assert await tx.repo(Outbox).sent(second, "m2", Fence(chat, "a/1"))
        async with db.read() as r:
            assert await r.repo(Outbox).status(first) == "sent"
            assert await r.repo(Outbox).next("telegram", "9") is None
            assert await r.fetchval("SELECT message_id FROM outbox WHERE id = ?", (first,)) == "m1"
    finally:
        await db.close()
        pg_server.drop(url)


async def test_a_transaction_stalled_after_its_pipelined_first_statement_is_ended_by_the_sweep(
    pg_server: Any,
) -> None:
    """The server's idle-in-transaction timer misses a session stalled right after the
    pipelined BEGIN (psycopg's Flush on leaving pipeline mode disarms it): the worker it
    stalled in keeps its lease's row locked, and nobody could take its work over.
    ``Leases.end_stalled`` (the shared workers' sweep) ends such a session: its work is
    rolled back, its locks freed, and its next statement fails as a transient failure."""
    url = pg_server.fresh()
    stalled, sweeper = await Database.open(url), await Database.open(url)
    try:
        async with stalled.transaction() as tx:
            assert await tx.repo(Leases).take("person:telegram:7", "a", 0.01)
        with pytest.raises(psycopg.Error) as ended:
            async with stalled.transaction() as tx:  # the fence's row lock, then a stall
                assert await tx.repo(Leases).hold(Fence("person:telegram:7", "a"))
                await asyncio.sleep(0.4)  # the worker paused
                async with sweeper.read() as r:
                    assert await r.repo(Leases).end_stalled(idle_ms=100_000) == 0  # too young
                    assert await r.repo(Leases).end_stalled(idle_ms=200) == 1
                await tx.execute("UPDATE leases SET until = until")  # back: its session is gone
        assert transient(ended.value)
        async with sweeper.transaction() as tx:  # not blocked: the lock went with the session
            assert await tx.repo(Leases).take("person:telegram:7", "b", 30)
        async with stalled.transaction() as tx:  # the stalled one connects again, fenced out
            assert not await tx.repo(Leases).hold(Fence("person:telegram:7", "a"))
        async with sweeper.read() as r:
            assert await r.repo(Leases).end_stalled(idle_ms=0) == 0  # nobody else is stalled
    finally:
        await stalled.close()
        await sweeper.close()
        pg_server.drop(url)


async def test_a_session_stalled_inside_its_pipeline_is_ended_by_the_sweep(pg_server: Any) -> None:
    """A worker paused between its pipelined statement and the pipeline's Sync leaves its
    session ``active`` (waiting for the client), not idle in a transaction: no timer of the
    server's ends it, and the lease row it locked would block every other worker's take
    (seen in the paused-worker test). ``Leases.end_stalled`` ends it too — not a session that
    is only young, and not one idle outside a transaction."""
    url = pg_server.fresh()
    sweeper = await Database.open(url)
    raw = await psycopg.AsyncConnection.connect(
        url, autocommit=True, application_name=pg.APPLICATION_NAME
    )
    idle = await psycopg.AsyncConnection.connect(
        url, autocommit=True, application_name=pg.APPLICATION_NAME
    )
    try:
        async with sweeper.transaction() as tx:
            assert await tx.repo(Leases).take("person:telegram:7", "a", 0.01)
        with pytest.raises(psycopg.OperationalError) as ended:
            async with raw.pipeline():  # as PgConnection.execute sends a transaction's first
                await raw.execute(b"BEGIN")
                await raw.execute(to_pyformat(Leases.HOLD).encode(), ("person:telegram:7", "a"))
                await asyncio.sleep(0.4)  # paused before the Sync went out
                async with sweeper.read() as r:
                    assert await r.repo(Leases).end_stalled(idle_ms=100_000) == 0  # too young
                    assert await r.repo(Leases).end_stalled(idle_ms=200) == 1
        assert transient(ended.value)
        async with sweeper.transaction() as tx:  # not blocked: the lock went with the session
            assert await tx.repo(Leases).take("person:telegram:7", "b", 30)
        async with sweeper.read() as r:  # ``idle`` is idle, not in a transaction: left alone
            assert await r.repo(Leases).end_stalled(idle_ms=0) == 0
        assert not idle.closed and (await (await idle.execute("SELECT 1")).fetchone()) == (1,)
    finally:
        for conn in (raw, idle):
            await conn.close()
        await sweeper.close()
        pg_server.drop(url)
