"""Intake (bot/intake.py): stored updates processed once, in order per person, after a
restart too; updates that mean nothing or cannot be read are marked, never retried forever;
notices without a flow go through the outbox; taps are answered at once."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import orjson
import pytest

from bot.delivery import Delivery
from bot.intake import Intake, Parsed
from bot.pacing import Pacer, Pacing
from handlers.events import Chat, Event, Reply, User
from handlers.router import Router
from handlers.routing import Routes
from storage.db import Database, Tx
from storage.inbox import Incoming, Received
from tests.test_delivery import ScriptedTransport
from tests.test_inbox_outbox import Echo
from tests.virtual_clock import VirtualClock


def parse(row: Received) -> Parsed:
    body = orjson.loads(row.raw)
    if body.get("broken"):
        raise ValueError("unreadable")
    chat = Chat("tg", row.person)
    if body.get("notice"):
        return Parsed(notices=(Reply(text="notice", chat=chat),), callback_id="cb1")
    if body.get("ignored"):
        return Parsed(callback_id="cb2")
    event = Event(User("tg", row.person), chat, "text", text=body["text"], update_key=row.key)
    return Parsed(event, callback_id=body.get("callback", ""))


def update(key: int, person: str, **body: object) -> Incoming:
    return Incoming("tg", str(key), person, orjson.dumps(body))


async def make(db: Database) -> tuple[Intake, ScriptedTransport]:
    clock = VirtualClock()
    transport = ScriptedTransport(clock)
    delivery = Delivery(db, transport, pacer=Pacer(Pacing.unlimited(), clock))
    return Intake(db, Router(db, flows=[Echo()]), delivery, parse), transport


async def settle(intake: Intake) -> None:
    await intake.idle()
    await intake.delivery.idle()


async def test_updates_are_processed_once_in_order_per_person(db: Database) -> None:
    intake, transport = await make(db)
    batch = [update(i, str(i % 3), text=f"m{i}") for i in range(12)]
    stored = await intake.receive(batch)
    again = await intake.receive(batch[5:])  # Telegram sends part of it again
    await settle(intake)
    assert len(stored) == 12 and again == []
    for person in "012":
        expected = [f"echo m{i}" for i in range(12) if str(i % 3) == person]
        assert transport.texts(Chat("tg", person)) == expected


async def test_a_restart_processes_what_was_stored_first(db: Database) -> None:
    async with db.transaction() as tx:
        from storage.inbox import Inbox

        await tx.repo(Inbox).receive([update(1, "7", text="a"), update(2, "7", text="b")])
    intake, transport = await make(db)
    assert await intake.resume() == 2
    await intake.receive([update(3, "7", text="c")])
    await settle(intake)
    assert transport.texts(Chat("tg", "7")) == ["echo a", "echo b", "echo c"]
    assert await intake.resume() == 0


async def test_unreadable_and_meaningless_updates_are_marked_and_taps_answered(
    db: Database,
) -> None:
    intake, transport = await make(db)
    await intake.receive(
        [
            update(1, "7", broken=True),
            update(2, "7", ignored=True),
            update(3, "7", notice=True),
            update(4, "7", text="hi", callback="cb3"),
        ]
    )
    await settle(intake)
    assert transport.texts(Chat("tg", "7")) == ["notice", "echo hi"]
    answers = sorted(c.text for c in transport.calls if c.method == "answer")
    assert answers == ["", "", "tap"]  # the flow's toast answers its tap
    async with db.transaction() as tx:
        left = await tx.fetchval("SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL")
    assert left == 0
    await asyncio.sleep(0)


async def test_a_stop_that_cannot_wait_leaves_the_update_for_the_next_start(
    db: Database,
) -> None:
    """An update still being processed when the bot must stop (a .docx waiting its turn) is
    cancelled, its transaction rolled back, and processed first at the next start."""
    hold = asyncio.Event()

    class Slow(Echo):
        async def handle(self, tx: Any, event: Event) -> list[Reply]:
            if event.text == "slow":
                await hold.wait()
            return await super().handle(tx, event)

    clock = VirtualClock()
    transport = ScriptedTransport(clock)
    delivery = Delivery(db, transport, pacer=Pacer(Pacing.unlimited(), clock))
    intake = Intake(db, Router(db, flows=[Slow()]), delivery, parse)
    await intake.receive([update(1, "7", text="fast"), update(2, "8", text="slow")])
    await asyncio.sleep(0.05)
    await intake.stop(timeout=0.05)
    assert not intake.busy
    await delivery.stop()
    assert transport.texts(Chat("tg", "7")) == ["echo fast"]
    assert transport.texts(Chat("tg", "8")) == []

    again, transport = await make(db)
    assert await again.resume() == 1
    await settle(again)
    assert transport.texts(Chat("tg", "8")) == ["echo slow"]


async def test_an_update_the_database_failed_is_kept_and_processed_again(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database away longer than the router's tries: no apology, nothing marked; the
    lone bot's retry (every few seconds) processes the row, and the person gets the answer
    once — the candidate never types it again into the next question."""
    monkeypatch.setattr("handlers.router.TRANSIENT_RETRIES", (0.0, 0.0))
    failures = [6]  # the router's three tries, twice

    class Away(Echo):
        async def handle(self, tx: Any, event: Event) -> list[Reply]:
            replies = await super().handle(tx, event)
            if failures[0]:
                failures[0] -= 1
                raise sqlite3.OperationalError("database is locked")
            return replies

    clock = VirtualClock()
    transport = ScriptedTransport(clock)
    delivery = Delivery(db, transport, pacer=Pacer(Pacing.unlimited(), clock))
    intake = Intake(db, Router(db, flows=[Away()]), delivery, parse)
    await intake.receive([update(1, "7", text="Kinh")])
    await settle(intake)
    assert transport.texts(Chat("tg", "7")) == []  # no apology
    assert intake.stats.processed == 0
    assert await intake.retry_failed() == 1
    await settle(intake)
    assert await intake.retry_failed() == 1  # the database still away: kept again
    await settle(intake)
    assert transport.texts(Chat("tg", "7")) == ["echo Kinh"]
    assert await intake.retry_failed() == 0
    async with db.read() as r:
        assert await r.fetchval("SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL") == 0


