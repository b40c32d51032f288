"""A small bot on the durable edges, for crash tests: run in-process or as its own process.

The production pieces (TelegramService: polling or webhook, inbox, router, outbox, sender)
serve one tiny flow, :class:`CounterFlow`, whose answers make exactly-once visible: each text
is recorded in ``audit_log`` and answered ``"<text> #<k>"``, k being how many texts of that
person were processed so far (a lost update leaves a gap, a repeated one a repeat).

As a process (``python -m tests.edge_bot --api-port … --db … [--webhook-port …]
[--crash POINT:TEXT]``) it can kill itself with SIGKILL at one point of the text ``TEXT``'s
way through (see :data:`POINTS`); ``acked`` makes that text's processing wait forever, so
the test can kill the process after Telegram saw the acknowledgement.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from pathlib import Path
from typing import Any

from bot import event_loop
from bot.delivery import RetryPolicy
from bot.intake import Intake
from bot.pacing import Pacing
from bot.settings import Settings
from bot.telegram_service import TelegramService
from bot.telegram_transport import TelegramTransport
from handlers.events import Button, Event, Reply
from handlers.router import Router
from handlers.routing import Routes
from storage.db import Database, Tx
from storage.inbox import Incoming

TOKEN = "123456789:TEST-fake_token-ABCdefGHIjklMNOpqr"
SECRET = "edge_SECRET-1"

#: Where a text's way can be cut: stored? acknowledged? processed? committed? sent?
POINTS = ("received", "acked", "processing", "committed", "sending")


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class CounterFlow:
    """Answers each private text with its number in the person's conversation; a tap on
    "Đếm" answers with a toast only."""

    routes = Routes(flow="counter", prefix="n", private_default=True)

    def __init__(self, crash_in_flow: str = "") -> None:
        self.crash_in_flow = crash_in_flow

    async def handle(self, tx: Tx, event: Event) -> list[Reply]:
        if event.kind == "button":
            return [Reply(toast="đã đếm")]
        await tx.audit.append("counted", detail={"person": event.user.id, "text": event.text})
        if event.text == self.crash_in_flow:
            die()  # in the middle of the transaction
        count = await tx.fetchval(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'counted'"
            " AND json_extract(detail, '$.person') = ?",
            (event.user.id,),
        )
        return [Reply(text=f"{event.text} #{count}", buttons=[[Button("Đếm", "n:tap")]])]


def settings_for(
    api_port: int, db_path: Path, webhook_port: int | None = None, **extra: Any
) -> Settings:
    webhook: dict[str, Any] = {}
    if webhook_port is not None:
        webhook = {
            "webhook_url": f"http://127.0.0.1:{webhook_port}/hook",
            "webhook_port": webhook_port,
            "webhook_path": "hook",
            "webhook_secret": SECRET,
        }
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=TOKEN,
        api_base_url=f"http://127.0.0.1:{api_port}/bot",
        api_file_url=f"http://127.0.0.1:{api_port}/file/bot",
        db_path=db_path,
        polling_timeout=1,
        **webhook,
        **extra,
    )


def service(settings: Settings, router: Router) -> TelegramService:
    return TelegramService(
        settings,
        router,
        commands=[],
        pacing=Pacing.unlimited(),
        retry=RetryPolicy(first_delay=0.05, max_delay=0.5),
    )


def install_crash(point: str, text: str) -> None:
    """Make this process die at ``point`` of ``text``'s way (see :data:`POINTS`)."""
    if point == "received":
        store = Intake.store

        async def store_then_die(self: Intake, updates: Any) -> Any:
            if any(text.encode() in u.raw for u in updates if isinstance(u, Incoming)):
                die()  # received, not stored, not acknowledged
            return await store(self, updates)

        Intake.store = store_then_die  # type: ignore[method-assign]
    elif point == "acked":
        handle_locked = Router._handle_locked

        async def wait_forever(self: Router, event: Event, *args: Any) -> list[Reply]:
            if event.text == text:  # holding the person's lock, as processing would
                await asyncio.Event().wait()  # stored and acknowledged, never processed
            return await handle_locked(self, event, *args)

        Router._handle_locked = wait_forever  # type: ignore[method-assign]
    elif point == "committed":
        handle = Router.handle

        async def handle_then_die(self: Router, event: Event, **kw: Any) -> list[Reply]:
            replies = await handle(self, event, **kw)
            if event.text == text:
                die()  # committed, not sent
            return replies

        Router.handle = handle_then_die  # type: ignore[method-assign]
    elif point == "sending":
        send = TelegramTransport.send_text

        async def send_then_die(
            self: TelegramTransport, chat: str, body: str, b: Any, **kw: Any
        ) -> str:
            sent = await send(self, chat, body, b, **kw)
            if body.startswith(f"{text} #"):
                die()  # Telegram has it, the outbox does not know
            return sent

        TelegramTransport.send_text = send_then_die  # type: ignore[method-assign]


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    crash_in_flow = ""
    if args.crash:
        point, _, text = args.crash.partition(":")
        if point == "processing":
            crash_in_flow = text
        else:
            install_crash(point, text)
    db = await Database.open(Path(args.db))
    router = Router(db, flows=[CounterFlow(crash_in_flow)])
    settings = settings_for(args.api_port, Path(args.db), args.webhook_port)
    bot = service(settings, router)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await bot.start()
    print("READY", flush=True)
    await stop.wait()
    await bot.stop()
    await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--api-port", type=int, required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--webhook-port", type=int)
    parser.add_argument("--crash", default="")
    event_loop.run(main(parser.parse_args()))
