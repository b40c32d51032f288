"""The Zalo adapter of bench/bench_chat.py (``--platform zalo``).

* :func:`record_zalo_script` plays the sample once through the router as a Zalo chat and
  writes down every move as the person types it on Zalo — a button is the number it was
  drawn with (numbers run on across one answer's messages, as bot/zalo/options.py numbers
  them) — and how many Zalo messages answered it (bot/zalo/render.py's drawing: texts split
  at 2,000 characters, options under the last part). It also counts the messages of the
  whole dossier, and of the part a web form would take instead (tables and relatives).
* :class:`ZaloBenchFake` is the fake Zalo server of the tests, delivering every update by
  webhook at once (Zalo posts concurrently; getUpdates answers one update per call and is
  not a path for hundreds of updates a second), and telling each candidate when the bot's
  whole answer has arrived.
* :func:`zalo_bot` runs the production ZaloService in webhook mode against it.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TOKEN = "1459232241454765289:zalo-TEST-secret_ABCdefGHI"
SECRET = "bench-zalo-secret"


@dataclass
class ZaloScript:
    steps: list[Any]
    messages: int  # Zalo messages the bot sends for the whole dossier by chat
    long_messages: int  # of which for the parts a web form takes (tables, relatives)
    long_moves: int


def zalo_outputs(replies: list[Any], first: int, kind: str) -> tuple[int, int]:
    """How many Zalo messages ``replies`` take, and the number the next option gets."""
    from bot.zalo.client import MAX_TEXT
    from bot.zalo.render import draw_options, split_text, typed_card

    count = 0
    toast = " ".join(r.toast for r in replies if r.toast).strip()
    if kind == "button" and toast:
        count += 1  # a typed option's notice is a message on Zalo
    for reply in replies:
        parts = split_text(reply.text) if reply.text.strip() else []
        count += max(0, len(parts) - 1)
        last = parts[-1] if parts else ""
        drawn, options = draw_options(reply.buttons, first)
        card = typed_card(reply.buttons, "bot")
        drawn = f"{drawn}\n{card}" if card else drawn
        if options:
            first += len(options)
        if reply.document is not None or reply.photo is not None:
            count += 1 if last else 0
            last = "x"  # the link (or the notice), options under it
        if drawn:
            whole = f"{last}\n\n{drawn}" if last else drawn
            count += 1 if len(whole) <= MAX_TEXT else 1 + len(split_text(drawn))
        elif last:
            count += 1
    return count, first


async def record_zalo_script(sample: str, step_class: Any) -> ZaloScript:
    from bot.app import build_flows
    from handlers.candidate.relatives import RelationLoop, RelativeQuestion, RelativesMenu
    from handlers.candidate.tables import ColumnQuestion, RowsMenu
    from handlers.events import Chat, Event, User
    from handlers.router import Router
    from storage.db import Database
    from tests.samples import load_sample
    from tests.telegram_player import Move, SamplePlayer, read_state

    long_screens = (ColumnQuestion, RowsMenu, RelativeQuestion, RelationLoop, RelativesMenu)
    with tempfile.TemporaryDirectory(prefix="knd-zalo-script-") as tmp:
        path = Path(tmp) / "script.sqlite3"
        db = await Database.open(path)
        router = Router(db, flows=build_flows())
        player = SamplePlayer(load_sample(sample))
        user, chat = User("zalo", "z1", "Ứng viên"), Chat("zalo", "z1")
        steps: list[Any] = []
        options: list[str] = []
        move = Move("text", "/start")
        total = long_total = long_moves = 0
        state = None
        while move.kind != "done":
            key = str(len(steps))
            typed = move.value
            if move.kind == "text" and move.value.startswith("/"):
                event = Event(user, chat, "command", command=move.value[1:], update_key=key)
            elif move.kind == "text":
                event = Event(user, chat, "text", text=move.value, update_key=key)
            else:
                number = next(
                    i for i, a in enumerate(options, 1) if a.partition("~")[0] == move.value
                )
                typed = str(number)
                event = Event(user, chat, "button", action=options[number - 1], update_key=key)
            replies = await router.handle(event)
            outputs, _ = zalo_outputs(replies, 1, event.kind)
            new = [b.action for r in replies for row in r.buttons for b in row]
            if new:
                options = new
            document = any(r.document is not None for r in replies)
            steps.append(step_class("text", typed, outputs, document))
            total += outputs
            if state is not None and isinstance(state.screen, long_screens):
                long_total += outputs
                long_moves += 1
            state, dossier = read_state(path, "zalo", "z1")
            move = player.next_move(state, dossier)
        await db.close()
    return ZaloScript(steps, total, long_total, long_moves)


def zalo_fake_class() -> type:
    from aiohttp import ClientSession, ClientTimeout

    from tests.fake_zalo_api import SECRET_HEADER, FakeZaloAPI

    class ZaloBenchFake(FakeZaloAPI):
        """Webhook deliveries all at once; per chat, when the awaited answer is complete."""

        def __init__(self) -> None:
            super().__init__(token=TOKEN, replays=0)
            self.waiters: dict[str, tuple[int, asyncio.Future[tuple[float, float]]]] = {}
            self.outputs: dict[str, int] = {}
            self.first_output: dict[str, float] = {}
            self.delivered: dict[str, float] = {}  # message id -> when posted to the bot
            self._client: ClientSession | None = None
            self._posts: set[asyncio.Task[None]] = set()

        def _touch(self) -> None:  # nobody waits on the change event in the bench
            pass

        def _record(self, method: str, chat_id: str, **kw: str) -> Any:
            now = time.monotonic()
            count = self.outputs.get(chat_id, 0) + 1
            self.outputs[chat_id] = count
            self.first_output.setdefault(chat_id, now)
            waiter = self.waiters.get(chat_id)
            if waiter is not None and count >= waiter[0] and not waiter[1].done():
                waiter[1].set_result((self.first_output[chat_id], now))
            from aiohttp import web

            return web.json_response(
                {"ok": True, "result": {"message_id": f"{count:x}", "date": int(now * 1000)}}
            )

        def expect(self, chat_id: str, outputs: int) -> asyncio.Future[tuple[float, float]]:
            self.outputs[chat_id] = 0
            self.first_output.pop(chat_id, None)
            future = asyncio.get_running_loop().create_future()
            self.waiters[chat_id] = (outputs, future)
            return future

        def _enqueue(self, update: dict[str, Any]) -> None:
            task = asyncio.get_running_loop().create_task(self._post_one(update))
            self._posts.add(task)
            task.add_done_callback(self._posts.discard)

        async def _post_one(self, update: dict[str, Any]) -> None:
            if self._client is None:
                self._client = ClientSession()
            key = update["message"]["message_id"]
            for _ in range(50):
                self.delivered[key] = time.monotonic()
                try:
                    async with self._client.post(
                        self.webhook.url,
                        json=update,
                        headers={SECRET_HEADER: self.webhook.secret},
                        timeout=ClientTimeout(total=30),
                    ) as response:
                        if response.status == 200:
                            return
                except Exception:
                    pass
                await asyncio.sleep(0.05)

        async def stop(self) -> None:
            if self._client is not None:
                await self._client.close()
            await self.__aexit__(None, None, None)

    return ZaloBenchFake


def zalo_bot(router: Any, api_port: int, hook_port: int, db_path: Path) -> Any:
    """The production ZaloService (webhook, default Zalo pacing) against the bench fake."""
    from bot.settings import Settings
    from bot.zalo.service import ZaloService

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        zalo_token=TOKEN,
        zalo_api_base_url=f"http://127.0.0.1:{api_port}",
        zalo_webhook_url=f"http://127.0.0.1:{hook_port}/zalo",
        zalo_webhook_port=hook_port,
        zalo_webhook_secret=SECRET,
        db_path=db_path,
    )
    return ZaloService(settings, router)