class _Toasting:
    """Answers every text; a toast only for "loud"."""

    routes = Routes(flow="toasting", private_default=True)

    async def handle(self, tx: Tx, event: Event) -> list[Reply]:
        toast = [Reply(toast="noted")] if event.text == "loud" else []
        return [Reply(text=f"re {event.text}"), *toast]


async def test_a_tap_whose_notice_is_a_message_gets_a_call_only_for_a_toast(
    db: Database,
) -> None:
    """Zalo's typed options (``answer_blank=False``): a notice is a message of its own, so a
    tap without a toast makes no call; its reply still arrives, in order with the next."""

    def quiet_taps(row: Received) -> Parsed:
        body = orjson.loads(row.raw)
        chat = Chat("tg", row.person)
        event = Event(User("tg", row.person), chat, "text", text=body["text"], update_key=row.key)
        return Parsed(event, callback_id=row.person, answer_blank=False)

    clock = VirtualClock()
    transport = ScriptedTransport(clock)
    delivery = Delivery(db, transport, pacer=Pacer(Pacing.unlimited(), clock))
    intake = Intake(db, Router(db, flows=[_Toasting()]), delivery, quiet_taps)
    await intake.receive([update(1, "7", text="quiet"), update(2, "7", text="loud")])
    await intake.receive([update(3, "7", text="again")])
    await settle(intake)
    assert transport.texts(Chat("tg", "7")) == ["re quiet", "re loud", "re again"]
    assert [c.text for c in transport.calls if c.method == "answer"] == ["noted"]
