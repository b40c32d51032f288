"""One of several bot workers on one database behind one webhook, as its own process.

``python -m tests.worker_bot --api-port … --db … --webhook-port … --hook-url …`` runs the
production bot (bot/app.py's router with every flow, TelegramService in webhook mode) with
``shared_workers`` on: it claims people, chats and the scheduler with leases
(bot/workers.py). The test (tests/test_workers.py) starts two or three of them behind a small
proxy, plays candidates through the fake Bot API's webhook delivery and kills one with -9.

Clocks are scaled down: leases last ``--lease`` seconds (three: a worker starved for a
second by a loaded machine must not lose its chats while it sends, which would repeat a
reply), the scheduler looks every fifth of a second, and the flows' clock is fixed (the
secretaries' test world's day), so the digests that are due are due at once. ``--db`` is
an SQLite file or a ``postgresql://`` URL.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import time
from pathlib import Path
from typing import Any

from admission.clock import FixedClock
from bot import event_loop
from bot.app import open_router
from bot.delivery import RetryPolicy
from bot.pacing import Pacing
from bot.settings import Settings
from bot.telegram_service import TelegramService
from storage.dialect import is_postgres_url
from storage.inbox import Inbox
from storage.leases import Fence
from storage.outbox import Outbox
from tests.secretary_world import TODAY, at

TOKEN = "123456789:TEST-fake_token-ABCdefGHIjklMNOpqr"
SECRET = "worker_SECRET-1"


def settings_for(args: argparse.Namespace) -> Settings:
    postgres = is_postgres_url(args.db)
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=TOKEN,
        bot_username="knd_test_bot",
        api_base_url=f"http://127.0.0.1:{args.api_port}/bot",
        api_file_url=f"http://127.0.0.1:{args.api_port}/file/bot",
        db_path=Path("unused.sqlite3") if postgres else Path(args.db),
        db_url=args.db if postgres else None,
        webhook_url=args.hook_url,
        webhook_port=args.webhook_port,
        webhook_path="hook",
        webhook_secret=SECRET,
        shared_workers=not args.alone,
        lease_seconds=args.lease,
    )


def log_processing(folder: Path) -> None:
    """Append ``<ns> <inbox id>`` to ``folder/order-<pid>.log`` after each commit that marks
    an inbox row processed, and ``<ns> <outbox id>`` to ``sent-<pid>.log`` after each that
    marks a reply sent: the test reads the order across workers from these lines.

    The stamp is taken inside the transaction, after the mark, while the mark's lease row is
    locked (storage/inbox.py): a worker stopped between its commit and the write still writes
    the time its commit's order was decided, not the time it was resumed."""
    out = os.open(folder / f"order-{os.getpid()}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    mark = Inbox.mark_processed

    async def marked(self: Inbox, row_id: int, fence: Fence | None = None) -> bool:
        done = await mark(self, row_id, fence)
        if done:
            line = f"{time.time_ns()} {row_id}\n".encode()
            self._tx().after_commit(lambda: os.write(out, line))
        return done

    Inbox.mark_processed = marked  # type: ignore[method-assign]

    sent_log = os.open(folder / f"sent-{os.getpid()}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    sent = Outbox.sent

    async def marked_sent(
        self: Outbox, row_id: int, message_id: str, fence: Fence | None = None
    ) -> bool:
        done = await sent(self, row_id, message_id, fence)
        if done:
            line = f"{time.time_ns()} {row_id}\n".encode()
            self._tx().after_commit(lambda: os.write(sent_log, line))
        return done

    Outbox.sent = marked_sent  # type: ignore[method-assign]


def count_statements(out: Path) -> None:
    """Count the statements each worker sends (bench/bench_workers.py ``--profile``): per
    SQL text, written to ``out`` when the worker stops."""
    import atexit
    import collections
    import json

    from storage import pg

    counts: collections.Counter[str] = collections.Counter()
    run = pg.PgConnection._run  # every statement but the pairs' (writes and reads alike)

    async def counted(self: pg.PgConnection, cursor: Any, sql: str, params: Any) -> Any:
        counts[" ".join(sql.split())[:160]] += 1
        return await run(self, cursor, sql, params)

    pg.PgConnection._run = counted  # type: ignore[method-assign]
    borrow = pg.PgReaders.connection

    def borrowed(self: pg.PgReaders) -> Any:
        counts["(read sessions: a pooled connection borrowed)"] += 1
        return borrow(self)

    pg.PgReaders.connection = borrowed  # type: ignore[method-assign]
    write_then_read = pg.PgConnection.write_then_read

    async def counted_pair(self: pg.PgConnection, write: str, wp: Any, read: str, rp: Any) -> Any:
        counts["(pipelined pairs: one round trip each)"] += 1
        for sql in (write, read):
            counts[" ".join(sql.split())[:160]] += 1
        return await write_then_read(self, write, wp, read, rp)

    pg.PgConnection.write_then_read = counted_pair  # type: ignore[method-assign]
    commit = pg.PgConnection.commit

    async def counted_commit(self: pg.PgConnection) -> None:
        if self._single is None and not self._begin:  # one is sent (storage/pg.py)
            counts["COMMIT"] += 1
        await commit(self)

    pg.PgConnection.commit = counted_commit  # type: ignore[method-assign]
    atexit.register(lambda: out.write_text(json.dumps(counts.most_common(), indent=1)))


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    if os.environ.get("KND_WORKER_PROFILE"):
        count_statements(Path(f"{os.environ['KND_WORKER_PROFILE']}-{os.getpid()}.sql.json"))
    if os.environ.get("KND_ORDER_LOG"):
        log_processing(Path(os.environ["KND_ORDER_LOG"]))
    settings = settings_for(args)
    router, close = await open_router(settings, clock=FixedClock(at(TODAY, 10)))
    bot = TelegramService(
        settings,
        router,
        commands=[],
        pacing=Pacing.unlimited(),
        retry=RetryPolicy(first_delay=0.05, max_delay=0.5),
        scheduler_interval=args.scheduler,
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await bot.start()
    print("READY", flush=True)
    await stop.wait()
    await bot.stop()
    await close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--api-port", type=int, required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--webhook-port", type=int, required=True)
    parser.add_argument("--hook-url", required=True)
    parser.add_argument("--lease", type=float, default=3.0)
    parser.add_argument("--scheduler", type=float, default=0.2)
    parser.add_argument("--alone", action="store_true", help="one worker: no leases (bench)")
    profile = os.environ.get("KND_WORKER_PROFILE")
    if profile:  # bench/bench_workers.py --profile: where a worker's CPU goes
        import cProfile

        # CPU time, not wall: on a shared machine a worker waiting for a core is not its cost
        profiler = cProfile.Profile(time.process_time)
        profiler.runcall(event_loop.run, main(parser.parse_args()))
        profiler.dump_stats(f"{profile}-{os.getpid()}.prof")
    else:
        event_loop.run(main(parser.parse_args()))
