"""A small HTTP/1.1 client for the platforms' JSON calls: keep-alive connections, one request
at a time on each, the body read by ``Content-Length`` (or chunks).

Why not aiohttp's client here: a Bot API call is a small JSON POST to one host, made a few
hundred times a second, and aiohttp builds per call a request object, a URL, header
multidicts, a timer context, a response object and its stream — about 130–170 µs of CPU per
call on the bench machine, the largest single cost of the bot's edges (docs/benchmarks.md,
issue 17). This client writes the request bytes with one ``transport.write`` (a template per
method) and parses the answer in place (≈ 30 µs). Anything it does not need is left out:
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
from urllib.parse import urlsplit

__all__ = ["HttpClient", "HttpFailed", "HttpTimeout"]


class HttpFailed(Exception):
    """The connection failed or closed before a whole answer."""


class HttpTimeout(HttpFailed):
    """No whole answer within the timeout."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one request in flight at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.answer: asyncio.Future[tuple[int, bytes]] | None = None
        self.used_at = time.monotonic()
        self.received = False  # a byte of the current answer arrived
        self._buffer = bytearray()
        self._status = 0
        self._length = -1  # body length; -2: chunked; -3: until the connection closes
        self._head_end = -1
        self._keep = True

    # -- asyncio.Protocol ----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        answer = self.answer
        if answer is not None and not answer.done():
            if self._length == -3 and self._head_end >= 0:
                answer.set_result((self._status, bytes(self._buffer[self._head_end :])))
            else:
                answer.set_exception(HttpFailed(f"connection closed: {exc or 'by the server'}"))

    def data_received(self, data: bytes) -> None:
        self.received = True
        buffer = self._buffer
        buffer += data
        if self._head_end < 0 and not self._read_head():
            return
        status = self._status
        body = self._body()
        if body is None:
            return
        answer = self.answer
        if answer is not None and not answer.done():
            answer.set_result((status, body))
        self.answer = None
        if not self._keep and self.transport is not None:
            self.transport.close()
            self.closed = True

    # -- the answer ----------------------------------------------------------------------------
    def _read_head(self) -> bool:
        buffer = self._buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        lines = bytes(buffer[:end]).split(b"\r\n")
        status_line = lines[0].split(b" ", 2)
        if len(status_line) < 2 or not status_line[0].startswith(b"HTTP/1."):
            self._fail("not an HTTP answer")
            return False
        self._status = int(status_line[1])
        self._keep = status_line[0] == b"HTTP/1.1"
        self._length = -3
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                self._length = int(value.strip())
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                self._length = -2
            elif name == b"connection":
                token = value.strip().lower()
                self._keep = token == b"keep-alive" or (self._keep and token != b"close")
        if self._length == -3:
            self._keep = False
        self._head_end = end + 4
        return True

    def _body(self) -> bytes | None:
        start, buffer = self._head_end, self._buffer
        body: bytes | None = None
        if self._length >= 0:
            if len(buffer) - start < self._length:
                return None
            body = bytes(buffer[start : start + self._length])
        elif self._length == -2:
            body = self._chunks()
        if body is None:
            return None  # more to come (or, without a length, until the connection closes)
        self._reset()
        return body

    def _chunks(self) -> bytes | None:
        buffer, at = self._buffer, self._head_end
        parts: list[bytes] = []
        while True:
            line_end = buffer.find(b"\r\n", at)
            if line_end < 0:
                return None
            size = int(bytes(buffer[at:line_end]).split(b";")[0], 16)
            if size == 0:
                if buffer.find(b"\r\n\r\n", line_end) < 0:
                    return None  # the end of the (usually empty) trailer
                return b"".join(parts)
            begin = line_end + 2
            if len(buffer) < begin + size + 2:
                return None
            parts.append(bytes(buffer[begin : begin + size]))
            at = begin + size + 2

    def _reset(self) -> None:
        self._buffer = bytearray()
        self._head_end, self._length, self._status = -1, -1, 0

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


def _expire(answer: asyncio.Future[tuple[int, bytes]]) -> None:
    if not answer.done():
        answer.set_exception(HttpTimeout("no answer in time"))


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

    def request_bytes(
        self, path: str, body: bytes, content_type: bytes = b"application/json"
    ) -> bytes:
        """The whole request (head and body) for a POST of ``body`` to ``path``."""
        return b"".join(
            (
                b"POST ",
                path.encode(),
                b" HTTP/1.1\r\nHost: ",
                self._host_header,
                b"\r\nUser-Agent: ",
                self._user_agent,
                b"\r\nContent-Type: ",
                content_type,
                b"\r\nContent-Length: ",
                str(len(body)).encode(),
                b"\r\nConnection: keep-alive\r\n\r\n",
                body,
            )
        )

    async def post(self, path: str, body: bytes, timeout: float | None) -> tuple[int, bytes]:
        """POST ``body`` (JSON) to ``path``; returns the status and the answer's body."""
        request = self.request_bytes(path, body)
        async with self._slots:
            for attempt in (1, 2):
                connection, reused = await self._connection(timeout)
                loop = asyncio.get_running_loop()
                answer = connection.start(request, loop)
                # a timer on the answer (asyncio.wait_for costs a task's worth per call)
                timer = None if timeout is None else loop.call_later(timeout, _expire, answer)
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
                    if timer is not None:
                        timer.cancel()
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
            if timeout is None:
                _transport, connection = await opening
            else:
                _transport, connection = await asyncio.wait_for(opening, timeout)
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
