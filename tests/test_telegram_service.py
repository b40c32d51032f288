"""The Telegram bot on the durable edges, in-process, through python-telegram-bot against
the fake Bot API: polling and webhook receive into the inbox, replies go through the outbox
and survive failing sends (once, twice, 429 + retry_after), taps are answered at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.telegram_service import TelegramService
from handlers.router import Router
from storage.db import Database
from tests.edge_bot import SECRET, CounterFlow, service, settings_for
from tests.fake_bot_api import FakeBotAPI
from tests.tg_client import TelegramUser


@asynccontextmanager
async def running(
    api: FakeBotAPI, tmp_path: Path, webhook_port: int | None = None, **settings: Any
) -> AsyncIterator[TelegramService]:
    db = await Database.open(tmp_path / "edge.sqlite3")
    bot = service(
        settings_for(api.port, tmp_path / "edge.sqlite3", webhook_port, **settings),
        Router(db, flows=[CounterFlow()]),
    )
    await bot.start()
    api.idle_probe = bot.idle
    try:
        yield bot
    finally:
        await bot.stop()
        await db.close()


async def test_polling_answers_through_the_outbox_and_taps_at_once(tmp_path: Path) -> None:
    async with FakeBotAPI() as api, running(api, tmp_path) as bot:
        an = TelegramUser(api)
        await an.send("một")
        await an.send("hai")
        assert [m.text for m in an.bot_messages()] == ["một #1", "hai #2"]
        await an.click("Đếm")
        assert an.last_callback is not None and an.last_callback.answer_text == "đã đếm"
        async with bot.router.db.transaction() as tx:
            statuses = await tx.fetchall("SELECT status FROM outbox")
            unprocessed = await tx.fetchval("SELECT COUNT(*) FROM inbox WHERE processed_at IS NULL")
        assert [s[0] for s in statuses] == ["sent", "sent"]  # the toast is not in the outbox
        assert unprocessed == 0


@pytest.mark.parametrize(
    "failure",
    [
        {"error_code": 500, "description": "Internal Server Error"},
        {"error_code": 502, "description": "Bad Gateway", "times": 2},
        {"retry_after": 1},
    ],
    ids=["500-once", "502-twice", "429-retry-after"],
)
async def test_a_reply_that_fails_is_delivered_once_in_order(tmp_path: Path, failure: dict) -> None:
    async with FakeBotAPI() as api, running(api, tmp_path):
        an = TelegramUser(api, timeout=10)
        await an.send("một")
        api.fail_next("sendMessage", **failure)
        await an.send("hai")
        await an.send("ba")
        assert [m.text for m in an.bot_messages()] == ["một #1", "hai #2", "ba #3"]
        failed = [c for c in api.calls if c.method == "sendMessage" and not c.ok]
        assert len(failed) == failure.get("times", 1)


async def test_webhook_stores_before_answering_and_checks_the_secret(
    tmp_path: Path, unused_tcp_port: int
) -> None:
    async with FakeBotAPI() as api, running(api, tmp_path, unused_tcp_port) as bot:
        an = TelegramUser(api)
        await an.send("qua webhook")
        assert an.last_text() == "qua webhook #1"
        raw = api.updates[-1].payload
        forged = {**raw, "update_id": 999_999_999}
        assert await api.deliver_to_webhook(forged, secret_token="wrong") == 403
        assert await api.deliver_to_webhook(forged, secret_token=None) == 403
        assert await api.deliver_to_webhook(raw) == 200  # a redelivery: stored once
        assert await api.deliver_to_webhook({"no": "update"}) == 400
        await bot.idle()
        assert [m.text for m in an.bot_messages()] == ["qua webhook #1"]
        assert SECRET


async def test_inbox_and_outbox_records_are_pruned_after_the_configured_days(
    tmp_path: Path,
) -> None:
    """Processed updates' keys after KND_INBOX_DAYS, delivered replies' records after
    KND_OUTBOX_DAYS; an update never processed and a reply never sent are kept."""
    async with FakeBotAPI() as api, running(api, tmp_path, inbox_days=2, outbox_days=3) as bot:
        an = TelegramUser(api)
        for text in ("một", "hai", "ba"):
            await an.send(text)
        now = datetime.now(UTC)

        def ago(days: float) -> str:
            return (now - timedelta(days=days)).isoformat()

        async with bot.router.db.transaction() as tx:
            keys = [r[0] for r in await tx.fetchall("SELECT update_key FROM inbox ORDER BY id")]
            ids = [r[0] for r in await tx.fetchall("SELECT id FROM outbox ORDER BY id")]
            for key, days in zip(keys, (2.5, 1.5, 0), strict=True):
                await tx.execute(
                    "UPDATE inbox SET received_at = ? WHERE update_key = ?", (ago(days), key)
                )
            for row, days in zip(ids, (3.5, 2.5, 0), strict=True):
                await tx.execute("UPDATE outbox SET created_at = ? WHERE id = ?", (ago(days), row))
            await tx.execute(
                "INSERT INTO inbox (platform, update_key, person, raw, received_at)"
                " VALUES ('telegram', 'never-processed', '', X'7B7D', ?)",
                (ago(30),),
            )
            await tx.execute(
                "INSERT INTO outbox (platform, chat_id, chat_kind, payload, created_at)"
                " VALUES ('telegram', '0', 'private', X'7B7D', ?)",
                (ago(30),),
            )
        await bot.prune()
        async with bot.router.db.read() as r:
            kept = [k[0] for k in await r.fetchall("SELECT update_key FROM inbox ORDER BY id")]
            rows = await r.fetchall("SELECT id, status FROM outbox ORDER BY id")
    assert kept == [*keys[1:], "never-processed"]
    assert [tuple(row) for row in rows][:2] == [(ids[1], "sent"), (ids[2], "sent")]
    assert [row[1] for row in rows[2:]] == ["pending"]
