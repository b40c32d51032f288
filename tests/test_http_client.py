"""bot/http_client.py against a raw HTTP/1.1 server whose every answer the test writes byte by
byte: keep-alive reuse, chunked and close-delimited bodies, answers cut into pieces, a server
closing a kept connection, timeouts; and, through PTB's request layer, the errors PTB raises."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from telegram import Bot
from telegram.error import BadRequest, RetryAfter, TimedOut

from bot.http_client import HttpClient, HttpFailed, HttpTimeout
from bot.telegram_request import AiohttpRequest, call_json

Answer = Callable[[bytes, int], list[bytes] | None]  # request, its number → pieces (None: hang)


def ok(body: bytes, extra: bytes = b"") -> list[bytes]:
    return [b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n" % (len(body), extra) + body]


class Server:
    """Reads each request whole (head and ``Content-Length`` body) and writes what ``answer``
    returns, piece by piece; counts connections and requests."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.connections = 0
        self.requests: list[bytes] = []
        self.writers: list[asyncio.StreamWriter] = []
        self.close_after_answer = False
        self.tasks: list[asyncio.Task[None]] = []

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        task = asyncio.current_task()
        assert task is not None
        self.tasks.append(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                pieces = self.answer(request, len(self.requests))
                if pieces is None:
                    await asyncio.sleep(3600)
                    return
                for piece in pieces:
                    writer.write(piece)
                    await writer.drain()
                    await asyncio.sleep(0)
                if self.close_after_answer:
                    writer.close()
                    return
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()


@asynccontextmanager
async def running(answer: Answer) -> AsyncIterator[tuple[Server, str]]:
    server = Server(answer)
    listening = await asyncio.start_server(server.serve, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    try:
        yield server, f"http://127.0.0.1:{port}"
    finally:
        for writer in server.writers:
            writer.close()
        for task in server.tasks:
            task.cancel()
        await asyncio.gather(*server.tasks, return_exceptions=True)
        listening.close()


async def test_posts_share_one_kept_connection_and_send_a_whole_request() -> None:
    async with running(lambda request, n: ok(b'{"n": %d}' % n)) as (server, url):
        client = HttpClient(url + "/bot1")
        for n in (1, 2, 3):
            assert await client.post("/bot1/sendMessage", b'{"a": 1}', 5) == (
                200,
                b'{"n": %d}' % n,
            )
        await client.close()
    assert server.connections == 1
    head, _, body = server.requests[0].partition(b"\r\n\r\n")
    assert head.startswith(b"POST /bot1/sendMessage HTTP/1.1\r\n")
    assert b"\r\nContent-Type: application/json" in head
    assert b"\r\nContent-Length: 8" in head
    assert body == b'{"a": 1}'


async def test_answers_cut_anywhere_chunked_or_closed_are_read_whole() -> None:
    whole = b'{"ok":true,"result":{"message_id":7}}'

    def answer(request: bytes, n: int) -> list[bytes]:
        if n == 1:  # one byte at a time
            return [bytes([b]) for b in ok(whole)[0]]
        if n == 2:  # chunked, chunks split across writes
            head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            rest = b"\r\n%x\r\n" % (len(whole) - 5) + whole[5:]
            return [head + b"5\r\n" + whole[:5], rest, b"\r\n0\r\n\r\n"]
        # HTTP/1.0 without a length: the body runs until the server closes
        server.close_after_answer = True
        return [b"HTTP/1.0 200 OK\r\n\r\n" + whole[:9], whole[9:]]

    async with running(answer) as (server, url):
        client = HttpClient(url)
        for _ in range(3):
            assert await client.post("/m", b"{}", 5) == (200, whole)
        server.close_after_answer = False
        assert await client.post("/m", b"{}", 5) == (200, whole)  # a new connection
        await client.close()
    assert server.connections == 2


async def test_connection_close_answers_and_idle_connections_are_not_reused() -> None:
    async with running(lambda request, n: ok(b"{}", b"Connection: close\r\n")) as (server, url):
        client = HttpClient(url)
        await client.post("/m", b"{}", 5)
        await client.post("/m", b"{}", 5)
        assert server.connections == 2
        await client.close()
    async with running(lambda request, n: ok(b"{}")) as (server, url):
        client = HttpClient(url, idle_seconds=0.05)
        await client.post("/m", b"{}", 5)
        await asyncio.sleep(0.1)
        await client.post("/m", b"{}", 5)
        assert server.connections == 2
        await client.close()


async def test_a_kept_connection_the_server_closed_is_replaced_once() -> None:
    async with running(lambda request, n: ok(b"{}")) as (server, url):
        client = HttpClient(url)
        await client.post("/m", b"{}", 5)
        server.writers[0].close()  # the server drops the idle connection
        await asyncio.sleep(0.05)
        assert await client.post("/m", b"{}", 5) == (200, b"{}")
        assert server.connections == 2
        await client.close()


async def test_a_connection_cut_mid_answer_fails_and_is_not_sent_again() -> None:
    def answer(request: bytes, n: int) -> list[bytes]:
        server.close_after_answer = True
        return [b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{"]

    async with running(answer) as (server, url):
        client = HttpClient(url)
        with pytest.raises(HttpFailed):
            await client.post("/m", b"{}", 5)
        assert len(server.requests) == 1
        await client.close()


async def test_no_answer_within_the_timeout() -> None:
    async with running(lambda request, n: None) as (_server, url):
        client = HttpClient(url)
        with pytest.raises(HttpTimeout):
            await client.post("/m", b"{}", 0.1)
        await client.close()
    with pytest.raises(HttpFailed):  # nobody listening
        await HttpClient("http://127.0.0.1:9").post("/m", b"{}", 1)


async def test_each_call_keeps_its_own_timeout_under_one_timer() -> None:
    """Calls share one deadline timer: a later call with a shorter timeout still ends on
    time, the longer one keeps waiting, and an answer that comes in time is not expired."""

    def answer(request: bytes, n: int) -> list[bytes] | None:
        return ok(b"{}") if b"/fast" in request else None

    async with running(answer) as (_server, url):
        client = HttpClient(url)
        slow = asyncio.ensure_future(client.post("/slow", b"{}", 30))
        await asyncio.sleep(0.05)
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(HttpTimeout):
            await client.post("/short", b"{}", 0.2)
        assert 0.15 < loop.time() - started < 2.0
        assert await client.post("/fast", b"{}", 0.2) == (200, b"{}")
        await asyncio.sleep(0.3)  # past the fast call's deadline: nothing expires it late
        assert not slow.done()
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        await client.close()


async def test_a_call_cancelled_while_its_connection_opens_ends_at_once() -> None:
    """Cancelled at any moment of opening its connection (a stopped bot's long poll), the
    call ends with the cancellation, at once — Python 3.11's ``wait_for`` dropped one that
    arrived as the connection opened, and the call then waited for its answer (here: never;
    a stopping bot's teardown waited the poll's 10 s)."""
    async with running(lambda request, n: None) as (_server, url):
        for turns in range(12):  # each loop turn of the connection's opening in turn
            client = HttpClient(url)
            call = asyncio.ensure_future(client.post("/getUpdates", b"{}", 30))
            for _ in range(turns):
                await asyncio.sleep(0)
            call.cancel()
            await asyncio.wait({call}, timeout=1.0)
            assert call.done(), f"cancelled after {turns} turns, still waiting for the answer"
            assert call.cancelled()
            await client.close()


async def test_through_ptb_the_errors_are_ptbs() -> None:
    """call_json goes over the client; PTB's wrapper still maps the Bot API's refusals."""

    def answer(request: bytes, n: int) -> list[bytes] | None:
        if b"/sendMessage" in request:
            body = b'{"ok":true,"result":{"message_id":42}}'
            return ok(body)
        if b"/editMessageText" in request:
            body = b'{"ok":false,"error_code":400,"description":"Bad Request: no text"}'
            return [b"HTTP/1.1 400 Bad Request\r\nContent-Length: %d\r\n\r\n" % len(body) + body]
        if b"/answerCallbackQuery" in request:
            body = (
                b'{"ok":false,"error_code":429,"description":"Too Many Requests",'
                b'"parameters":{"retry_after":3}}'
            )
            return [b"HTTP/1.1 429 Too Many\r\nContent-Length: %d\r\n\r\n" % len(body) + body]
        return None

    async with running(answer) as (server, url):
        request = AiohttpRequest(read_timeout=0.2, write_timeout=0.1, connect_timeout=0.1)
        await request.initialize()
        bot = Bot("1:x", base_url=url + "/bot", request=request, get_updates_request=request)
        sent = await call_json(bot, "sendMessage", {"chat_id": 1, "text": "á"})
        assert sent["message_id"] == 42
        assert b'"text":"\xc3\xa1"' in server.requests[0]
        with pytest.raises(BadRequest, match="No text"):
            await call_json(bot, "editMessageText", {"chat_id": 1})
        with pytest.raises(RetryAfter):
            await call_json(bot, "answerCallbackQuery", {"callback_query_id": "1"})
        with pytest.raises(TimedOut):
            await call_json(bot, "getChat", {"chat_id": 1})
        assert (await call_json(bot, "sendMessage", {"chat_id": 1, "text": "b"}))["message_id"]
        await request.shutdown()
    assert server.connections == 2  # the timed-out call's connection is not reused
