"""An aiohttp transport for python-telegram-bot, with our keep-alive client for the JSON calls.

Why not PTB's default (httpx): under load its connection pool costs O(open connections) per
request (httpcore checks every pooled connection's socket on each request). With a few hundred
people answering at once that was about half of the bot's CPU in bench/bench_chat.py. aiohttp's
pool is O(1) per request and its parser is in C, so the same machine serves several times more
updates. Behaviour is PTB's: same timeouts, same errors (TimedOut, NetworkError), parameters
sent as a JSON body, files as multipart.

:func:`call_json` is the hot path for the calls whose answer we read as JSON (getUpdates,
sendMessage, editMessageText, answerCallbackQuery): the parameters encoded once with orjson,
the answer decoded once with orjson; a success (2xx) is read at once, any other answer is
handed to PTB's ``_request_wrapper`` (as :class:`Answered`), so a refusal raises exactly the
exception PTB's typed methods raise (``BadRequest``, ``Forbidden``, ``RetryAfter``,
``ChatMigrated``, ``NetworkError``…). What it skips is what a long-running
bot pays per call for nothing: ``Bot._post``'s copies of the parameters and its two debug
log calls, ``RequestParameter`` objects per parameter, the stdlib JSON round trips, and the
``Message`` PTB would rebuild from every answer (about a hundred guarded attribute
assignments) when we only read ``message_id``. ``_request_wrapper`` is PTB's private API;
the end-to-end tests against the fake Bot API exercise every refusal through it, so a PTB
upgrade that changes it fails loudly. Those JSON calls go over
:class:`bot.http_client.HttpClient` (one request's bytes written at once, the answer parsed in
place: ≈ 100 µs of CPU less per call than aiohttp's client); documents and photos (multipart)
still go through aiohttp.
"""

from __future__ import annotations

import json
import mimetypes
from typing import Any

import aiohttp
import orjson
from telegram import Bot, InputFile
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.http_client import JSON, HttpClient, HttpFailed, HttpTimeout

__all__ = ["AiohttpRequest", "call_json", "call_upload"]

_JSON = {"Content-Type": "application/json"}


class Answered:
    """An answer already received (status and body): handed to ``_request_wrapper``, whose
    ``do_request`` returns it, so PTB maps a refusal exactly as for its typed methods."""

    __slots__ = ("body", "status")

    def __init__(self, status: int, body: bytes) -> None:
        self.status, self.body = status, body


async def call_json(
    bot: Bot,
    method: str,
    params: dict[str, Any],
    *,
    read_timeout: float | None = None,
) -> Any:
    """Call Bot API ``method`` and return its raw JSON ``result`` (module docstring).

    None values are not sent (as ``Bot._post`` does). Over a transport other than
    :class:`AiohttpRequest` this is ``Bot._post``. A success (2xx) is read here; any other
    answer goes through PTB's ``_request_wrapper`` (:class:`Answered`), which raises PTB's
    exception for it."""
    params = {key: value for key, value in params.items() if value is not None}
    timeout: Any = BaseRequest.DEFAULT_NONE if read_timeout is None else read_timeout
    request = bot._request[0] if method == "getUpdates" else bot._request[1]
    if not isinstance(request, AiohttpRequest):
        return await bot._post(method, params, read_timeout=timeout)
    url = f"{bot.base_url}/{method}"
    try:
        status, payload = await request.post_json(url, orjson.dumps(params), timeout)
    except TelegramError:
        raise
    except Exception as exc:  # as PTB's wrapper does
        raise NetworkError(f"Unknown error in HTTP implementation: {exc!r}") from exc
    if not 200 <= status <= 299:
        answered: Any = Answered(status, payload)
        await request._request_wrapper(url=url, method="POST", request_data=answered)
        raise NetworkError(f"HTTP {status}")  # not reached: the wrapper raises
    return orjson.loads(payload)["result"]


async def call_upload(
    bot: Bot, method: str, params: dict[str, Any], field: str, filename: str, content: bytes
) -> Any:
    """Upload ``content`` as ``field`` of Bot API ``method`` (sendDocument) and return the raw
    JSON ``result``: the multipart body is aiohttp's (``FormData``, as for PTB's typed methods
    over :class:`AiohttpRequest`), made whole and sent over the keep-alive client every text
    takes (:meth:`AiohttpRequest.post_body`: one write, one wait for the answer), the answer
    read as :func:`call_json` reads it — no ``Message`` rebuilt from it, no ``InputFile`` or
    ``RequestData`` built for it (issue 17: PTB's ``send_document`` cost ≈ 1.1 ms of the loop
    per draft, a text ≈ 0.1 ms; 475 drafts of a saturated bench arrive together, and each
    turn of a busy loop an upload waits for is a turn behind every other task). A refusal
    goes through PTB's ``_request_wrapper``. Parameters are encoded as PTB encodes them
    (strings as they are, the rest as JSON; None not sent) and the file's type guessed from
    its name as PTB's ``InputFile`` does."""
    request = bot._request[1]
    if not isinstance(request, AiohttpRequest):
        files = {field: InputFile(content, filename=filename)}
        return await bot._post(method, {**params, **files})
    form = aiohttp.FormData()
    for name, value in params.items():
        if value is not None:
            form.add_field(name, value if isinstance(value, str) else json.dumps(value))
    mime = mimetypes.guess_type(filename, strict=False)[0] or "application/octet-stream"
    form.add_field(field, content, filename=filename, content_type=mime)
    multipart = form()
    body = await multipart.as_bytes()
    url = f"{bot.base_url}/{method}"
    status, payload = await request.post_body(url, body, multipart.content_type.encode())
    if not 200 <= status <= 299:
        answered: Any = Answered(status, payload)
        await request._request_wrapper(url=url, method="POST", request_data=answered)
        raise NetworkError(f"HTTP {status}")  # not reached: the wrapper raises
    return orjson.loads(payload)["result"]


