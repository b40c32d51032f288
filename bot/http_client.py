"""A small HTTP/1.1 client for the platforms' JSON calls: keep-alive connections, one request
at a time on each; the answers parsed by httptools (llhttp, the parser of Node.js and of
uvicorn: lengths, chunks, keep-alive rules are its, not ours).

Why not aiohttp's client here: a Bot API call is a small JSON POST to one host, made a few
hundred times a second, and aiohttp builds per call a request object, a URL, header
multidicts, a timer context, a response object and its stream — about 130–170 µs of CPU per
call on the bench machine, the largest single cost of the bot's edges (docs/benchmarks.md,
issue 17). This client writes the request bytes with one ``transport.write`` (a template per
method) and feeds the answer to llhttp (≈ 30 µs). Anything it does not need is left out:
no redirects, no cookies, no proxies, no compression (it does not ask for any).

Failures: :class:`HttpTimeout` when the answer did not come within ``timeout``;
:class:`HttpFailed` when the connection failed or closed before a whole answer. A
connection idle longer than ``idle_seconds`` (servers close theirs after a while) is closed
instead of reused; a reused connection that the server closed at the moment we wrote is
tried once more on a new connection only when nothing of the answer arrived and the request
could not have been read (the server closed before our write was acknowledged — see
:meth:`HttpClient.post`).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from typing import TypeAlias, cast
from urllib.parse import urlsplit

import httptools

__all__ = ["HttpClient", "HttpFailed", "HttpTimeout"]


class HttpFailed(Exception):
    """The connection failed or closed before a whole answer."""


class HttpTimeout(HttpFailed):
    """No whole answer within the timeout."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one request in flight at a time. The answer is parsed by
    httptools (llhttp, Node's parser, as uvicorn uses it): lengths, chunks, keep-alive."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.answer: asyncio.Future[tuple[int, bytes]] | None = None
        self.used_at = time.monotonic()
        self.received = False  # a byte of the current answer arrived
        self._parser = httptools.HttpResponseParser(self)
        self._body: list[bytes] = []
        self._headers_done = False

    # -- asyncio.Protocol ----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # a stream transport (a TCP connection), but not always a subclass of asyncio's
        # Transport: uvloop's are its own classes with the same methods
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        answer = self.answer
        if answer is None or answer.done():
            return
        if self._headers_done and self._parser.get_status_code() and self._until_close():
            answer.set_result((self._parser.get_status_code(), b"".join(self._body)))
        else:
            answer.set_exception(HttpFailed(f"connection closed: {exc or 'by the server'}"))

    def data_received(self, data: bytes) -> None:
        self.received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(f"not an HTTP answer: {type(exc).__name__}")

    # -- httptools' callbacks ------------------------------------------------------------------
    def on_headers_complete(self) -> None:
        self._headers_done = True

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        answer, self.answer = self.answer, None
        if answer is not None and not answer.done():
            answer.set_result((self._parser.get_status_code(), b"".join(self._body)))
        if not self._parser.should_keep_alive() and self.transport is not None:
            self.transport.close()
            self.closed = True

    # -- the answer ----------------------------------------------------------------------------
    def _until_close(self) -> bool:
        """Whether the answer's body runs until the connection closes (no length given)."""
        return not self._parser.should_keep_alive()

    def _reset(self) -> None:
        """Ready for the next answer on this connection. The parser is the connection's own
        (llhttp parses one keep-alive answer after another): a parser made per request cost
        ≈ 4 000 instructions, mostly the failed look-ups of the callbacks we do not define."""
        self._body = []
        self._headers_done = False

    def _fail(self, reason: str) -> None:
        answer = self.answer
        if answer is not None and not answer.done():
            answer.set_exception(HttpFailed(reason))
        if self.transport is not None:
            self.transport.close()
        self.closed = True

    # -- a request -----------------------------------------------------------------------------
    def start(
        self, request: bytes, loop: asyncio.AbstractEventLoop
    ) -> asyncio.Future[tuple[int, bytes]]:
        assert self.transport is not None
        self.answer = loop.create_future()
        self.received = False
        self._reset()
        self.transport.write(request)
        return self.answer


Answer: TypeAlias = asyncio.Future[tuple[int, bytes]]


def _expire(answer: Answer) -> None:
    if not answer.done():
        answer.set_exception(HttpTimeout("no answer in time"))


class _Deadlines:
    """The answers awaited and when each expires, watched by ONE timer set for the soonest
    (a timer per call cost a heap push and a cancelled handle per request). Calls with the
    same timeout end in the order they began, so the timer rarely moves: it fires about
    once per timeout, expires what is due and is set again for the soonest left."""

    def __init__(self) -> None:
        self._due: dict[Answer, float] = {}
        self._timer: asyncio.TimerHandle | None = None

    def add(self, answer: Answer, timeout: float, loop: asyncio.AbstractEventLoop) -> None:
        deadline = loop.time() + timeout
        self._due[answer] = deadline
        timer = self._timer
        if timer is None or deadline < timer.when():
            if timer is not None:
                timer.cancel()
            self._timer = loop.call_at(deadline, self._fire, loop)

    def discard(self, answer: Answer) -> None:
        self._due.pop(answer, None)

    def _fire(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        now = loop.time()
        for answer, deadline in list(self._due.items()):
            if deadline <= now:
                del self._due[answer]
                _expire(answer)
        if self._due:
            self._timer = loop.call_at(min(self._due.values()), self._fire, loop)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._due.clear()


#: The content type of a Bot API call's body (every call but an upload).
JSON = b"application/json"


class HttpClient:
    """Keep-alive connections to one origin (``base_url``'s scheme, host and port)."""

    def __init__(
        self,
        base_url: str,
        *,
        limit: int = 256,
        idle_seconds: float = 15.0,
        user_agent: str = "knd-bot",
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: scheme {parts.scheme!r}")
        self.secure = parts.scheme == "https"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (443 if self.secure else 80)
        default_port = self.port == (443 if self.secure else 80)
        self._host_header = (self.host if default_port else f"{self.host}:{self.port}").encode(
            "idna"
        )
        self._user_agent = user_agent.encode()
        self.idle_seconds = idle_seconds
        self._ssl = (ssl_context or ssl.create_default_context()) if self.secure else None
        self._idle: deque[_Connection] = deque()
        self._slots = asyncio.Semaphore(limit)
        self._open: set[_Connection] = set()
        self._heads: dict[tuple[str, bytes], bytes] = {}  # (path, content type) -> head
        self._deadlines = _Deadlines()

    def request_bytes(self, path: str, body: bytes, content_type: bytes = JSON) -> bytes:
        """The whole request (head and body) for a POST of ``body`` to ``path``: the head up
        to the length is made once per path for JSON (a handful: one per method), for
        another type (a multipart body's, whose boundary is new each time) each time."""
        head = self._heads.get((path, content_type)) if content_type == JSON else None
        if head is None:
            if len(self._heads) >= 64:  # paths are few; this only bounds the memory
                self._heads.clear()
            head = b"".join(
                (
                    b"POST ",
                    path.encode(),
                    b" HTTP/1.1\r\nHost: ",
                    self._host_header,
                    b"\r\nUser-Agent: ",
                    self._user_agent,
                    b"\r\nContent-Type: ",
                    content_type,
                    b"\r\nConnection: keep-alive\r\nContent-Length: ",
                )
            )
            if content_type == JSON:
                self._heads[(path, content_type)] = head
        return b"".join((head, str(len(body)).encode(), b"\r\n\r\n", body))

    async def post(
        self, path: str, body: bytes, timeout: float | None, content_type: bytes = JSON
    ) -> tuple[int, bytes]:
        """POST ``body`` (JSON, unless ``content_type`` says otherwise) to ``path``; returns
        the status and the answer's body."""
        request = self.request_bytes(path, body, content_type)
        async with self._slots:
            for attempt in (1, 2):
                connection, reused = await self._connection(timeout)
                loop = asyncio.get_running_loop()
                answer = connection.start(request, loop)
                # the answer's deadline (asyncio.wait_for costs a task's worth per call)
                if timeout is not None:
                    self._deadlines.add(answer, timeout, loop)
                try:
                    result = await answer
                except HttpTimeout:
                    self._drop(connection)
                    raise
                except HttpFailed:
                    self._drop(connection)
                    # a kept connection the server had closed before it read our request
                    # (nothing came back): the request is sent again once, on a new one
                    if reused and attempt == 1 and not connection.received:
                        continue
                    raise
                except BaseException:
                    self._drop(connection)  # cancelled mid-answer: the connection is spent
                    raise
                finally:
                    self._deadlines.discard(answer)
                self._release(connection)
                return result
        raise AssertionError("unreachable")

    async def _connection(self, timeout: float | None) -> tuple[_Connection, bool]:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed and now - connection.used_at < self.idle_seconds:
                return connection, True
            self._drop(connection)
        loop = asyncio.get_running_loop()
        try:
            opening = loop.create_connection(
                _Connection,
                self.host,
                self.port,
                ssl=self._ssl,
                server_hostname=self.host if self._ssl else None,
            )
            # asyncio.timeout, not wait_for: Python 3.11's wait_for drops a cancellation that
            # arrives as the connection opens, and the call then ran on to its answer (a
            # stopped bot's long poll held its stop for the poll's 10 s)
            async with asyncio.timeout(timeout):
                _transport, connection = await opening
        except TimeoutError as exc:
            raise HttpTimeout(f"could not connect within {timeout} s") from exc
        except OSError as exc:
            raise HttpFailed(f"could not connect: {type(exc).__name__}") from exc
        self._open.add(connection)
        return connection, False

    def _release(self, connection: _Connection) -> None:
        if connection.closed:
            self._open.discard(connection)
            return
        connection.used_at = time.monotonic()
        self._idle.append(connection)

    def _drop(self, connection: _Connection) -> None:
        self._open.discard(connection)
        if connection.transport is not None and not connection.closed:
            connection.transport.close()
        connection.closed = True

    async def close(self) -> None:
        """Close every connection."""
        for connection in list(self._open):
            self._drop(connection)
        self._idle.clear()
        self._deadlines.close()
