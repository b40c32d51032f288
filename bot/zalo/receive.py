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

Each update is decoded once: its key and sender are read from the decoded JSON, a flat body
is stored as it came (re-encoded only when it was wrapped), and the decoded update is handed
to the processing through :class:`Decoded` (a restart's rows are decoded from the inbox).
Webhook posts arriving together are stored in one transaction (:class:`_GroupCommit`): each
is still answered only after the commit that holds it.
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
from bot.zalo.events import PLATFORM, key_and_sender, unwrap
from handlers.failures import failure_place
from storage.inbox import Incoming

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_BACKOFF = 30.0


DECODED_KEPT = 4096  # decoded updates waiting for their processing (older: decoded again)


class Decoded:
    """Decoded updates by message id, from their arrival to their processing (bounded)."""

    def __init__(self, limit: int = DECODED_KEPT) -> None:
        self.limit = limit
        self._kept: dict[str, dict[str, Any]] = {}

    def keep(self, key: str, update: dict[str, Any]) -> None:
        if len(self._kept) >= self.limit:
            self._kept.pop(next(iter(self._kept)))
        self._kept[key] = update

    def take(self, key: str, raw: bytes) -> Any:
        """The update stored under ``key``: kept at its arrival, else decoded from ``raw``."""
        found = self._kept.pop(key, None)
        return found if found is not None else orjson.loads(raw)


def incoming(
    raw: dict[str, Any], body: bytes | None = None, decoded: Decoded | None = None
) -> Incoming | None:
    """The inbox row of an update: the message id, the sender, the JSON as received (``body``
    when it is the update itself, not a wrapper)."""
    update = unwrap(raw)
    key, sender = key_and_sender(update)
    if not key:
        return None
    if decoded is not None:
        decoded.keep(key, update)
    stored = body if body is not None and update is raw else orjson.dumps(update)
    return Incoming(PLATFORM, key, sender, stored)


class _GroupCommit:
    """Rows of concurrent webhook posts stored by one ``Intake.receive`` (one transaction);
    each post waits for the commit holding its row, and sees its failure. A post that finds
    nothing being written writes the batch itself, after one turn of the event loop (posts
    read in the same turn join it) — no task of its own, the usual case with posts a few
    milliseconds apart; rows that arrive while it writes are written next, by a task."""

    def __init__(self, intake: Intake) -> None:
        self.intake = intake
        self._waiting: list[tuple[Incoming, asyncio.Future[None]]] = []
        self._busy = False  # a batch is being written (by a post, or by the task)
        self._task: asyncio.Task[None] | None = None

    async def store(self, row: Incoming) -> None:
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((row, done))
        if not self._busy:
            self._busy = True
            try:
                await asyncio.sleep(0)  # posts read in the same turn of the loop join the batch
                await self._write()
            finally:
                self._hand_on()
        await done

    def _hand_on(self) -> None:
        """The batch written: rows that came meanwhile get a writer, else none is busy."""
        if self._waiting:
            self._task = asyncio.create_task(self._drain(), name="zalo-webhook-store")
        else:
            self._busy = False

    async def _drain(self) -> None:
        try:
            while self._waiting:
                await self._write()
        finally:
            self._busy = False

    async def _write(self) -> None:
        batch, self._waiting = self._waiting, []
        try:
            await self.intake.receive([row for row, _ in batch])
        except Exception as exc:
            for _, done in batch:
                if not done.done():
                    done.set_exception(exc)
        except BaseException:  # cancelled: the posts get no answer, Zalo sends them again
            for _, done in batch:
                done.cancel()
            raise
        else:
            for _, done in batch:
                if not done.done():
                    done.set_result(None)


class ZaloPolling:
    """``getUpdates`` in a loop (module docstring)."""

    def __init__(
        self,
        client: ZaloBotClient,
        intake: Intake,
        *,
        timeout: int = 30,
        replay_pause: float = 1.0,
        decoded: Decoded | None = None,
    ) -> None:
        self.client = client
        self.intake = intake
        self.timeout = timeout
        self.replay_pause = replay_pause
        self.decoded = decoded
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
                rows = [r for raw in batch if (r := incoming(raw, None, self.decoded)) is not None]
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
        decoded: Decoded | None = None,
    ) -> None:
        if not 8 <= len(secret) <= 256:
            raise ValueError("the Zalo webhook needs a secret token of 8 to 256 characters")
        self.client = client
        self.intake = intake
        self.listen, self.port, self.path, self.url = listen, port, path.strip("/"), url
        self._secret = secret.encode()
        self.decoded = decoded
        self._store = _GroupCommit(intake)
        self._runner: web.ServerRunner | None = None

    async def start(self) -> None:
        # aiohttp's low-level server: one endpoint needs no application, router or
        # middlewares (≈ 9 % of a post's CPU, client and server together)
        server = web.Server(self.handle, access_log=None)
        self._runner = web.ServerRunner(server, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()
        await self.client.set_webhook(self.url, self._secret.decode())

    async def stop(self) -> None:
        """Stop answering (the webhook stays set: Zalo retries meanwhile)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def handle(self, request: web.BaseRequest) -> web.Response:
        """The server's one endpoint: a POST to the webhook's path (bodies up to 1 MB)."""
        if request.path.strip("/") != self.path:
            return web.Response(status=404)
        if request.method != "POST":
            return web.Response(status=405, headers={"Allow": "POST"})
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return web.Response(status=403)
        body = await request.read()
        try:
            raw = orjson.loads(body)
            row = incoming(raw, body, self.decoded) if isinstance(raw, dict) else None
        except ValueError:
            row = None
        if row is None:
            return web.Response(status=400)
        try:
            await self._store.store(row)
        except Exception as exc:
            log.error(
                "could not store a Zalo update (%s); Zalo will send it again", failure_place(exc)
            )
            return web.Response(status=500)
        return web.Response(status=200)
