"""Several bot workers on one database behind one webhook (issue 16): who does which work.

Any worker may receive any update (the proxy in front spreads the webhook's POSTs); each
stores it in the shared inbox before answering 200, as one worker alone does. Three rules
then keep the result what one worker would have produced:

* **One person's updates, one at a time and in order.** A worker processes a person's
  updates only while it holds the lease ``person:<platform>:<id>`` (storage/leases.py), and
  then takes ALL of that person's unprocessed rows in id order, whoever stored them
  (:class:`SharedIntake`). A worker that stores an update for a person another worker holds
  leaves it to the holder, and the holder, after dropping the lease, looks once more for rows
  stored meanwhile — so no row waits for a lease nobody will take.
* **One chat's replies, one sender at a time.** The per-chat sender of bot/delivery.py runs
  only while it holds ``chat:<platform>:<id>`` (:class:`SharedDelivery`): replies queued by
  different workers for one group go out in outbox order.
* **The scheduler on one worker.** Digests, reminders, retention and pruning run on the
  worker holding ``scheduler`` (:meth:`Workers.lead`).

Leases run out: a worker killed with ``-9`` holds nothing after ``lease_seconds``, and the
others' sweep (:func:`sweep`, every third of that) takes up its people's unprocessed rows
and its chats' pending replies. Processing stays exactly once whatever happens to a lease:
a row is marked processed in the transaction of its effects, only if it was not already
(storage/inbox.py), so a worker that lost its lease mid-update commits nothing twice.

Why leases and not ``FOR UPDATE SKIP LOCKED`` or advisory locks: a claim must outlive a
transaction (an update is read, then processed in its own transaction; a reply is sent
between two), the same SQL must work on SQLite (several processes on one file, the tests)
and PostgreSQL, and a lease needs no connection held per claimed person.

One worker alone (:class:`Workers`, the default) takes no lease at all: its in-process locks
already give the same order, and the single-process path costs nothing more.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import itertools
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from sqlite3 import Row

from bot.delivery import Delivery, NotOurs, Step
from bot.intake import Intake
from bot.settings import Settings
from handlers.events import Chat
from handlers.failures import failure_place
from storage.db import Database, Tx
from storage.inbox import Inbox, Received, received
from storage.leases import Fence, Leases
from storage.outbox import Outbox, Pending, first_pending
from storage.session import Params

log = logging.getLogger(__name__)

LEADER = "scheduler"
BATCH = 50  # a person's rows read at once


class Workers:
    """One worker alone on its database: every claim is its own (no lease is stored)."""

    shared = False

    def __init__(self) -> None:
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"

    async def take(self, name: str, holder: str = "", seconds: float | None = None) -> bool:
        """Take or renew the lease ``name`` (for ``holder``, this worker by default)."""
        return True

    async def renew(self, name: str, holder: str = "") -> bool:
        """Keep ``name``: renewed when a third of its time has passed (cheap to call often)."""
        return True

    async def release(self, name: str, holder: str = "") -> None:
        return None

    def fence(self, name: str, holder: str = "") -> Fence | None:
        """What work done under ``name`` is committed with (storage/leases.py); None: no
        lease to check."""
        return None

    async def lead(self, interval: float = 0.0) -> bool:
        """Whether this worker runs the scheduler now (called before each of its rounds)."""
        return True


class SharedWorkers(Workers):
    """Several workers on one database: claims are leases (see the module docstring)."""

    shared = True

    def __init__(self, db: Database, *, seconds: float = 30.0) -> None:
        super().__init__()
        self.db = db
        self.seconds = seconds
        self._taken: dict[tuple[str, str], float] = {}  # (name, holder) -> monotonic time
        self._lead_for = seconds

    async def take(self, name: str, holder: str = "", seconds: float | None = None) -> bool:
        holder = holder or self.holder
        async with self.db.transaction(single=True) as tx:  # one statement: no BEGIN/COMMIT
            taken = await tx.repo(Leases).take(name, holder, seconds or self.seconds)
        self._note(name, holder, taken)
        return taken

    async def take_reading(
        self, name: str, read: str, params: Params, holder: str = ""
    ) -> list[Row] | None:
        """:meth:`take`, and the rows of ``read`` (the work the lease is for) read after it,
        one round trip on PostgreSQL; None: not taken."""
        holder = holder or self.holder
        async with self.db.transaction(single=True) as tx:
            rows = await tx.repo(Leases).take_reading(name, holder, self.seconds, read, params)
        self._note(name, holder, rows is not None)
        return rows

    def _note(self, name: str, holder: str, taken: bool) -> None:
        if taken:
            self._taken[(name, holder)] = time.monotonic()
        else:
            self._taken.pop((name, holder), None)

    async def renew(self, name: str, holder: str = "") -> bool:
        holder = holder or self.holder
        since = self._taken.get((name, holder))
        if since is None:
            return False  # never taken, or lost
        if time.monotonic() - since < self.seconds / 3:
            return True
        async with self.db.transaction(single=True) as tx:
            renewed = await tx.repo(Leases).renew(name, holder, self.seconds)
        if renewed:
            self._taken[(name, holder)] = time.monotonic()
        else:
            self._taken.pop((name, holder), None)
        return renewed

    async def release(self, name: str, holder: str = "") -> None:
        holder = holder or self.holder
        self._taken.pop((name, holder), None)
        async with self.db.transaction(single=True) as tx:
            await tx.repo(Leases).release(name, holder)

    async def release_reading(
        self, name: str, read: str, params: Params, holder: str = ""
    ) -> list[Row]:
        """:meth:`release`, and the rows of ``read`` read after the drop (work left to this
        holder by a worker that found the lease held), one round trip on PostgreSQL."""
        holder = holder or self.holder
        self._taken.pop((name, holder), None)
        async with self.db.transaction(single=True) as tx:
            return await tx.repo(Leases).release_reading(name, holder, read, params)

    def fence(self, name: str, holder: str = "") -> Fence | None:
        return Fence(name, holder or self.holder)

    async def lead(self, interval: float = 0.0) -> bool:
        # held for three rounds of the slowest caller: a leader that died is replaced within
        # three of its intervals, and a quicker caller (pruning) never shortens the lease
        self._lead_for = max(self._lead_for, self.seconds, 3 * interval)
        return await self.take(LEADER, seconds=self._lead_for)


class LeaseLost(NotOurs):
    """Another worker took this chat over (our lease ran out): stop sending to it."""


class SharedIntake(Intake):
    """:class:`Intake` for several workers: a person's rows are processed by the worker
    holding that person's lease, in id order (module docstring)."""

    serve_own_chat = False  # a person's rows are processed in one loop: replies get workers

    def __init__(self, *args: object, workers: SharedWorkers, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.workers = workers
        self._draining: set[tuple[str, str]] = set()
        self._again: set[tuple[str, str]] = set()

    def _start(self, row: Received) -> None:
        self.person(row.platform, row.person)

    def _keep_failed(self, row: Received) -> None:
        """Nothing to keep: the sweep takes up every person with unprocessed rows."""

    def person(self, platform: str, person: str) -> None:
        """Process ``person``'s unprocessed rows if no other worker does."""
        key = (platform, person)
        if key in self._draining:
            self._again.add(key)
            return
        self._draining.add(key)
        task = asyncio.create_task(self._drain(key), name=f"person-{platform}-{person}")
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._finished)

    async def _drain(self, key: tuple[str, str]) -> None:
        name = f"person:{key[0]}:{key[1]}"
        try:
            await self._drain_while_ours(key, name)
        except Exception as exc:  # the database failed: the rows stay for the sweep
            log.error("processing one person's updates stopped: %s", failure_place(exc))
        finally:
            self._draining.discard(key)

    async def _drain_while_ours(self, key: tuple[str, str], name: str) -> None:
        # the lease's take and drop each carry the read that follows them (one round trip
        # each on PostgreSQL): the person's first rows, and whether any is left
        while True:
            self._again.discard(key)
            rows = await self.workers.take_reading(name, Inbox.UNPROCESSED_OF, (*key, BATCH))
            if rows is None:
                return  # another worker holds this person: it takes the row
            try:
                await self._drain_held(key, name, received(rows))
            finally:
                left = await self.workers.release_reading(name, Inbox.UNPROCESSED_OF, (*key, 1))
            # rows stored while we held the lease by a worker that found it taken
            if key not in self._again and not left:
                return

    async def _drain_held(self, key: tuple[str, str], name: str, rows: list[Received]) -> None:
        while rows:
            fence = self.workers.fence(name)
            for row in rows:
                done = self.stats.processed
                await self._process(dataclasses.replace(row, fence=fence))
                if self.stats.processed == done:
                    return  # the database failed: the sweep tries again later
                if not await self.workers.renew(name):
                    return  # lost it (a long stall): the new holder goes on in order
            # read again only if there may be more: a full batch, or a row this worker stored
            # meanwhile; another worker's rows are looked for with the drop
            if len(rows) < BATCH and key not in self._again:
                return
            self._again.discard(key)
            async with self.db.read() as s:
                rows = await s.repo(Inbox).unprocessed_of(*key, limit=BATCH)


