"""Benchmark of the conversation engine alone: Router + flows + SQLite, no network.

    python bench/bench_engine.py --n 50 500 [--synchronous NORMAL|FULL] [--key]

N scripted candidates (bot.demo.Player, answering from sample A) fill a whole dossier
at the same time through ``Router.handle`` on one database file in WAL mode; every answer is
committed before ``handle`` returns. Printed per N: updates/s of wall time, p50/p99/max of
``handle`` (from the event entering the router to its replies, queueing on the single writer
included), and the process's peak resident memory. The full stack over the fake Telegram
server is measured by bench/bench_chat.py; this one shows what the engine costs by itself.
``--key`` runs the same on an encrypted database (SQLCipher, a random raw key; needs the
``[encrypted]`` extra): the price of encryption at rest.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.app import build_flows, warm_up  # noqa: E402
from bot.demo import Player, demo_clock, load_sample  # noqa: E402
from handlers.events import Event, Reply  # noqa: E402
from handlers.router import Router  # noqa: E402
from storage.db import Database  # noqa: E402


class TimedRouter(Router):
    """Records the duration of every handle()."""

    durations: list[float]

    async def handle(self, event: Event) -> list[Reply]:
        started = time.perf_counter()
        try:
            return await super().handle(event)
        finally:
            self.durations.append(time.perf_counter() - started)


async def run(n: int, synchronous: str, key: str | None = None) -> dict[str, float]:
    sample = load_sample("a")
    warm_up()
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "bench.sqlite3", synchronous=synchronous, key=key)  # type: ignore[arg-type]
        try:
            router = TimedRouter(db, demo_clock(sample), build_flows())
            router.durations = []
            players = [
                Player(router, sample, user_id=f"u{i}", platform="bench", keep_history=False)
                for i in range(n)
            ]
            started = time.perf_counter()
            await asyncio.gather(*(p.play() for p in players))
            wall = time.perf_counter() - started
        finally:
            await db.close()
    d = sorted(router.durations)
    return {
        "n": n,
        "updates": len(d),
        "updates_per_s": len(d) / wall,
        "p50_ms": statistics.median(d) * 1000,
        "p99_ms": d[int(len(d) * 0.99) - 1] * 1000,
        "max_ms": d[-1] * 1000,
        "errors": router.stats.errors,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[50, 500])
    parser.add_argument("--synchronous", default="NORMAL", choices=["NORMAL", "FULL"])
    parser.add_argument("--key", action="store_true", help="an encrypted database (SQLCipher)")
    args = parser.parse_args()
    key = secrets.token_hex(32) if args.key else None
    encrypted = ", encrypted (SQLCipher)" if key else ""
    print(f"engine only, synchronous={args.synchronous}{encrypted}, sample A per candidate")
    for n in args.n:
        r = asyncio.run(run(n, args.synchronous, key))
        print(
            f"N={r['n']:>4}: {r['updates']} updates, {r['updates_per_s']:.0f} updates/s, "
            f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.0f} ms, "
            f"errors {r['errors']}, peak RSS {r['peak_rss_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
