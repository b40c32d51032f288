"""The periodic work every channel's service runs, written once: a job repeated until told to
stop, pruning the update inbox and the reply outbox after the configured days, and the
secretaries' digests, reminders and retention queued through the outbox.

A failing round is logged by its type and place only (``handlers.failures``), never with a
traceback that could quote a person's data, and the next round runs as planned.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.delivery import Delivery
from bot.intake import Intake
from bot.settings import Settings
from bot.workers import Workers
from handlers.events import Reply
from handlers.failures import failure_place
from handlers.router import Router
from storage.core import AuditLog, Dossiers
from storage.db import Database
from storage.inbox import Inbox
from storage.outbox import Outbox

log = logging.getLogger(__name__)

#: How often the inbox and the outbox are pruned (their records are kept for days).
PRUNE_INTERVAL = 3600.0
#: How often a worker looks for erasures committed by another worker (or process), to drop
#: what it holds in memory of them.
ERASURE_WATCH_INTERVAL = 30.0
#: How often a lone bot processes again the updates the database failed (bot/intake.py).
FAILED_RETRY_INTERVAL = 5.0


async def stop_all(tasks: list[tuple[asyncio.Task[None], asyncio.Event]]) -> None:
    """Tell each periodic task to stop, give it up to 30 s to finish its round, forget them."""
    for task, stop in tasks:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, 30)
    tasks.clear()


async def settle(intake: Intake, delivery: Delivery) -> None:
    """Wait until every stored update is processed and every reply delivered (a reply may
    store an update, an update may queue replies: until both are quiet together)."""
    while True:
        await intake.idle()
        await delivery.idle()
        await asyncio.sleep(0)
        if not intake.busy and not delivery.busy:
            return


def every(
    interval: float, job: Callable[[], Awaitable[object]], name: str
) -> tuple[asyncio.Task[None], asyncio.Event]:
    """``job`` now and then every ``interval`` seconds, as a task; set the event to stop it."""
    stop = asyncio.Event()

    async def loop() -> None:
        while not stop.is_set():
            try:
                await job()
            except Exception as exc:
                log.error("%s failed: %s", name, failure_place(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    return asyncio.create_task(loop(), name=name), stop


async def prune_edges(router: Router, settings: Settings) -> tuple[int, int]:
    """Inbox rows processed and outbox rows settled longer ago than the configured days go;
    rows never processed or never sent stay. Returns how many of each went."""
    now = datetime.now(UTC)
    async with router.db.transaction(now) as tx:
        inbox_before = (now - timedelta(days=settings.inbox_days)).isoformat()
        outbox_before = (now - timedelta(days=settings.outbox_days)).isoformat()
        inbox = await tx.repo(Inbox).prune(inbox_before)
        outbox = await tx.repo(Outbox).prune(outbox_before)
    if inbox or outbox:
        log.info("pruned %d inbox and %d outbox rows", inbox, outbox)
    return inbox, outbox


def forget_erased(db: Database) -> Callable[[], Awaitable[int]]:
    """A job for :func:`every`: each round, the dossiers erased since the last round (by
    any worker: the audit log says so) leave this process's memory — their cached content
    and every cache keyed by typed text (issue 11: erasure means erased, in every worker).
    The first round only notes where the log stands: nothing is cached before the start."""
    seen: int | None = None

    async def one_round() -> int:
        nonlocal seen
        async with db.read() as session:
            seen, erased = await session.repo(AuditLog).erased_after(seen)
            if erased:
                session.repo(Dossiers).forget_in_memory(erased)
        return len(erased)

    return one_round


def secretary_scheduler(
    router: Router,
    delivery: Delivery,
    settings: Settings,
    interval: float,
    workers: Workers | None = None,
) -> tuple[asyncio.Task[None], asyncio.Event]:
    """Daily digests to units' groups, weekly reminders to idle candidates and the daily
    retention run: the notifier claims each and queues it in the outbox in one transaction
    (never repeated, never lost); the sender is woken for it after the commit. Each round
    runs only on the worker that leads (bot/workers.py: several workers, one scheduler)."""
    from handlers.secretary.notifier import Notifier, periodic_round

    workers = workers or Workers()
    notifier = Notifier(router.db, zone=router.zone, retention=settings.retention)

    async def queued(reply: Reply) -> None:
        if reply.chat is not None:
            delivery.wake_for([reply], reply.chat)

    async def one_round() -> None:
        if await workers.lead(interval):
            await periodic_round(notifier, queued, clock=router.clock, outbox=True)

    return every(interval, one_round, "secretary-periodic")
