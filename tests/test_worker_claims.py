"""Several workers on one database: the leases they claim work with, and the endpoints a
proxy routes by (issue 16; the whole thing with worker processes: tests/test_workers.py).

Two workers here are two :class:`Database` connections to one SQLite file in this process,
each with its own claims — as two processes would have.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import orjson
import pytest

from bot.delivery import Delivery
from bot.intake import Parsed
from bot.workers import SharedIntake, SharedWorkers, Workers
from handlers.events import Chat, Event, Reply, User
from storage.db import Database
from storage.inbox import Inbox, Incoming, Received
from storage.leases import Fence, Leases
from tests.edge_bot import CounterFlow, service, settings_for
from tests.fake_bot_api import FakeBotAPI


async def two_workers(tmp_path: Path, seconds: float) -> tuple[SharedWorkers, SharedWorkers]:
    path = tmp_path / "shared.sqlite3"
    first = await Database.open(path)
    second = await Database.open(path)
    return SharedWorkers(first, seconds=seconds), SharedWorkers(second, seconds=seconds)


async def test_one_worker_leads_and_another_takes_over_when_its_lease_runs_out(
    tmp_path: Path,
) -> None:
    a, b = await two_workers(tmp_path, seconds=0.3)
    try:
        assert await a.lead()
        assert not await b.lead()  # one scheduler at a time
        assert await a.lead()  # renewed by its holder
        await asyncio.sleep(0.4)  # a dies: it renews no more
        assert await b.lead()
        assert not await a.lead()  # back from a stall: it does not lead beside b
        await b.release("scheduler")
        assert await a.lead()
    finally:
        await a.db.close()
        await b.db.close()


async def test_a_lease_names_one_holder_and_is_free_once_dropped(tmp_path: Path) -> None:
    a, b = await two_workers(tmp_path, seconds=30)
    try:
        assert await a.take("chat:telegram:1", "a/1")
        assert not await a.take("chat:telegram:1", "a/2")  # another task of the same worker
        assert await b.take("chat:telegram:2")  # other chats are free
        async with b.db.read() as s:
            assert await s.repo(Leases).holder("chat:telegram:1") == "a/1"
        await a.release("chat:telegram:1", "a/1")
        assert await b.take("chat:telegram:1")
    finally:
        await a.db.close()
        await b.db.close()


async def test_a_lost_lease_is_not_renewed_back_and_fences_its_old_holder_out(
    tmp_path: Path,
) -> None:
    a, b = await two_workers(tmp_path, seconds=0.3)
    chat = "chat:telegram:1"
    try:
        assert await a.take(chat, "a/1")
        assert await a.renew(chat, "a/1")
        await asyncio.sleep(0.4)  # a stalls past its lease
        assert await b.take(chat, "b/1")
        async with a.db.transaction() as tx:  # a's commit of work begun under its lease
            assert not await tx.repo(Leases).hold(Fence(chat, "a/1"))
        async with b.db.transaction() as tx:
            assert await tx.repo(Leases).hold(Fence(chat, "b/1"))
        await b.release(chat, "b/1")
        # back, a does not get the chat back by renewing (what it read is stale) ...
        assert not await a.renew(chat, "a/1")
        async with a.db.transaction() as tx:
            assert not await tx.repo(Leases).hold(Fence(chat, "a/1"))
        # ... only by taking it anew, as a new sender that reads the chat afresh
        assert await a.take(chat, "a/2")
    finally:
        await a.db.close()
        await b.db.close()


async def test_one_worker_alone_takes_no_lease() -> None:
    alone = Workers()
    assert not alone.shared
    assert await alone.take("anything") and await alone.lead()


class Recorder:
    """A router that records which worker processed which row, slowly enough for the two
    workers to overlap, marking the row processed as the real router does."""

    def __init__(self, db: Database, name: str, log: list[tuple[str, int]]) -> None:
        self.db, self.name, self.log = db, name, log

    async def handle(
        self, event: Event, *, received: Received | None = None, **_: object
    ) -> list[Reply]:
        assert received is not None
        await asyncio.sleep(0.005)
        async with self.db.transaction() as tx:
            if await tx.repo(Inbox).mark_processed(received.id):
                self.log.append((self.name, received.id))
        return []


class NoTransport:
    platform = "telegram"


def parse(row: Received) -> Parsed:
    data = orjson.loads(row.raw)
    user = User("telegram", row.person)
    chat = Chat("telegram", row.person)
    return Parsed(Event(user, chat, "text", text=data["text"], update_key=row.key))


async def test_each_persons_updates_are_processed_once_and_in_order_across_two_workers(
    tmp_path: Path,
) -> None:
    a, b = await two_workers(tmp_path, seconds=5)
    log: list[tuple[str, int]] = []
    intakes = []
    for name, workers in (("a", a), ("b", b)):
        delivery = Delivery(workers.db, NoTransport())  # type: ignore[arg-type]
        router = Recorder(workers.db, name, log)
        intakes.append(SharedIntake(workers.db, router, delivery, parse, workers=workers))
    try:
        # three people; each update reaches either worker (round-robin, as behind a proxy)
        for n in range(30):
            person = str(n % 3)
            body = orjson.dumps({"text": f"{person}-{n}"})
            await intakes[n % 2].receive([Incoming("telegram", str(n), person, body)])
        await asyncio.gather(*(intake.idle() for intake in intakes))
        for _ in range(50):  # rows left to the other worker's holder: until it drained them
            await asyncio.gather(*(intake.idle() for intake in intakes))
            if len(log) == 30:
                break
            await asyncio.sleep(0.02)
        async with a.db.read() as s:
            rows = {r[0]: r[1] for r in await s.fetchall("SELECT id, person FROM inbox")}
            left = await s.repo(Inbox).unprocessed()
    finally:
        await a.db.close()
        await b.db.close()
    assert not left
    ids = [row_id for _, row_id in log]
    assert sorted(ids) == sorted(rows)  # each once
    for person in ("0", "1", "2"):
        mine = [row_id for row_id in ids if rows[row_id] == person]
        assert mine == sorted(mine)
    assert {name for name, _ in log} == {"a", "b"}  # both worked


@pytest.mark.sqlite_only  # the counting flow reads JSON with SQLite's json_extract
async def test_health_and_readiness_over_http(tmp_path: Path, unused_tcp_port: int) -> None:
    db_path = tmp_path / "bot.sqlite3"
    db = await Database.open(db_path)
    async with FakeBotAPI() as api:
        settings = settings_for(api.port, db_path, unused_tcp_port)
        from handlers.router import Router

        bot = service(settings, Router(db, flows=[CounterFlow()]))
        base = f"http://127.0.0.1:{unused_tcp_port}"
        async with bot, aiohttp.ClientSession() as http:

            async def get(path: str) -> tuple[int, dict[str, object]]:
                async with http.get(base + path) as answer:
                    return answer.status, await answer.json()

            assert await get("/healthz") == (200, {"status": "alive"})
            assert await get("/readyz") == (200, {"status": "ready"})
            async with db.transaction() as tx:
                await tx.execute("DELETE FROM schema_migrations WHERE version = '043_leases.sql'")
            assert await get("/readyz") == (
                503,
                {"status": "migrations missing", "missing": ["043_leases.sql"]},
            )
            await db.close()  # the database is gone
            assert await get("/readyz") == (503, {"status": "database unreachable"})
            assert (await get("/healthz"))[0] == 200  # alive all the same
            bot.health.stopping = True
            assert await get("/readyz") == (503, {"status": "stopping"})
            await db.connect()  # for the service's own stop
