"""``knd run`` with both tokens: Telegram and Zalo on one router (bot/channels.py), and a reply
one channel's event queued for the other channel delivered by the sweep."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.channels import run_channels
from bot.settings import Settings
from handlers.events import Chat, Reply
from handlers.replies import to_messages
from storage.db import Database
from storage.outbox import Outbox
from tests.fake_bot_api import FakeBotAPI
from tests.fake_zalo_api import FakeZaloAPI


async def test_both_channels_run_on_one_router_and_share_the_outbox(tmp_path: Path) -> None:
    async with FakeBotAPI() as tg, FakeZaloAPI() as zalo:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token=tg.token,
            api_base_url=tg.base_url,
            api_file_url=tg.base_file_url,
            zalo_token=zalo.token,
            zalo_api_base_url=zalo.base_url,
            db_path=tmp_path / "knd.sqlite3",
            polling_timeout=2,
        )
        stop = asyncio.Event()
        running = asyncio.create_task(run_channels(settings, stop=stop))
        try:
            an = zalo.new_user("An")
            await zalo.wait_for(lambda: zalo.count("getUpdates") > 0, 20, "Zalo never polled")
            zalo.user_sends(an, "/start")
            await zalo.wait_for(lambda: any("Tôi đồng ý" in t for t in zalo.texts(an.id)), 20)
            binh = tg.new_user("Bình")
            tg.user_sends_text(binh, None, "/start")
            await tg.wait_for_bot_message(binh.id, timeout=20)
            # what a Telegram event queues for a Zalo chat (a return to a Zalo candidate)
            db = await Database.open(settings.db_path)
            try:
                async with db.transaction() as tx:
                    chat = Chat("zalo", an.id)
                    await tx.repo(Outbox).add(to_messages([Reply(text="Từ kênh kia")], chat))
            finally:
                await db.close()
            await zalo.wait_for(lambda: "Từ kênh kia" in zalo.texts(an.id), 10, "never swept")
        finally:
            stop.set()
            await asyncio.wait_for(running, 30)