class AiohttpRequest(BaseRequest):
    """PTB ``BaseRequest`` over one ``aiohttp.ClientSession`` (created in ``initialize``)."""

    __slots__ = (
        "_clients",
        "_connect_timeout",
        "_limit",
        "_media_write_timeout",
        "_pool_timeout",
        "_read_timeout",
        "_routes",
        "_session",
        "_timeouts",
        "_write_timeout",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 30.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._limit = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[Any, ...], aiohttp.ClientTimeout] = {}
        self._clients: dict[str, HttpClient] = {}  # origin -> its client
        self._routes: dict[str, tuple[HttpClient, str]] = {}  # URL -> its client and path

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._limit, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                json_serialize=json.dumps,
                cookie_jar=aiohttp.DummyCookieJar(),  # the Bot API sets none
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None
        for client in self._clients.values():
            await client.close()
        self._clients.clear()
        self._routes.clear()

    def _client(self, url: str) -> tuple[HttpClient, str]:
        """The keep-alive client of ``url``'s origin, and ``url``'s path (remembered per URL:
        one per Bot API method)."""
        found = self._routes.get(url)
        if found is not None:
            return found
        start = url.find("/", url.find("://") + 3)
        origin = url[:start]
        client = self._clients.get(origin)
        if client is None:
            client = HttpClient(origin, limit=self._limit, user_agent=self.USER_AGENT)
            self._clients[origin] = client
        if len(self._routes) >= 256:  # methods are few; this only bounds the memory
            self._routes.clear()
        found = self._routes[url] = (client, url[start:])
        return found

    async def post_json(self, url: str, body: bytes, read_timeout: Any) -> tuple[int, bytes]:
        """POST a JSON ``body`` to ``url`` over our keep-alive client (:func:`call_json`),
        bounded by PTB's read, write and connect timeouts together; TimedOut or
        NetworkError as PTB raises them."""
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = self._read_timeout if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        return await self._post_json(url, body, read, self._write_timeout, self._connect_timeout)

    async def _post_json(
        self,
        url: str,
        body: bytes,
        read: float | None,
        write: float | None,
        connect: float | None,
        content_type: bytes = JSON,
    ) -> tuple[int, bytes]:
        client, path = self._client(url)
        bounds = [t for t in (read, write, connect) if t is not None]
        try:
            return await client.post(path, body, sum(bounds) if bounds else None, content_type)
        except HttpTimeout as exc:
            raise TimedOut from exc
        except HttpFailed as exc:
            raise NetworkError(f"{type(exc).__name__}: {exc}") from exc

    async def post_body(self, url: str, body: bytes, content_type: bytes) -> tuple[int, bytes]:
        """POST a whole multipart ``body`` (:func:`call_upload`) over our keep-alive client,
        bounded by PTB's timeouts for a file (read, media write and connect together);
        TimedOut or NetworkError as PTB raises them."""
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        return await self._post_json(
            url,
            body,
            self._read_timeout,
            self._media_write_timeout,
            self._connect_timeout,
            content_type,
        )

    def _timeout(
        self, read: float | None, write: float | None, connect: float | None, pool: float | None
    ) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts for PTB's four, built once per combination (a handful)."""
        key = (read, write, connect, pool)
        timeout = self._timeouts.get(key)
        if timeout is None:
            # aiohttp's "connect" covers waiting for a pooled connection too; "sock_read"
            # bounds the wait for each chunk of the answer (a long poll's timeout is added by
            # PTB).
            waiting = None if connect is None and pool is None else (connect or 0) + (pool or 0)
            both = None if read is None and write is None else (read or 0) + (write or 0)
            timeout = aiohttp.ClientTimeout(
                total=None, connect=waiting, sock_connect=connect, sock_read=both
            )
            self._timeouts[key] = timeout
        return timeout

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | Answered | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if isinstance(request_data, Answered):  # call_json's answer, for PTB to map
            return request_data.status, request_data.body
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = None
        if isinstance(request_data, RequestData) and request_data.contains_files:
            files = request_data.multipart_data
        unset = BaseRequest.DEFAULT_NONE
        read = self._read_timeout if read_timeout is unset else read_timeout
        connect = self._connect_timeout if connect_timeout is unset else connect_timeout
        write = self._write_timeout if write_timeout is unset else write_timeout
        pool = self._pool_timeout if pool_timeout is unset else pool_timeout
        if files and write_timeout is unset:
            write = self._media_write_timeout
        timeout = self._timeout(read, write, connect, pool)
        kwargs: dict[str, Any] = {"timeout": timeout}
        if files:
            form = aiohttp.FormData()
            for name, value in request_data.json_parameters.items():  # type: ignore[union-attr]
                form.add_field(name, value)
            for name, part in files.items():
                filename, content = part[0], part[1]
                mime = part[2] if len(part) > 2 else "application/octet-stream"
                if not isinstance(content, bytes | bytearray):
                    content = content.read()
                form.add_field(name, content, filename=filename, content_type=mime)
            kwargs["data"] = form
        elif isinstance(request_data, RequestData):
            kwargs["data"] = json.dumps(request_data.parameters).encode()
            kwargs["headers"] = _JSON
        try:
            async with session.request(method, url, **kwargs) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
