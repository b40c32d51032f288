"""Receiving Telegram updates without losing one: long polling and a webhook, both storing
what they receive in the inbox BEFORE Telegram is told it arrived.

* **Polling** (:class:`Polling`). Telegram confirms a batch when the next ``getUpdates``
  passes an offset beyond it. Our loop stores the whole batch in the inbox in one
  transaction (:meth:`bot.intake.Intake.receive`) and only then asks for the next offset; a
  crash before the commit leaves the batch unconfirmed, and Telegram sends it again. PTB's
  Updater confirmed a batch as soon as it was queued in memory (14 of 16 updates lost to a
  kill in the issue's trial).
* **Webhook** (:class:`Webhook`). An aiohttp endpoint checks the secret token header (in
  constant time), stores the update and only then answers 200; a crash before that gets no
  answer, and Telegram retries. PTB's tornado handler answered 200 before processing.

Either way a redelivered update is recognised by the inbox and stored once. Updates are read
as raw JSON (:func:`bot.telegram_request.call_json`), stored as received, and read into
events only when processed (bot/telegram_service.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Sequence
from typing import Any

import orjson
from aiohttp import web
from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.health import Health
from bot.intake import Intake
from bot.telegram import PLATFORM
from bot.telegram_request import call_json
from bot.web.server import WebServer
from handlers.failures import failure_place
from storage.inbox import Incoming

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BACKOFF = 30.0


def incoming(raw: dict[str, Any], body: bytes | None = None) -> Incoming:
    """The inbox row of a raw update: its id, its sender, its JSON as received (``body``,
    when it came alone, as the webhook's request body), and the update as decoded."""
    person = ""
    for value in raw.values():
        sender = value.get("from") if isinstance(value, dict) else None
        if isinstance(sender, dict) and "id" in sender:
            person = str(sender["id"])
            break
    stored = body or orjson.dumps(raw)
    return Incoming(PLATFORM, str(raw["update_id"]), person, stored, update=raw)


class Polling:
    """``getUpdates`` in a loop; each batch stored before the next offset confirms it."""

    def __init__(
        self,
        bot: Bot,
        intake: Intake,
        *,
        timeout: int,
        allowed_updates: Sequence[str],
    ) -> None:
        self.bot = bot
        self.intake = intake
        self.timeout = timeout
        self.allowed_updates = list(allowed_updates)
        self.offset: int | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._next: asyncio.Future[Any] | None = None  # a getUpdates already under way

    async def start(self) -> None:
        # a webhook left set would make getUpdates fail; pending updates are kept
        await self.bot.delete_webhook(drop_pending_updates=False)
        self._task = asyncio.create_task(self._loop(), name="telegram-polling")

    async def stop(self) -> None:
        """Stop fetching; confirm what was stored (the rest Telegram will send again)."""
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.offset is not None:
            with contextlib.suppress(TelegramError):
                params = {"offset": self.offset, "limit": 1, "timeout": 0}
                await call_json(self.bot, "getUpdates", params, read_timeout=5)

    async def _loop(self) -> None:
        try:
            await self._poll()
        finally:
            if self._next is not None and not self._next.done():
                self._next.cancel()  # stopped: not confirmed, Telegram keeps those for us
            self._next = None

    async def _poll(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                request, self._next = self._next, None
                batch = await self._fetch(request)
                if batch is None:
                    return  # stopped while waiting
                if batch:
                    stored = await self.intake.store([incoming(raw) for raw in batch])
                    self.offset = max(int(raw["update_id"]) for raw in batch) + 1
                    # the next getUpdates (confirming this batch) is written before the
                    # batch's processing takes the loop: updates arriving meanwhile do not
                    # wait for it
                    self._next = self._request()
                    self.intake.start(stored)
                failures = 0
            except InvalidToken:
                log.error("Telegram refused the bot token; polling stops")
                raise
            except Exception as exc:  # the network, Telegram, or the database: try again
                failures += 1
                delay = min(MAX_BACKOFF, 0.5 * 2 ** min(failures, 8))
                log.warning("getUpdates failed (%s); retrying in %.1f s", exc, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)

    def _request(self) -> asyncio.Future[Any]:
        """The next getUpdates, under way (its task's first step writes the request)."""
        params = {
            "offset": self.offset,
            "timeout": self.timeout,
            "limit": 100,
            "allowed_updates": self.allowed_updates,
        }
        return asyncio.ensure_future(
            call_json(self.bot, "getUpdates", params, read_timeout=self.timeout + 10)
        )

    async def _fetch(self, request: asyncio.Future[Any] | None) -> list[dict[str, Any]] | None:
        """The answer of ``request`` (None: a new one), or None when stopped meanwhile."""
        request = request or self._request()
        stopping = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({request, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not request.done():
            request.cancel()  # not confirmed: Telegram keeps those updates for us
            with contextlib.suppress(asyncio.CancelledError, TelegramError):
                await request
            return None
        return list(request.result())


class Webhook:
    """The endpoint Telegram posts updates to; each is stored before it gets its 200."""

    def __init__(
        self,
        bot: Bot,
        intake: Intake,
        *,
        listen: str,
        port: int,
        path: str,
        url: str,
        secret: str,
        allowed_updates: Sequence[str],
        max_connections: int = 40,
        companion: WebServer | None = None,
        health: Health | None = None,
    ) -> None:
        if not secret:
            raise ValueError("webhook mode needs a secret token")
        self.bot = bot
        self.intake = intake
        self.listen, self.port, self.path, self.url = listen, port, path.strip("/"), url
        self._secret = secret.encode()
        self.allowed_updates = list(allowed_updates)
        self.max_connections = max_connections
        self.companion = companion  # the web companion, served by the same server under /w
        self.health = health  # /healthz and /readyz for the proxy (bot/health.py)
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.router.add_post(f"/{self.path}", self.handle)
        if self.companion is not None:
            self.companion.mount(app)
        if self.health is not None:
            self.health.mount(app)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()
        await self.bot.set_webhook(
            url=self.url,
            secret_token=self._secret.decode(),
            allowed_updates=self.allowed_updates,
            max_connections=self.max_connections,
        )

    async def stop(self) -> None:
        """Stop answering (the webhook stays set: Telegram queues updates meanwhile)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return web.Response(status=403)
        try:
            body = await request.read()
            raw = orjson.loads(body)
            if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
                raise ValueError("not an update")
        except ValueError:
            return web.Response(status=400)
        try:
            await self.intake.receive([incoming(raw, body)])
        except Exception as exc:
            log.error(
                "could not store an update; Telegram will send it again: %s", failure_place(exc)
            )
            return web.Response(status=500)
        return web.Response(status=200)
