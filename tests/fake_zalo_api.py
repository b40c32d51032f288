"""A local, in-process fake of the Zalo Bot Platform API for end-to-end tests.

Written from the documented methods, payloads and error shapes (docs copy of 10/12/2025 and
the behaviour people running real bots report, /work/shared/domain/platforms-and-peers.md
§2): ``POST /bot<token>/<method>`` with a JSON body, answers ``{"ok": true, "result": …}`` or
``{"ok": false, "error_code": …, "description": …}``.

What it enforces, because it is what breaks bots:

* ``getUpdates`` has no offset: it answers ONE update, new ones first, and updates already
  read **come again** (each is replayed ``replays`` times after its first reading, and
  :meth:`FakeZaloAPI.replay_all` queues every update read so far once more). An idle long
  poll ends with HTTP 408 ``{"ok": false, "description": "Request timeout"}``.
* ``getUpdates`` while a webhook is set is refused; ``setWebhook`` needs ``url`` and a
  ``secret_token`` of 8–256 characters; updates then go to the webhook as a POST with the
  ``X-Bot-Api-Secret-Token`` header, retried until answered 200 (``webhook_max_attempts``);
  ``getWebhookInfo`` without a webhook answers 404.
* ``sendMessage`` text and ``sendPhoto`` caption are 1..2000 characters (400 otherwise);
  ``sendPhoto`` takes an image URL only; ``sendChatAction`` knows ``typing`` only; a person
  who blocked the bot answers 403; a wrong token 401.
* Groups (beta): the bot sees a group message only when it mentions the bot
  (``@<display name>``); other group messages never reach it.

Test helpers are synchronous (queue an update) or async waits driven by state changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import aiohttp
from aiohttp import web

TOKEN = "1459232241454765289:zalo-TEST-secret_ABCdefGHI"
MAX_TEXT = 2000
SECRET_HEADER = "X-Bot-Api-Secret-Token"


def _hex_id() -> str:
    return secrets.token_hex(10)


@dataclass(frozen=True)
class ZaloUser:
    id: str
    name: str


@dataclass(frozen=True)
class ZaloGroup:
    id: str
    name: str


@dataclass
class SentMessage:
    """Something the bot sent: a text, a photo (URL and caption) or a sticker."""

    message_id: str
    chat_id: str
    method: str
    text: str = ""
    photo: str = ""
    sticker: str = ""
    seq: int = 0


@dataclass
class UserMessage:
    """Something a person wrote (delivered to the bot or not)."""

    update: dict[str, Any]
    chat_id: str
    delivered: bool


@dataclass
class Fault:
    status: int
    error_code: int
    description: str
    times: int


@dataclass
class _Queued:
    update: dict[str, Any]
    replays_left: int
    reads: int = 0


@dataclass
class Webhook:
    url: str = ""
    secret: str = ""
    updated_at: int = 0


class FakeZaloAPI:
    """The fake server (module docstring). ``async with FakeZaloAPI() as api``."""

    def __init__(
        self,
        *,
        token: str = TOKEN,
        display_name: str = "Chi bộ Bot",
        replays: int = 1,
        webhook_max_attempts: int = 20,
        webhook_retry_delay: float = 0.05,
        wrap_webhook: bool = True,
    ) -> None:
        self.token = token
        self.bot_id = token.partition(":")[0]
        self.display_name = display_name
        self.replays = replays
        self.webhook_max_attempts = webhook_max_attempts
        self.webhook_retry_delay = webhook_retry_delay
        self.wrap_webhook = wrap_webhook
        self.port = 0
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.sent: list[SentMessage] = []
        self.written: list[UserMessage] = []
        self.blocked: set[str] = set()
        self.webhook = Webhook()
        self.webhook_posts: list[tuple[int, dict[str, Any]]] = []  # (status, body) as answered
        self._queue: deque[_Queued] = deque()
        self._read: list[_Queued] = []
        self._faults: dict[str, list[Fault]] = {}
        self._seq = itertools.count(1)
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._pusher: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> FakeZaloAPI:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        # a long poll whose client went away ends with it (as the Telegram fake's does): the
        # server's shutdown would otherwise wait for its timeout
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def _touch(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # -- people ------------------------------------------------------------------------------
    def new_user(self, name: str) -> ZaloUser:
        return ZaloUser(_hex_id(), name)

    def new_group(self, name: str) -> ZaloGroup:
        return ZaloGroup(_hex_id(), name)

    def mention(self, text: str) -> str:
        return f"@{self.display_name} {text}"

    def user_sends(
        self, user: ZaloUser, text: str, group: ZaloGroup | None = None
    ) -> dict[str, Any] | None:
        """``user`` writes ``text`` privately or in ``group``; returns the update queued for
        the bot, None when the bot does not see it (a group message without a mention)."""
        chat = (
            {"id": group.id, "chat_type": "GROUP"}
            if group is not None
            else {"id": user.id, "chat_type": "PRIVATE"}
        )
        message = {
            "message_id": _hex_id(),
            "date": int(time.time() * 1000),
            "chat": chat,
            "from": {"id": user.id, "display_name": user.name, "is_bot": False},
            "text": text,
        }
        update = {"event_name": "message.text.received", "message": message}
        seen = group is None or f"@{self.display_name}" in text
        self.written.append(UserMessage(update, chat["id"], seen))
        if seen:
            self._enqueue(update)
        return update if seen else None

    def user_sends_sticker(self, user: ZaloUser, sticker: str = "a1b2c3") -> dict[str, Any]:
        message = {
            "message_id": _hex_id(),
            "date": int(time.time() * 1000),
            "chat": {"id": user.id, "chat_type": "PRIVATE"},
            "from": {"id": user.id, "display_name": user.name, "is_bot": False},
            "sticker": sticker,
        }
        update = {"event_name": "message.sticker.received", "message": message}
        self._enqueue(update)
        return update

    def _enqueue(self, update: dict[str, Any]) -> None:
        self._queue.append(_Queued(update, self.replays))
        self._kick_webhook()
        self._touch()

    def replay_all(self) -> int:
        """Queue every update read so far once more (Zalo has no offset to confirm them)."""
        again = [_Queued(q.update, -1) for q in self._read]  # -1: a copy, not replayed
        self._queue.extend(again)
        self._kick_webhook(force=True)
        self._touch()
        return len(again)

    def fail_next(
        self, method: str, status: int, description: str = "", times: int = 1, code: int = 0
    ) -> None:
        """The next ``times`` calls of ``method`` answer ``status`` (error shape of Zalo)."""
        fault = Fault(status, code or status, description or f"error {status}", times)
        self._faults.setdefault(method, []).append(fault)

    # -- what the bot sent ---------------------------------------------------------------
    def messages(self, chat_id: str) -> list[SentMessage]:
        return [m for m in self.sent if m.chat_id == chat_id]

    def texts(self, chat_id: str) -> list[str]:
        return [m.text for m in self.messages(chat_id)]

    @property
    def last_seq(self) -> int:
        return self.sent[-1].seq if self.sent else 0

    def count(self, method: str) -> int:
        return sum(1 for m, _ in self.calls if m == method)

    async def wait_for(
        self,
        predicate: Callable[[], Any],
        timeout: float = 5.0,
        message: str | Callable[[], str] = "condition not met",
    ) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(message() if callable(message) else message)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.05))

    # -- the API -----------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return _error(401, 401, "Unauthorized")
        try:
            raw = await request.read()
            params = await request.json() if raw else {}
        except ValueError:
            return _error(400, 400, "Bad Request: body is not JSON")
        if not isinstance(params, dict):
            return _error(400, 400, "Bad Request: body is not a JSON object")
        self.calls.append((method, params))
        faults = self._faults.get(method)
        if faults:
            fault = faults[0]
            fault.times -= 1
            if fault.times <= 0:
                faults.pop(0)
            return _error(fault.status, fault.error_code, fault.description)
        handler = self._METHODS.get(method)
        if handler is None:
            return _error(404, 404, "Not Found")
        return await handler(self, params)

    async def _get_me(self, params: dict[str, Any]) -> web.Response:
        return _ok(
            {
                "id": self.bot_id,
                "account_name": "bot.FakeKND",
                "account_type": "BASIC",
                "can_join_groups": True,
                "display_name": self.display_name,
            }
        )

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        if self.webhook.url:
            return _error(400, 400, "Webhook is active; call deleteWebhook to use getUpdates")
        try:
            timeout = float(params.get("timeout", 30))
        except (TypeError, ValueError):
            return _error(400, 400, "Bad Request: timeout")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._queue:
            left = deadline - loop.time()
            if left <= 0:
                return _error(408, 408, "Request timeout")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), left)
        return _ok(self._take())

    def _take(self) -> dict[str, Any]:
        """The next update: new ones first; one read is replayed later while it may be."""
        queued = self._queue.popleft()
        queued.reads += 1
        if queued.reads == 1 and queued.replays_left >= 0:
            self._read.append(queued)
        if queued.replays_left > 0:
            queued.replays_left -= 1
            self._queue.append(queued)  # it will come again, after what is new
        self._touch()
        return queued.update

    async def _set_webhook(self, params: dict[str, Any]) -> web.Response:
        url, secret = str(params.get("url", "")), str(params.get("secret_token", ""))
        if not url.startswith(("https://", "http://127.0.0.1")):
            return _error(400, 400, "Bad Request: url must be HTTPS")
        if not 8 <= len(secret) <= 256:
            return _error(400, 400, "Bad Request: secret_token must be 8-256 characters")
        self.webhook = Webhook(url, secret, int(time.time() * 1000))
        self._kick_webhook()
        return _ok({"url": url, "updated_at": self.webhook.updated_at})

    async def _delete_webhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook = Webhook(updated_at=int(time.time() * 1000))
        return _ok({"url": "", "updated_at": self.webhook.updated_at})

    async def _get_webhook_info(self, params: dict[str, Any]) -> web.Response:
        if not self.webhook.url:
            return _error(404, 404, "Not Found")
        return _ok({"url": self.webhook.url, "updated_at": self.webhook.updated_at})

    def _chat_check(self, params: dict[str, Any]) -> web.Response | None:
        chat_id = str(params.get("chat_id") or "")
        if not chat_id:
            return _error(400, 400, "Bad Request: chat_id is required")
        if chat_id in self.blocked:
            return _error(403, 403, "Forbidden: the user does not accept messages from the bot")
        return None

    def _record(self, method: str, chat_id: str, **kw: str) -> web.Response:
        message = SentMessage(_hex_id(), chat_id, method, seq=next(self._seq), **kw)
        self.sent.append(message)
        self._touch()
        return _ok({"message_id": message.message_id, "date": int(time.time() * 1000)})

    async def _send_message(self, params: dict[str, Any]) -> web.Response:
        refused = self._chat_check(params)
        if refused is not None:
            return refused
        text = params.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT:
            return _error(400, 400, f"Bad Request: text must be 1-{MAX_TEXT} characters")
        return self._record("sendMessage", str(params["chat_id"]), text=text)

    async def _send_photo(self, params: dict[str, Any]) -> web.Response:
        refused = self._chat_check(params)
        if refused is not None:
            return refused
        photo, caption = str(params.get("photo") or ""), params.get("caption")
        if not photo.startswith(("http://", "https://")):
            return _error(400, 400, "Bad Request: photo must be an image URL")
        if caption is not None and not 1 <= len(str(caption)) <= MAX_TEXT:
            return _error(400, 400, f"Bad Request: caption must be 1-{MAX_TEXT} characters")
        return self._record("sendPhoto", str(params["chat_id"]), photo=photo, text=caption or "")

    async def _send_sticker(self, params: dict[str, Any]) -> web.Response:
        refused = self._chat_check(params)
        if refused is not None:
            return refused
        if not params.get("sticker"):
            return _error(400, 400, "Bad Request: sticker is required")
        return self._record("sendSticker", str(params["chat_id"]), sticker=str(params["sticker"]))

    async def _send_chat_action(self, params: dict[str, Any]) -> web.Response:
        refused = self._chat_check(params)
        if refused is not None:
            return refused
        if params.get("action") != "typing":
            return _error(400, 400, "Bad Request: action must be typing")
        return web.json_response({"ok": True})

    _METHODS: ClassVar[dict[str, Callable[[FakeZaloAPI, dict[str, Any]], Any]]] = {
        "getMe": _get_me,
        "getUpdates": _get_updates,
        "setWebhook": _set_webhook,
        "deleteWebhook": _delete_webhook,
        "getWebhookInfo": _get_webhook_info,
        "sendMessage": _send_message,
        "sendPhoto": _send_photo,
        "sendSticker": _send_sticker,
        "sendChatAction": _send_chat_action,
    }

    # -- webhook delivery ------------------------------------------------------------------
    def _kick_webhook(self, force: bool = False) -> None:
        if not self.webhook.url or (self._pusher is not None and not self._pusher.done()):
            return
        self._pusher = asyncio.get_running_loop().create_task(self._push())

    async def _push(self) -> None:
        """POST queued updates one at a time, in order; each until it is answered 200."""
        while self._queue and self.webhook.url:
            queued = self._queue[0]
            body = {"ok": True, "result": queued.update} if self.wrap_webhook else queued.update
            for attempt in range(self.webhook_max_attempts):
                status = await self._post(body)
                self.webhook_posts.append((status, body))
                self._touch()
                if status == 200:
                    break
                await asyncio.sleep(self.webhook_retry_delay * min(attempt + 1, 5))
            if self._queue and self._queue[0] is queued:
                self._queue.popleft()
                if queued.reads == 0:
                    self._read.append(queued)
                queued.reads += 1
            self._touch()

    async def _post(self, body: dict[str, Any]) -> int:
        assert self._session is not None
        try:
            async with self._session.post(
                self.webhook.url,
                json=body,
                headers={SECRET_HEADER: self.webhook.secret},
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response:
                return response.status
        except (aiohttp.ClientError, TimeoutError):
            return 0


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, code: int, description: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": code, "description": description}, status=status
    )
