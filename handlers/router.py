"""The router: one platform-neutral event in, the replies out, with its effects committed.

For each event the router

1. takes the lock of its (platform, user): one person's updates run one after another in
   arrival order, different people run concurrently;
2. opens ONE write transaction and records the update as processed in the inbox
   (:mod:`storage.inbox`): an update processed before means a redelivery, which returns
   ``[]`` and changes nothing;
3. finds the event's one owner in the routing table (:mod:`handlers.routing`, which states the
   rule) and lets it handle the event;
4. commits — the marker, the answer, the new revision, the conversation cursor and, for an
   adapter that delivers through the outbox (``outbox=True``), the replies together — and
   only then returns the replies.

A flow (:class:`Flow`) declares ``routes`` and implements ``async handle(tx, event) ->
list[Reply]``; it may also implement ``message_sent(tx, ref_key, platform, chat_id,
message_id) -> bool`` to learn the id of a message it asked to ``remember``,
``owns_reply(tx, event)`` when it declares ``replies`` and ``claims_private(tx, event)`` when it
declares ``claims_private``. Flows do their reads and writes through ``tx`` (see
:mod:`storage.db`); ``tx.now`` is the event's time from the router's clock
(:mod:`admission.clock` turns it into the users' date).

If a flow raises, the transaction is rolled back, the update is still marked as processed
(in its own transaction, so a poisoned update is not retried forever) and the person gets a
short apology; nothing of the event's content is logged: only the failure's type and place
(:func:`failure_place` — no message, no traceback text, no variable, no chat id).

Expensive events. Actions and commands that render a document are declared ``heavy`` in the
routing table. With a pooled renderer (the running bot), they are handled once, like any
event, with the renderer deferred: the documents are committed as jobs and rendered in a
worker after the commit — by the sender for the outbox, else by the router once the
person's lock is released (:mod:`handlers.rendering`). The answer never waits for a
rendering. Without a pool (tests, the console) documents render in place, inside the flow,
and heavy events pass through :class:`HeavyGate`: one at a time, and together no more than
half of the loop's time, so that hundreds of drafts asked for at once queue up instead of
starving everybody's answers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from admission.clock import ZONE, Clock, SystemClock
from forms.texts import message
from handlers import waypoints
from handlers.events import Chat, Event, Reply
from handlers.failures import failure_place
from handlers.rendering import DocumentRenderer
from handlers.replies import has_content, to_messages
from handlers.routing import Routes, RoutingTable
from storage.db import Database, Tx, transient
from storage.inbox import Inbox, Received
from storage.outbox import Outbox

log = logging.getLogger(__name__)

#: Seconds before each new try of an event the database failed for a moment (a session the
#: server ended is opened again at the next try: storage/db.py)
TRANSIENT_RETRIES = (0.2, 1.0)

Settle = Callable[[Chat], Awaitable[object]]


@runtime_checkable
class Flow(Protocol):
    """A conversation flow: the events its ``routes`` give it, answered with replies."""

    routes: Routes

    async def handle(self, tx: Tx, event: Event) -> list[Reply]: ...


@dataclass
class RouterStats:
    handled: int = 0
    duplicates: int = 0
    unowned: int = 0
    errors: int = 0
    retried: int = 0  # tries again after the database failed for a moment
    seconds: float = 0.0


class HeavyGate:
    """Lets expensive events through one at a time and for at most ``share`` of the time:
    after one that ran ``t`` seconds, the next starts no earlier than ``t / share`` after it
    (see the module docstring)."""

    def __init__(self, share: float = 0.5) -> None:
        if not 0 < share <= 1:
            raise ValueError("share must be in (0, 1]")
        self.share = share
        self._lock = asyncio.Lock()
        self._next_start = 0.0
        self._started = 0.0

    async def __aenter__(self) -> None:
        await self._lock.acquire()
        delay = self._next_start - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self._started = time.monotonic()

    async def __aexit__(self, *exc_info: object) -> None:
        spent = time.monotonic() - self._started
        self._next_start = self._started + spent / self.share
        self._lock.release()


@dataclass
class _UserLock:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class Router:
    """Dedupe, per-user ordering, dispatch, one commit per event (see module docstring)."""

    def __init__(
        self,
        db: Database,
        clock: Clock | None = None,
        flows: Sequence[Flow] = (),
        *,
        zone: ZoneInfo = ZONE,
        renderer: DocumentRenderer | None = None,
    ) -> None:
        self.db = db
        self.renderer = renderer or DocumentRenderer()
        self.clock: Clock = clock or SystemClock()
        self.flows: list[Flow] = list(flows)
        self._by_name = {f.routes.flow: f for f in self.flows}
        if len(self._by_name) != len(self.flows):
            raise ValueError("two flows share a name")
        self.table = RoutingTable.build(f.routes for f in self.flows)
        self.zone = zone
        self.stats = RouterStats()
        self._locks: dict[tuple[str, str], _UserLock] = {}
        self.heavy = HeavyGate()

    def flow(self, name: str) -> Flow | None:
        return self._by_name.get(name)

    # -- events -------------------------------------------------------------------------------
    async def handle(
        self,
        event: Event,
        *,
        received: Received | None = None,
        outbox: bool = False,
        settle: Settle | None = None,
    ) -> list[Reply]:
        """The replies to ``event``, after its effects are committed.

        ``received``: the inbox row the event was read from, marked processed in the event's
        transaction. ``outbox``: the replies are also stored in the outbox in that
        transaction, for the sender (bot/delivery.py) to deliver. ``settle``: awaited with
        the person's lock held, before the transaction — the sender finishes recording a
        reply the platform is confirming to this chat, so the flows read what the person
        has seen (``Outbox.last_prompt``)."""
        event = self.table.as_declared(event)
        key = (event.user.platform, event.user.id)
        slot = self._locks.get(key)
        if slot is None:
            slot = self._locks[key] = _UserLock()
        slot.users += 1
        started = time.perf_counter()
        if waypoints.recording() and self.table.is_heavy(event):
            waypoints.mark(event.chat.id, "routed")
        try:
            async with slot.lock:
                if settle is not None:
                    await settle(event.chat)
                if not self.table.is_heavy(event):
                    return await self._handle_retrying(event, received, outbox)
                if not self.renderer.pooled:
                    async with self.heavy:
                        return await self._handle_retrying(event, received, outbox)
                waypoints.mark(event.chat.id, "locked")
                with self.renderer.deferred():
                    replies = await self._handle_retrying(event, received, outbox)
                waypoints.mark(event.chat.id, "committed")
        finally:
            slot.users -= 1
            if slot.users == 0:
                self._locks.pop(key, None)
            self.stats.seconds += time.perf_counter() - started
        # committed, the person's lock released: their next update need not wait either
        return replies if outbox else await self.renderer.resolve_all(replies)

    async def owner(self, tx: Tx, event: Event) -> Flow | None:
        """The flow that owns ``event`` (the rule is stated in :mod:`handlers.routing`)."""
        name = self.table.fixed_owner(event)
        if name is not None:
            return self._by_name[name]
        if event.kind == "button":
            return None  # an action of no flow (an old or forged button)
        if event.kind == "text" and event.reply_to_ref:
            for name in self.table.reply_flows:
                flow = self._by_name[name]
                if await flow.owns_reply(tx, event):  # type: ignore[attr-defined]
                    return flow
        if event.chat.kind != "private" or event.kind not in ("text", "other", "command"):
            return None
        for name in self.table.private_claimants:
            flow = self._by_name[name]
            if await flow.claims_private(tx, event):  # type: ignore[attr-defined]
                return flow
        default = self.table.private_default
        return self._by_name[default] if default is not None else None

    async def _handle_retrying(
        self, event: Event, received: Received | None, outbox: bool
    ) -> list[Reply]:
        """:meth:`_handle_locked`, tried again (the person's lock still held, so their next
        update waits) while the database fails for a moment; the last failure is raised, and
        the caller keeps the update for later (bot/intake.py)."""
        for delay in TRANSIENT_RETRIES:
            try:
                return await self._handle_locked(event, received, outbox)
            except Exception as exc:
                if not transient(exc):
                    raise
                self.stats.retried += 1
                log.warning("the database failed for a moment; again: %s", failure_place(exc))
            await asyncio.sleep(delay)
        return await self._handle_locked(event, received, outbox)

    async def _handle_locked(
        self, event: Event, received: Received | None, outbox: bool
    ) -> list[Reply]:
        try:
            async with self.db.transaction(self.clock.now()) as tx:
                if not await _claim(tx, event, received):
                    self.stats.duplicates += 1
                    return []
                flow = await self.owner(tx, event)
                if flow is not None and flow.routes.flow in self.table.private_claimants:
                    asked = self.table.asked(event, claimed=True)  # «tình hình»: /tinhhinh
                    if asked is not None:
                        event, flow = asked, await self.owner(tx, asked)
                if flow is None:
                    self.stats.unowned += 1
                    return []
                self.stats.handled += 1
                replies = await flow.handle(tx, event)
                if event.chat.kind == "group" and event.kind in ("command", "button"):
                    replies = await self._unless_outsider(tx, event, replies)
                if outbox:
                    await tx.repo(Outbox).add(to_messages(replies, event.chat, answering=True))
                return replies
        except Exception as exc:
            if transient(exc):  # the database, for a moment: kept for another try (intake)
                raise
            self.stats.errors += 1
            # Type and place only: event texts are personal data and never logged, and an
            # exception's message or a traceback may quote them.
            log.error(
                "flow failed on a %s event in a %s chat: %s",
                event.kind,
                event.chat.kind,
                failure_place(exc),
            )
            apology = [Reply(text=message("chat.errors.internal"))]
            try:
                async with self.db.transaction(self.clock.now()) as tx:
                    await _claim(tx, event, received)
                    if outbox:
                        apologies = to_messages(apology, event.chat, answering=True)
                        await tx.repo(Outbox).add(apologies)
            except Exception as exc:  # pragma: no cover - the database itself is failing
                log.error("could not mark a failed update as processed: %s", failure_place(exc))
            return apology

    async def _unless_outsider(self, tx: Tx, event: Event, replies: list[Reply]) -> list[Reply]:
        """``replies`` to a group's command or tap, or — when its sender holds no role there
        — what of them may go elsewhere (the rule is stated in :mod:`handlers.routing`)."""
        name = self.table.group_roles
        if name is None or not replies:
            return replies
        judge = self._by_name[name]
        outsider = await judge.outsider(tx, event)  # type: ignore[attr-defined]
        if outsider is None:
            return replies
        here = (event.chat.platform, event.chat.id)
        kept: list[Reply] = []  # addressed to other chats
        posted: list[Reply] = []  # would be posted in the group
        for reply in replies:
            elsewhere = reply.chat is not None and (reply.chat.platform, reply.chat.id) != here
            if elsewhere:
                kept.append(reply)
            elif has_content(reply):
                posted.append(reply)
        if event.kind == "button":
            toast = next((r.toast for r in replies if r.toast), "")
            toast = toast or next((r.text for r in posted), "")
            return [*kept, Reply(toast=toast)] if toast else kept
        if outsider.private is None:
            return kept
        private = [replace(r, chat=outsider.private, edit_ref="", remember="") for r in posted]
        return [*kept, *private]

    async def message_sent(
        self, ref_key: str, platform: str, chat_id: str, message_id: str
    ) -> None:
        """The adapter sent a reply marked ``remember=ref_key``: tell the flow that owns it."""
        async with self.db.transaction(self.clock.now()) as tx:
            await self.remembered(tx, ref_key, platform, chat_id, message_id)

    async def remembered(
        self, tx: Tx, ref_key: str, platform: str, chat_id: str, message_id: str
    ) -> bool:
        """:meth:`message_sent` inside the caller's transaction (the sender marks the reply
        sent in the same one)."""
        for flow in self.flows:
            hook = getattr(flow, "message_sent", None)
            if hook is not None and await hook(tx, ref_key, platform, chat_id, message_id):
                return True
        return False


async def _claim(tx: Tx, event: Event, received: Received | None) -> bool:
    """Record the event as processed in ``tx``; False if it was processed before.

    The inbox row it was read from is marked; a key of its own (an edit keyed by its message,
    or an event from an adapter that stores no raw updates) is claimed in the inbox too."""
    inbox = tx.repo(Inbox)
    if received is not None and not await inbox.mark_processed(received.id, received.fence):
        return False
    key = event.update_key
    if key and (received is None or key != received.key):
        return await inbox.claim(event.chat.platform, key, event.user.id)
    return True
