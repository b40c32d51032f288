"""The fake Zalo server plus a running ZaloService on a database file, and people who type.

A person types through the fake server (:meth:`ZaloStack.say`); the step is done when the bot
has stored the update and is idle again (every update processed, every reply delivered). A
"tap" of the sample player is typed as the number of the option that carries the action —
read from the bot's option memory, a stand-in for reading the numbered lines on screen.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app import open_router
from bot.delivery import RetryPolicy
from bot.pacing import Pacing
from bot.settings import Settings
from bot.zalo.render import Links
from bot.zalo.service import ZaloService
from tests.fake_zalo_api import FakeZaloAPI, ZaloGroup, ZaloUser
from tests.telegram_player import Move, SamplePlayer, read_state

MAX_MOVES = 900


def zalo_settings(api: FakeZaloAPI, db_path: Path, **extra: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        zalo_token=api.token,
        zalo_api_base_url=api.base_url,
        db_path=db_path,
        polling_timeout=5,
        **extra,
    )


@dataclass
class ZaloStack:
    api: FakeZaloAPI
    settings: Settings
    links: Links | None = None
    bot: ZaloService | None = None
    close: Any = None

    @property
    def db_path(self) -> Path:
        return self.settings.db_path

    async def start_bot(self) -> ZaloService:
        router, self.close = await open_router(self.settings)
        self.bot = ZaloService(
            self.settings,
            router,
            pacing=Pacing.unlimited(),
            retry=RetryPolicy(first_delay=0.01, max_delay=0.05),
            links=self.links,
            replay_pause=0.01,
            flush_interval=0.05,
        )
        await self.bot.start()
        return self.bot

    async def stop_bot(self) -> None:
        if self.bot is not None:
            await self.bot.stop()
            self.bot = None
        if self.close is not None:
            await self.close()
            self.close = None

    def stored(self, key: str) -> bool:
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as conn:
            row = conn.execute(
                "SELECT processed_at FROM inbox WHERE platform = 'zalo' AND update_key = ?",
                (key,),
            ).fetchone()
        return row is not None and row[0] is not None

    async def settle(self, key: str, timeout: float = 30.0) -> None:
        """Until the update ``key`` is processed and the bot is idle."""
        assert self.bot is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.stored(key):
            if loop.time() > deadline:
                raise AssertionError(f"update {key} never processed")
            await asyncio.sleep(0.002)
        await self.bot.idle()

    async def say(self, user: ZaloUser, text: str, group: ZaloGroup | None = None) -> list[str]:
        """``user`` types ``text``; returns the texts the bot sent meanwhile (anywhere)."""
        since = self.api.last_seq
        update = self.api.user_sends(user, text, group)
        if update is not None:
            await self.settle(update["message"]["message_id"])
        return [m.text for m in self.api.sent if m.seq > since]

    def number_of(self, chat_id: str, action: str) -> int:
        """The number shown for the option carrying ``action`` (without its "~seq")."""
        assert self.bot is not None
        options = self.bot.options._chats.get(chat_id, [])
        for n, (_, data) in enumerate(options, 1):
            if data.partition("~")[0] == action:
                return n
        raise AssertionError(f"no option {action!r} on screen: {options}")

    async def act(self, user: ZaloUser, move: Move) -> list[str]:
        if move.kind == "text":
            return await self.say(user, move.value)
        return await self.say(user, str(self.number_of(user.id, move.value)))

    async def play(self, user: ZaloUser, player: SamplePlayer, *, moves: int = MAX_MOVES) -> int:
        made = 0
        while made < moves:
            state, dossier = read_state(self.db_path, "zalo", user.id)
            move = player.next_move(state, dossier) if state else Move("text", "/start")
            if move.kind == "done":
                return made
            await self.act(user, move)
            made += 1
        if moves == MAX_MOVES:
            raise AssertionError(f"not finished after {moves} moves")
        return made
