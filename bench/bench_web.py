"""Benchmark: the web companion's read page of sample B under 50 concurrent readers.

    python bench/bench_web.py --readers 50 --seconds 10

The server is the production one (bot/web/server.py: the session cookie verified, the access
gate asked and a ``view`` row committed for every page, the page rendered from the
templates) on 127.0.0.1 with the SQLite database on disk; the readers are aiohttp clients in
another process, each holding its own session (the candidate's read link of the same
dossier) and asking for ``/w/`` again as soon as the previous page arrived (closed loop).
Prints pages served per second and the latency percentiles seen by the readers.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def _serve(folder: Path, ready: multiprocessing.Queue, stop: multiprocessing.Event) -> None:  # type: ignore[type-arg]
    from bot.app import warm_up
    from bot.web.server import RateLimit
    from tests.web_world import open_world

    warm_up()
    world = await open_world(folder, sample="b")
    # one address for every reader here: the per-address limit is not what is measured
    world.server.limit = RateLimit(10**9)
    ready.put((world.base, world.link("candidate", "dossier")))
    while not stop.is_set():
        await asyncio.sleep(0.1)
    async with world.db.read() as r:
        views = await r.fetchval("SELECT COUNT(*) FROM audit_log WHERE action = 'view'")
    ready.put(views)
    await world.server.stop()
    await world.db.close()


def _server(folder: str, ready: multiprocessing.Queue, stop: multiprocessing.Event) -> None:  # type: ignore[type-arg]
    asyncio.run(_serve(Path(folder), ready, stop))


async def _readers(base: str, link: str, readers: int, seconds: float) -> list[float]:
    import aiohttp

    times: list[float] = []
    deadline = time.perf_counter() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=readers + 5)) as http:

        async def reader() -> None:
            async with http.get(link) as r:
                cookie = r.cookies["knd_s"].value
            headers = {"Cookie": f"knd_s={cookie}"}
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                async with http.get(base + "/w/", headers=headers) as r:
                    body = await r.read()
                    assert r.status == 200 and "THU HÀ".encode() in body
                times.append(time.perf_counter() - started)

        await asyncio.gather(*(reader() for _ in range(readers)))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    ready, stop = ctx.Queue(), ctx.Event()
    with tempfile.TemporaryDirectory() as folder:
        server = ctx.Process(target=_server, args=(folder, ready, stop))
        server.start()
        base, link = ready.get(timeout=120)
        started = time.perf_counter()
        times = asyncio.run(_readers(base, link, args.readers, args.seconds))
        wall = time.perf_counter() - started
        stop.set()
        views = ready.get(timeout=60)
        server.join(timeout=60)
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1000  # noqa: E731
    print(
        f"web read page, sample B, {args.readers} readers, {wall:.1f} s: "
        f"{len(times) / wall:.0f} pages/s, p50 {statistics.median(times) * 1000:.1f} ms, "
        f"p99 {p(0.99):.1f} ms, max {times[-1] * 1000:.1f} ms; {views} views recorded"
    )


if __name__ == "__main__":
    main()
