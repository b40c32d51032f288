"""Receiving Zalo updates without losing one and without doing one twice: a webhook or long
polling, both storing what arrives in the update inbox (storage/inbox.py) before anything
else, keyed by the message's own id.

* **Webhook** (:class:`ZaloWebhook`). Zalo POSTs each update with the
  ``X-Bot-Api-Secret-Token`` header set to the secret given to ``setWebhook``; it is compared
  in constant time (403 otherwise), the update stored, and only then answered 200 — a crash
  before that gets no answer and Zalo sends it again.
* **Polling** (:class:`ZaloPolling`). ``getUpdates`` has no offset and replays updates
  already read, so nothing is ever "confirmed": the inbox recognises a replay by its message
  id however often it comes. A call that brought only replays is followed by a pause
  (``replay_pause``), so the loop does not spin on Zalo's replaying queue; a call that
  brought something new is followed at once by the next. 408 is an idle poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from typing import Any

import orjson
from aiohttp import web

from bot.intake import Intake
from bot.zalo.client import ZaloBotClient, ZaloUnauthorized
from bot.zalo.events import PLATFORM, sender_id, unwrap, update_key
from handlers.failures import failure_place
from storage.inbox import Incoming

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_BACKOFF = 30.0


def incoming(raw: dict[str, Any]) -> Incoming | None:
    """The inbox row of an update: the message id, the sender, the JSON as received."""
    key = update_key(raw)
    if not key:
        return None
    return Incoming(PLATFORM, key, sender_id(raw), orjson.dumps(unwrap(raw)))


class ZaloPolling:
    """``getUpdates`` in a loop (module docstring)."""

    def __init__(
        self,
        client: ZaloBotClient,
        intake: Intake,
        *,
        timeout: int = 30,
        replay_pause: float = 1.0,
    ) -> None:
        self.client = client
        self.intake = intake
        self.timeout = timeout
        self.replay_pause = replay_pause
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.client.delete_webhook()  # getUpdates is refused while a webhook is set
        self._task = asyncio.create_task(self._loop(), name="zalo-polling")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                batch = await self.client.get_updates(self.timeout)
                rows = [row for raw in batch if (row := incoming(raw)) is not None]
                stored = await self.intake.receive(rows)
                failures = 0
                if rows and not stored:
                    await self._pause(self.replay_pause)  # only replays: Zalo's queue spins
            except ZaloUnauthorized:
                log.error("Zalo refused the bot token; polling stops")
                raise
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the network, Zalo or the database: try again
                failures += 1
                delay = min(MAX_BACKOFF, 0.5 * 2 ** min(failures, 8))
                log.warning("getUpdates failed (%s); retrying in %.1f s", exc, delay)
                await self._pause(delay)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)


class ZaloWebhook:
    """The endpoint Zalo posts updates to (module docstring)."""

    def __init__(
        self,
        client: ZaloBotClient,
        intake: Intake,
        *,
        listen: str,
        port: int,
        path: str,
        url: str,
        secret: str,
    ) -> None:
        if not 8 <= len(secret) <= 256:
            raise ValueError("the Zalo webhook needs a secret token of 8 to 256 characters")
        self.client = client
        self.intake = intake
        self.listen, self.port, self.path, self.url = listen, port, path.strip("/"), url
        self._secret = secret.encode()
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post(f"/{self.path}", self.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()
        await self.client.set_webhook(self.url, self._secret.decode())

    async def stop(self) -> None:
        """Stop answering (the webhook stays set: Zalo retries meanwhile)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return web.Response(status=403)
        try:
            raw = orjson.loads(await request.read())
            row = incoming(raw) if isinstance(raw, dict) else None
        except ValueError:
            row = None
        if row is None:
            return web.Response(status=400)
        try:
            await self.intake.receive([row])
        except Exception as exc:
            log.error(
                "could not store a Zalo update (%s); Zalo will send it again", failure_place(exc)
            )
            return web.Response(status=500)
        return web.Response(status=200)
