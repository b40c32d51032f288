"""A small HTTP/1.1 server for a platform's webhook: a POST in, a status out, on keep-alive
connections; requests parsed by httptools (llhttp, Node's parser, as uvicorn uses it).

Why not aiohttp's server here: a webhook is one small JSON POST per update, answered with an
empty status, a few hundred times a second; aiohttp builds per request a request object,
header multidicts, a router match, a response object and a task — about 14 % of the Zalo
bot's CPU in bench/bench_chat.py (docs/benchmarks.md, session 4, helper `edges`). Here the
request's bytes go to llhttp, the handler is called with the whole body, and the answer is
one ``transport.write``; no task is made unless the handler's answer must wait.

The handler returns the status at once (an ``int``) or a future of it (a future that
resolves to None answers 200; one that fails answers 500): an update is answered only once
it is stored. Answers go out in the order of the requests on a connection (pipelining).
Limits: a body over ``max_body`` is answered 413, a request whose head is over ``max_head``
bytes 431, an unparsable one 400 — each closing the connection; a connection silent for
``idle_seconds`` with nothing in flight is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httptools

__all__ = ["HttpServer", "Request"]

log = logging.getLogger(__name__)

_REASONS = {
    200: b"OK",
    400: b"Bad Request",
    403: b"Forbidden",
    404: b"Not Found",
    405: b"Method Not Allowed",
    413: b"Payload Too Large",
    431: b"Request Header Fields Too Large",
    500: b"Internal Server Error",
}


@dataclass(frozen=True, slots=True)
class Request:
    """A whole request: header names in lower case."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Answer = int | asyncio.Future[Any]  # a future of an int status, or of None (200)
Handler = Callable[[Request], Answer]


def _status_line(status: int, keep_alive: bool) -> bytes:
    reason = _REASONS.get(status, b"Status")
    connection = b"" if keep_alive else b"Connection: close\r\n"
    return b"HTTP/1.1 %d %s\r\nContent-Length: 0\r\n%s\r\n" % (status, reason, connection)


class _Connection(asyncio.Protocol):
    """One client connection (module docstring)."""

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.active = 0.0  # loop time of the last byte received
        self._parser = httptools.HttpRequestParser(self)
        self._url: list[bytes] = []
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._size = 0
        self._head = 0
        self._answers: deque[tuple[Answer, bool]] = deque()  # in request order
        self._closing = False

    # -- asyncio.Protocol ----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.active = self.server.loop.time()
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        self.server.connections.discard(self)

    def data_received(self, data: bytes) -> None:
        self.active = self.server.loop.time()
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse(400)
        except httptools.HttpParserError:
            if not self._closing:
                self._refuse(400)

    # -- httptools' callbacks ------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self._url, self._headers, self._body, self._size, self._head = [], {}, [], 0, 0

    def on_url(self, url: bytes) -> None:
        self._grow_head(len(url))
        self._url.append(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._grow_head(len(name) + len(value))
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def _grow_head(self, size: int) -> None:
        self._head += size
        if self._head > self.server.max_head:
            self._refuse(431)
            raise httptools.HttpParserError("head too large")  # stop parsing this stream

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > self.server.max_body:
            self._refuse(413)
            raise httptools.HttpParserError("body too large")  # stop parsing this stream
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self._closing:
            return
        url = httptools.parse_url(b"".join(self._url))
        request = Request(
            self._parser.get_method().decode("latin-1"),
            (url.path or b"/").decode("latin-1"),
            self._headers,
            b"".join(self._body),
        )
        keep_alive = self._parser.should_keep_alive()
        try:
            answer: Answer = self.server.handler(request)
        except Exception as exc:  # a bug of the handler: its message may quote the request
            log.error("webhook handler failed: %s", type(exc).__name__)
            answer = 500
        self._answers.append((answer, keep_alive))
        if isinstance(answer, asyncio.Future):
            answer.add_done_callback(self._answered)
        else:
            self._flush()

    # -- answers -------------------------------------------------------------------------------
    def _answered(self, _future: asyncio.Future[Any]) -> None:
        self._flush()

    def _flush(self) -> None:
        """Write the answers that are ready, in request order."""
        while self._answers:
            answer, keep_alive = self._answers[0]
            if isinstance(answer, asyncio.Future):
                if not answer.done():
                    return
                status = _status_of(answer)
            else:
                status = answer
            self._answers.popleft()
            if self._closing or self.transport is None:
                continue  # the client left: the update is stored all the same
            self.transport.write(_status_line(status, keep_alive))
            if not keep_alive:
                self._close()

    def _refuse(self, status: int) -> None:
        if self._closing or self.transport is None:
            return
        if not self._answers:  # an answer still owed would come first: just close
            self.transport.write(_status_line(status, False))
        self._close()

    def _close(self) -> None:
        self._closing = True
        if self.transport is not None:
            self.transport.close()

    def idle_since(self, moment: float) -> bool:
        return not self._answers and self.active <= moment


def _status_of(future: asyncio.Future[Any]) -> int:
    if future.cancelled() or future.exception() is not None:
        return 500
    result = future.result()
    return 200 if result is None else int(result)


class HttpServer:
    """Serves ``handler`` on ``host``:``port`` (module docstring)."""

    def __init__(
        self,
        handler: Handler,
        *,
        max_body: int = 1024 * 1024,
        max_head: int = 16 * 1024,
        idle_seconds: float = 75.0,
    ) -> None:
        self.handler = handler
        self.max_body = max_body
        self.max_head = max_head
        self.idle_seconds = idle_seconds
        self.connections: set[_Connection] = set()
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.TimerHandle | None = None
        self.loop: asyncio.AbstractEventLoop = asyncio.get_running_loop()

    async def start(self, host: str, port: int) -> None:
        self._server = await self.loop.create_server(lambda: _Connection(self), host, port)
        self._sweep()

    def _sweep(self) -> None:
        """Close the connections silent for ``idle_seconds`` with nothing in flight."""
        before = self.loop.time() - self.idle_seconds
        for connection in [c for c in self.connections if c.idle_since(before)]:
            connection._close()
        self._sweeper = self.loop.call_later(min(15.0, self.idle_seconds), self._sweep)

    async def stop(self) -> None:
        """Stop listening and close every connection (answers still owed are not sent: the
        platform sends those updates again, and the inbox knows them)."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        if self._server is not None:
            self._server.close()
            for connection in list(self.connections):
                connection._close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None
