"""Our own thin async client for the Zalo Bot Platform API (no third-party Zalo SDK: none is
mature, see docs/architecture.md).

Every method is ``POST {base}/bot{token}/{method}`` with a JSON body; answers are
``{"ok": true, "result": …}`` or ``{"ok": false, "error_code": …, "description": …}``. Errors
are typed by what a caller can do about them (:class:`ZaloRetryable`: try the same call again;
everything else: do not). Two statuses are not errors: an idle long poll ends with 408
("no message"), and ``getWebhookInfo`` on a bot without a webhook answers 404.

Calls go over :class:`bot.http_client.HttpClient` (our keep-alive HTTP/1.1 client: a tenth of
aiohttp's client's CPU per call); an aiohttp ``session`` given to the constructor is used
instead.

The token is part of every URL, so it never appears in an error or a log line: errors are
built from the method name and Zalo's description only, and :func:`redact` scrubs any text
that might still carry it (an aiohttp exception quoting the URL).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from bot.http_client import HttpClient, HttpFailed, HttpTimeout

DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com"
MAX_TEXT = 2000  # sendMessage text and sendPhoto caption: 1..2000 characters
_JSON = {"Content-Type": "application/json"}


class ZaloError(Exception):
    """A call to the Zalo Bot API failed; ``code`` is the HTTP or Zalo error code."""

    retryable = False

    def __init__(self, method: str, code: int, description: str) -> None:
        super().__init__(f"{method}: {code} {description}".strip())
        self.method = method
        self.code = code
        self.description = description


class ZaloRetryable(ZaloError):
    """Network failure, timeout, 429 or 5xx: the same call may succeed later."""

    retryable = True

    def __init__(
        self, method: str, code: int, description: str, retry_after: float | None = None
    ) -> None:
        super().__init__(method, code, description)
        self.retry_after = retry_after


class ZaloUnauthorized(ZaloError):
    """401: the token is wrong or revoked."""


class ZaloForbidden(ZaloError):
    """403: the person or group does not accept the bot's messages."""


class ZaloBadRequest(ZaloError):
    """400 (and other 4xx): this call will never be accepted as it is."""


class ZaloNotFound(ZaloError):
    """404: no such method or object (also a missing webhook on some hosts)."""


@dataclass(frozen=True, slots=True)
class BotInfo:
    id: str
    account_name: str
    display_name: str = ""
    account_type: str = ""
    can_join_groups: bool = False


@dataclass(frozen=True, slots=True)
class WebhookInfo:
    url: str
    updated_at: int = 0


@dataclass(frozen=True, slots=True)
class Sent:
    message_id: str
    date: int = 0


def redact(text: str, token: str) -> str:
    """``text`` without the token (nor its secret half)."""
    if token:
        text = text.replace(token, "<token>")
        secret = token.partition(":")[2]
        if len(secret) >= 8:
            text = text.replace(secret, "<token>")
    return text


def _error(method: str, status: int, body: dict[str, Any]) -> ZaloError:
    code = int(body.get("error_code") or status)
    description = str(body.get("description") or "")
    if status == 429 or code == 429:
        after = body.get("parameters", {}).get("retry_after") if isinstance(body, dict) else None
        return ZaloRetryable(method, code, description, float(after) if after else None)
    if status >= 500 or status in (408, 0):
        return ZaloRetryable(method, code, description)
    kinds: dict[int, type[ZaloError]] = {
        401: ZaloUnauthorized,
        403: ZaloForbidden,
        404: ZaloNotFound,
    }
    return kinds.get(status, kinds.get(code, ZaloBadRequest))(method, code, description)