class SharedDelivery(Delivery):
    """:class:`Delivery` for several workers: one chat's replies are sent by the worker
    holding that chat's lease (module docstring). The lease's holder is the per-chat task,
    not the process, so a second task of this process cannot send beside the first."""

    sole_sender = False  # other workers queue replies too: every next row is read

    def __init__(self, *args: object, workers: SharedWorkers, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.workers = workers
        self._holders: dict[str, str] = {}
        #: chat id -> its next row as read with the lease's take, and the chat's wake count
        #: before that read (:meth:`_read_next`)
        self._first: dict[str, tuple[int, Pending | None]] = {}
        self._serial = itertools.count(1)
        #: how long an answer waits for the question another worker is sending to be marked
        #: delivered: 2 s was too short on a loaded 2-core machine (answers judged against a
        #: question the person had seen, the test's script then found no button); a dead
        #: sender's lease runs out in ``lease_seconds`` anyway
        self.prompt_wait = 5.0

    async def _work(self, chat_id: str, chat_kind: str) -> None:
        # the lease's take and drop each carry the read that follows them (one round trip
        # each on PostgreSQL): the chat's next row, and whether one is left
        name = f"chat:{self.platform}:{chat_id}"
        holder = f"{self.workers.holder}/{next(self._serial)}"
        next_row = (self.platform, chat_id)
        wakes = self._wakes.get(chat_id, 0)
        try:
            rows = await self.workers.take_reading(name, Outbox.NEXT, next_row, holder)
        except Exception as exc:
            rows = None
            log.error(
                "could not take a chat's lease; the sweep tries again: %s", failure_place(exc)
            )
        if rows is None:
            self._workers.pop(chat_id, None)
            if not self._workers:
                self._idle.set()
            return
        self._holders[chat_id] = holder
        self._first[chat_id] = (wakes, first_pending(rows))
        try:
            await super()._work(chat_id, chat_kind)
        finally:
            self._holders.pop(chat_id, None)
            self._first.pop(chat_id, None)
            left = await self.workers.release_reading(name, Outbox.NEXT, next_row, holder)
        # replies queued while we held the chat by a worker that found it taken
        if not self._stopping and left:
            self.wake(chat_id, chat_kind)

    async def _read_next(self, chat_id: str) -> Pending | None:
        # the row read with the lease's take, unless it read none and the chat was woken
        # since (a row of this process committed after that read)
        first = self._first.pop(chat_id, None)
        if first is not None and (first[1] is not None or self._wakes.get(chat_id, 0) == first[0]):
            return first[1]
        return await super()._read_next(chat_id)

    async def settled(self, chat: Chat, timeout: float = 10.0) -> None:
        """As :meth:`Delivery.settled`, and across workers: the question the person answers
        may have been sent by another worker, whose mark is a moment behind (or never
        comes: it died). Waits while the chat's last question is pending, up to
        ``prompt_wait`` seconds."""
        await super().settled(chat, timeout)
        if chat.platform != self.platform:
            return
        deadline = time.monotonic() + min(timeout, self.prompt_wait)
        while time.monotonic() < deadline:
            async with self.db.read() as s:
                prompt = await s.repo(Outbox).last_prompt(self.platform, chat.id)
            if prompt is None or prompt.status != "pending":
                return
            await asyncio.sleep(0.02)

    async def _call_landing(self, row: Pending, target: str, step: Step) -> str:
        # checked just before each platform call: a worker back from a pause past its lease
        # sends nothing of a chat another worker took over
        if not await self._renew(row.chat_id):
            raise LeaseLost(f"the chat of reply {row.id} was taken over")
        return await super()._call_landing(row, target, step)

    async def _mark_sent(self, tx: Tx, row: Pending, message_id: str) -> None:
        holder = self._holders.get(row.chat_id)  # None: a moved chat's notice (no lease)
        fence = None if holder is None else Fence(f"chat:{self.platform}:{row.chat_id}", holder)
        if not await tx.repo(Outbox).sent(row.id, message_id, fence):
            raise LeaseLost(f"the chat of reply {row.id} was taken over before its mark")

    async def _waiting(self, row: Pending) -> bool:
        return await self._renew(row.chat_id) and await super()._waiting(row)

    async def _renew(self, chat_id: str) -> bool:
        holder = self._holders.get(chat_id)
        if holder is None:  # a moved chat's notice, sent under the old chat's lease
            return True
        return await self.workers.renew(f"chat:{self.platform}:{chat_id}", holder)


async def sweep(intake: Intake, delivery: Delivery) -> None:
    """Take up what no worker is doing: the unprocessed rows and pending replies of a worker
    that died (its leases ran out), and rows whose processing failed. A person or chat another
    worker holds is left alone (its lease is not taken)."""
    if isinstance(intake, SharedIntake):
        async with intake.db.read() as s:
            stalled = await s.repo(Leases).end_stalled()
            people = await s.repo(Inbox).waiting_people()
        if stalled:
            log.warning("ended %d database sessions stalled inside a transaction", stalled)
        for platform, person in people:
            intake.person(platform, person)
    async with delivery.db.read() as s:
        chats = await s.repo(Outbox).pending_chats()
    for platform, chat_id, kind in chats:
        if platform == delivery.platform:
            delivery.wake(chat_id, kind)


def worker_kinds(
    settings: Settings, db: Database
) -> tuple[Workers, Callable[..., Delivery], Callable[..., Intake]]:
    """This worker's claims and the intake and delivery that go with them (the setting
    ``shared_workers``: several processes on one database)."""
    if not settings.shared_workers:
        return Workers(), Delivery, Intake
    workers = SharedWorkers(db, seconds=settings.lease_seconds)
    return (
        workers,
        functools.partial(SharedDelivery, workers=workers),
        functools.partial(SharedIntake, workers=workers),
    )
