"""Our webhook server (bot/http_server.py) as a platform's client meets it: real sockets,
aiohttp's client and hand-written bytes (pipelining, a client that cuts a request short)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.http_server import Answer, HttpServer, Request


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Hook:
    """Answers 200 to POST /hook once ``release`` is called for its body ("now": at once)."""

    def __init__(self) -> None:
        self.seen: list[Request] = []
        self.waiting: dict[bytes, asyncio.Future[int | None]] = {}

    def __call__(self, request: Request) -> Answer:
        self.seen.append(request)
        if request.path != "/hook":
            return 404
        if request.body == b"now":
            return 200
        if request.body == b"fail":
            failed: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
            failed.set_exception(RuntimeError("database down"))
            return failed
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self.waiting[request.body] = future
        return future

    def release(self, body: bytes) -> None:
        self.waiting.pop(body).set_result(None)


@pytest.fixture
async def served() -> AsyncIterator[tuple[Hook, HttpServer, int]]:
    hook = Hook()
    server = HttpServer(hook, max_body=1000, max_head=2000, idle_seconds=0.3)
    port = free_port()
    await server.start("127.0.0.1", port)
    try:
        yield hook, server, port
    finally:
        await server.stop()


def post(body: bytes, path: str = "/hook", extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode()
        + body
    )


async def read_answers(reader: asyncio.StreamReader, count: int) -> list[int]:
    statuses = []
    for _ in range(count):
        line = await asyncio.wait_for(reader.readline(), 5)
        statuses.append(int(line.split()[1]))
        while (await reader.readline()) != b"\r\n":
            pass
    return statuses


async def test_keep_alive_posts_with_headers_and_bodies(
    served: tuple[Hook, HttpServer, int],
) -> None:
    hook, server, port = served
    async with aiohttp.ClientSession() as http:
        for n in range(5):
            url = f"http://127.0.0.1:{port}/hook?x=1"
            headers = {"X-Bot-Api-Secret-Token": f"s{n}"}
            async with http.post(url, data=b"now", headers=headers) as response:
                assert response.status == 200
        assert len(server.connections) == 1  # one kept-alive connection for all five
    assert [r.headers["x-bot-api-secret-token"] for r in hook.seen] == [f"s{n}" for n in range(5)]
    assert {(r.method, r.path, r.body) for r in hook.seen} == {("POST", "/hook", b"now")}


async def test_answers_wait_for_their_store_and_keep_request_order(
    served: tuple[Hook, HttpServer, int],
) -> None:
    hook, _server, port = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(post(b"first") + post(b"now") + post(b"fail"))  # pipelined
    await writer.drain()
    for _ in range(100):
        if b"first" in hook.waiting:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    assert reader.at_eof() is False and not reader._buffer  # type: ignore[attr-defined]
    hook.release(b"first")  # the first is stored: now all three are answered, in order
    assert await read_answers(reader, 3) == [200, 200, 500]
    writer.close()


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (post(b"x" * 1001), 413),
        (post(b"now", extra="X-Big: " + "y" * 2100 + "\r\n"), 431),
        (b"NOT HTTP AT ALL\r\n\r\n", 400),
        (post(b"now", path="/other"), 404),
    ],
    ids=["body-too-large", "head-too-large", "garbage", "wrong-path"],
)
async def test_refusals(
    served: tuple[Hook, HttpServer, int], request_bytes: bytes, status: int
) -> None:
    _hook, _server, port = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request_bytes)
    await writer.drain()
    assert await read_answers(reader, 1) == [status]
    if status != 404:  # a refused stream is closed
        assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()


async def test_a_silent_connection_is_closed_and_a_client_gone_leaves_the_store_alone(
    served: tuple[Hook, HttpServer, int],
) -> None:
    hook, server, port = served
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    assert await asyncio.wait_for(reader.read(), 5) == b""  # idle 0.3 s: closed
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(post(b"slow"))
    await writer.drain()
    for _ in range(100):
        if b"slow" in hook.waiting:
            break
        await asyncio.sleep(0.01)
    writer.close()  # the platform gave up waiting; the update is stored all the same
    await asyncio.sleep(0.05)
    hook.release(b"slow")
    await asyncio.sleep(0.05)
    assert not server.connections
