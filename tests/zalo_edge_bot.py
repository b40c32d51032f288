"""The Zalo bot on the durable edges as its own process, for crash tests (the Zalo twin of
tests/edge_bot.py): the production ZaloService — polling or webhook, inbox, router, outbox,
sender — around the counting flow of tests/edge_bot.py, which answers each text
``"<text> #<k>"`` (a lost update leaves a gap, a repeated one a repeat).

``python -m tests.zalo_edge_bot --api-port … --db … [--webhook-port …] [--crash POINT:TEXT]``
kills itself with SIGKILL at one point of ``TEXT``'s way (tests/edge_bot.py's POINTS).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path
from typing import Any

from bot import event_loop
from bot.delivery import RetryPolicy
from bot.intake import Intake
from bot.pacing import Pacing
from bot.settings import Settings
from bot.zalo.render import ZaloTransport
from bot.zalo.service import ZaloService
from handlers.events import Event, Reply
from handlers.router import Router
from storage.db import Database
from storage.inbox import Incoming
from tests.edge_bot import CounterFlow, die
from tests.fake_zalo_api import TOKEN

SECRET = "zalo-edge-SECRET-1"


def settings_for(api_port: int, db_path: Path, webhook_port: int | None = None) -> Settings:
    webhook: dict[str, Any] = {}
    if webhook_port is not None:
        webhook = {
            "zalo_webhook_url": f"http://127.0.0.1:{webhook_port}/zalo",
            "zalo_webhook_port": webhook_port,
            "zalo_webhook_secret": SECRET,
        }
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        zalo_token=TOKEN,
        zalo_api_base_url=f"http://127.0.0.1:{api_port}",
        db_path=db_path,
        polling_timeout=1,
        **webhook,
    )


def install_crash(point: str, text: str) -> None:
    if point == "received":
        store = Intake.store

        async def store_then_die(self: Intake, updates: Any) -> Any:
            if any(text.encode() in u.raw for u in updates if isinstance(u, Incoming)):
                die()  # received, not stored
            return await store(self, updates)

        Intake.store = store_then_die  # type: ignore[method-assign]
    elif point == "acked":
        handle_locked = Router._handle_locked

        async def wait_forever(self: Router, event: Event, *args: Any) -> list[Reply]:
            if event.text == text:
                await asyncio.Event().wait()  # stored (and answered 200), never processed
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
        send = ZaloTransport.send_text

        async def send_then_die(
            self: ZaloTransport, chat: str, body: str, b: Any, *, protect: bool = False
        ) -> str:
            sent = await send(self, chat, body, b, protect=protect)
            if body.startswith(f"{text} #"):
                die()  # Zalo has it, the outbox does not know
            return sent

        ZaloTransport.send_text = send_then_die  # type: ignore[method-assign]


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
    bot = ZaloService(
        settings_for(args.api_port, Path(args.db), args.webhook_port),
        router,
        pacing=Pacing.unlimited(),
        retry=RetryPolicy(first_delay=0.05, max_delay=0.5),
        replay_pause=0.02,
        flush_interval=0.1,
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
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