class ZaloBotClient:
    """The Bot API's methods (module docstring). Use as an async context manager, or call
    :meth:`close`; a ``session`` given is not closed."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 20.0,
        connections: int = 64,
    ) -> None:
        if not token:
            raise ValueError("no Zalo bot token")
        self._token = token
        self.base_url = base_url.rstrip("/")
        self._prefix = f"{self.base_url}/bot{token}/"
        self._session = session
        self._own_session = session is None
        self.timeout = timeout
        self.connections = connections
        self._limits: dict[float, aiohttp.ClientTimeout] = {}
        self._path = f"{urlsplit(self.base_url).path}/bot{token}/"
        self._client: HttpClient | None = None

    def __repr__(self) -> str:
        return f"ZaloBotClient(base_url={self.base_url!r}, token=<token>)"

    async def __aenter__(self) -> ZaloBotClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
        self._session = None
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def _post(self, method: str, body: bytes, seconds: float) -> tuple[int, bytes]:
        """POST ``body`` to ``method``: its status and answer (errors: the caller's)."""
        if self._session is not None:  # a session the caller gave
            limit = self._limits.get(seconds)
            if limit is None:
                limit = self._limits[seconds] = aiohttp.ClientTimeout(total=seconds)
            async with self._session.post(
                self._prefix + method, data=body, headers=_JSON, timeout=limit
            ) as response:
                return response.status, await response.read()
        if self._client is None:
            self._client = HttpClient(self.base_url, limit=self.connections)
        try:
            return await self._client.post(self._path + method, body, seconds)
        except HttpTimeout:
            raise TimeoutError from None
        except HttpFailed as exc:
            raise aiohttp.ClientConnectionError(str(exc)) from None

    async def call(
        self, method: str, params: dict[str, Any], *, timeout: float | None = None
    ) -> Any:
        """One Bot API call; its ``result``, or a typed :class:`ZaloError`. The session (and its
        connections) is made once and reused by every call."""
        if None in params.values():
            params = {k: v for k, v in params.items() if v is not None}
        try:
            status, raw = await self._post(method, orjson.dumps(params), timeout or self.timeout)
        except TimeoutError:
            raise ZaloRetryable(method, 0, "timed out") from None
        except aiohttp.ClientError as exc:
            reason = redact(f"{type(exc).__name__}: {exc}", self._token)
            raise ZaloRetryable(method, 0, reason) from None
        try:
            answer = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        if status == 200 and answer.get("ok"):
            return answer.get("result")
        if status == 200:  # ok: false with a 200: Zalo's own code decides
            status = int(answer.get("error_code") or 400)
        if not answer.get("description"):
            answer["description"] = redact(raw[:200].decode("utf-8", "replace"), self._token)
        raise _error(method, status, answer)

    # -- the documented methods -----------------------------------------------------------
    async def get_me(self) -> BotInfo:
        r = await self.call("getMe", {})
        return BotInfo(
            id=str(r.get("id", "")),
            account_name=str(r.get("account_name", "")),
            display_name=str(r.get("display_name") or r.get("account_name") or ""),
            account_type=str(r.get("account_type", "")),
            can_join_groups=bool(r.get("can_join_groups", False)),
        )

    async def get_updates(self, timeout: int = 30) -> list[dict[str, Any]]:
        """The pending updates (Zalo answers one update, or a list); [] when an idle long
        poll ended (408). Without an offset, updates already read come again: the caller
        recognises them (the inbox)."""
        try:
            result = await self.call("getUpdates", {"timeout": str(timeout)}, timeout=timeout + 10)
        except ZaloRetryable as exc:
            if exc.code == 408:
                return []
            raise
        if result is None:
            return []
        return [
            u for u in (result if isinstance(result, list) else [result]) if isinstance(u, dict)
        ]

    async def set_webhook(self, url: str, secret_token: str) -> WebhookInfo:
        if not 8 <= len(secret_token) <= 256:
            raise ValueError("the webhook secret token must be 8 to 256 characters")
        r = await self.call("setWebhook", {"url": url, "secret_token": secret_token})
        return WebhookInfo(str(r.get("url", url)), int(r.get("updated_at") or 0))

    async def delete_webhook(self) -> WebhookInfo:
        r = await self.call("deleteWebhook", {})
        return WebhookInfo(str((r or {}).get("url", "")), int((r or {}).get("updated_at") or 0))

    async def get_webhook_info(self) -> WebhookInfo:
        """The webhook set (its url empty when none; some hosts answer 404 then)."""
        try:
            r = await self.call("getWebhookInfo", {})
        except ZaloNotFound:
            return WebhookInfo("")
        return WebhookInfo(str((r or {}).get("url", "")), int((r or {}).get("updated_at") or 0))

    async def send_message(self, chat_id: str, text: str) -> Sent:
        if not 1 <= len(text) <= MAX_TEXT:
            raise ValueError(f"a Zalo message is 1 to {MAX_TEXT} characters")
        return _sent(await self.call("sendMessage", {"chat_id": chat_id, "text": text}))

    async def send_photo(self, chat_id: str, photo_url: str, caption: str = "") -> Sent:
        params = {"chat_id": chat_id, "photo": photo_url, "caption": caption or None}
        return _sent(await self.call("sendPhoto", params))

    async def send_sticker(self, chat_id: str, sticker: str) -> Sent:
        return _sent(await self.call("sendSticker", {"chat_id": chat_id, "sticker": sticker}))

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        await self.call("sendChatAction", {"chat_id": chat_id, "action": action})


def _sent(result: Any) -> Sent:
    result = result if isinstance(result, dict) else {}
    return Sent(str(result.get("message_id", "")), int(result.get("date") or 0))
