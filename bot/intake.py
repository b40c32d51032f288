"""Intake: platform updates into the inbox, then through the router, exactly once.

An adapter hands what it received to :meth:`Intake.receive`, which stores the batch in the
inbox in ONE transaction (storage/inbox.py) and returns; only then may the adapter
acknowledge it to the platform (ask for the next getUpdates offset, answer the webhook's
POST). Each new row is then processed: the adapter's ``parse`` turns the raw update into an
:class:`Event` (or into nothing, or into a notice that needs no flow), and the router
handles it with ``received=row`` and ``outbox=True``: the row is marked processed, the answer
stored and the replies queued in the outbox, in one transaction. After that commit the
delivery is woken for the chats concerned, and a tapped button's notice (toast) is answered
at once — toasts are not content and the platform expires them, so they do not go through
the outbox.

At start-up :meth:`Intake.resume` processes the rows a previous run stored but never
processed, oldest first, before anything new is received; a row whose processing the
database failed (away longer than the router's own tries) is taken up again by
:meth:`Intake.retry_failed` a few seconds later. Processing runs concurrently for
different people and in arrival order for one person: rows are started in id order, and the
router takes each person's lock in that order (asyncio's locks and semaphores are FIFO).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.delivery import Delivery
from handlers.events import Chat, Event, Reply
from handlers.failures import failure_place
from handlers.replies import to_messages
from handlers.router import Settle
from storage.db import Database
from storage.inbox import ONE_STATEMENT, Inbox, Incoming, Received
from storage.outbox import Outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Parsed:
    """What a stored update means: an event for the flows, and/or notices that need no flow
    (each addressed with ``Reply.chat``), and the id of a button tap to answer."""

    event: Event | None = None
    notices: tuple[Reply, ...] = ()
    callback_id: str = ""
    #: whether a tap whose replies carry no toast is answered all the same (Telegram: that
    #: stops the button's spinner; Zalo: a notice is a message of its own, none is sent)
    answer_blank: bool = True


Parse = Callable[[Received], Parsed]


class RouterLike(Protocol):
    async def handle(
        self,
        event: Event,
        *,
        received: Received | None = None,
        outbox: bool = False,
        settle: Settle | None = None,
    ) -> list[Reply]: ...


@dataclass
class IntakeStats:
    received: int = 0
    duplicates: int = 0
    processed: int = 0
    resumed: int = 0


class Intake:
    """Stores updates, then processes them through the router (see the module docstring)."""

    #: an update's task, once its answer is committed, sends its own chat's replies when
    #: no sender is at work there (not for a caller that processes rows in a loop of its own)
    serve_own_chat = True

    def __init__(
        self,
        db: Database,
        router: RouterLike,
        delivery: Delivery,
        parse: Parse,
        *,
        concurrency: int = 512,
    ) -> None:
        self.db = db
        self.router = router
        self.delivery = delivery
        self.parse = parse
        self.stats = IntakeStats()
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        #: rows the database failed (past the router's own tries), for :meth:`retry_failed`
        self._failed: dict[int, Received] = {}

    async def receive(self, updates: Sequence[Incoming]) -> list[Received]:
        """Store ``updates`` durably (one transaction), then start processing the new ones.

        When this returns the updates may be acknowledged to the platform. Updates stored
        before (redeliveries) are left out."""
        stored = await self.store(updates)
        self.start(stored)
        return stored

    async def store(self, updates: Sequence[Incoming]) -> list[Received]:
        """:meth:`receive` without starting the processing: the caller acknowledges the
        batch first (the poller's next getUpdates goes out before the batch's processing
        takes the loop), then calls :meth:`start`."""
        if not updates:
            return []
        async with self.db.transaction(single=len(updates) <= ONE_STATEMENT) as tx:
            stored = await tx.repo(Inbox).receive(updates)
        self.stats.received += len(stored)
        self.stats.duplicates += len(updates) - len(stored)
        return stored

    def start(self, stored: Sequence[Received]) -> None:
        """Process rows :meth:`store` returned, in their order."""
        for row in stored:
            self._start(row)

    async def resume(self) -> int:
        """Process what a previous run stored and never processed; returns how many."""
        count, after = 0, 0
        while True:
            async with self.db.transaction() as tx:
                rows = await tx.repo(Inbox).unprocessed(limit=1000, after=after)
            if not rows:
                break
            for row in rows:
                self._start(row)
            count += len(rows)
            after = rows[-1].id
        self.stats.resumed += count
        return count

    async def retry_failed(self) -> int:
        """Process again, in id order, the rows whose processing the database failed (away
        longer than the router's tries); returns how many. Run every few seconds by a lone
        bot (the shared workers' sweep takes such rows up instead: bot/workers.py)."""
        rows = [self._failed.pop(key) for key in sorted(self._failed)]
        for row in rows:
            self._start(row)
        return len(rows)

    def _keep_failed(self, row: Received) -> None:
        self._failed[row.id] = row

    @property
    def busy(self) -> bool:
        """Whether stored updates are being processed."""
        return bool(self._tasks)

    async def idle(self) -> None:
        """Wait until every stored update has been processed."""
        while self._tasks:
            await self._idle.wait()

    async def stop(self, timeout: float = 30.0) -> None:
        """Let the updates being processed finish for up to ``timeout`` seconds, then cancel
        the rest: their transactions roll back and their rows stay unprocessed in the inbox,
        taken up first at the next start (never processed against a closed database)."""
        if not self._tasks:
            return
        _done, pending = await asyncio.wait(list(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    def _start(self, row: Received) -> None:
        task = asyncio.create_task(self._run(row), name=f"update-{row.id}")
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()

    async def _run(self, row: Received) -> None:
        """An update's task: processes it, then sends its chat's replies itself when the chat
        has no sender at work (one task per answer instead of two); while it sends, the
        update counts as processed (:meth:`idle`), the replies as being delivered."""
        chat = await self._process(row)
        work = self.delivery.serve_here(chat) if chat is not None else None
        if work is None:
            return
        task = asyncio.current_task()
        if task is not None:
            self._finished(task)
        await work

    async def _process(self, row: Received) -> Chat | None:
        """Process ``row``; returns the chat whose replies the caller may send itself
        (:meth:`bot.delivery.Delivery.serve_here`; None: woken as usual)."""
        async with self._slots:
            try:
                parsed = self.parse(row)
            except Exception as exc:  # its message may quote the update: type and place only
                log.error("could not read stored update %s: %s", row.id, failure_place(exc))
                parsed = Parsed()
            here = None
            try:
                if parsed.event is None:
                    await self._without_flow(row, parsed)
                else:
                    here = await self._with_router(row, parsed, parsed.event)
            except Exception as exc:
                # The database failed (past the router's tries again): the row stays
                # unprocessed, for retry_failed or the shared workers' sweep. Never log the
                # update: it carries what people typed.
                log.error("processing stored update %s failed: %s", row.id, failure_place(exc))
                self._keep_failed(row)
                return None
            self.stats.processed += 1
            return here

    async def _with_router(self, row: Received, parsed: Parsed, event: Event) -> Chat | None:
        if event.kind == "chat_moved" and event.moved_to:
            self.delivery.note_moved(event.chat.id, event.moved_to)
        replies = await self.router.handle(
            event, received=row, outbox=True, settle=self.delivery.settled
        )
        self.delivery.heard(event.chat)
        toast = " ".join(r.toast for r in replies if r.toast).strip() if parsed.callback_id else ""
        if not toast and not (parsed.callback_id and parsed.answer_blank):
            # the update's own task sends its chat's replies (:meth:`_run`)
            own = self.serve_own_chat and event.chat.platform == self.delivery.platform
            woken = self.delivery.wake_for(replies, event.chat, here=event.chat.id if own else "")
            return event.chat if woken else None
        self.delivery.wake_for(replies, event.chat)  # the reply does not wait for the toast
        await self.delivery.transport.answer_callback(parsed.callback_id, toast)
        return None

    async def _without_flow(self, row: Received, parsed: Parsed) -> None:
        notices = [n for n in parsed.notices if n.chat is not None]
        async with self.db.transaction() as tx:
            if not await tx.repo(Inbox).mark_processed(row.id, row.fence):
                notices = []  # processed before (or by another worker)
            if notices:
                await tx.repo(Outbox).add(
                    [m for n in notices if n.chat for m in to_messages([n], n.chat)]
                )
        if parsed.callback_id and parsed.answer_blank:
            await self.delivery.transport.answer_callback(parsed.callback_id, "")
        for notice in notices:
            assert notice.chat is not None
            self.delivery.wake_for([notice], notice.chat)
