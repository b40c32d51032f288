"""Delivery: the outbox's replies to the platform, per chat, strictly in order, never lost.

The router stores a flow's replies in the outbox in the same transaction as the answer
(storage/outbox.py); :class:`Delivery` sends them. It is platform-neutral: a platform adapter
implements the small :class:`Transport` protocol (send a text with buttons, edit it, send a
document or a photo, answer a button tap) and maps its errors onto four kinds:

* :class:`TryAgain` — network errors, server errors (5xx), "too many requests" (429, with the
  delay the platform asked for): the same call is retried, after ``retry_after`` when given,
  else with exponential backoff (:class:`RetryPolicy`). Nothing else of that chat goes out
  meanwhile, so a chat's replies stay in order; other chats are not held up.
* :class:`Refused` — the chat refuses the bot (blocked, bot removed): the chat's queued
  replies are given up without asking again;
* :class:`Rejected` — the platform will never accept this message;
* :class:`ChatMoved` — the chat has a new id (a Telegram group upgraded to a supergroup): the
  ``chat_moved`` hook lets the flows re-key what they store, and the reply goes to the new
  id as a new message (message ids do not carry over).

**The limit.** A reply failing with transient errors is retried for ``give_up_after``
seconds (24 hours by default) from its first failure, then given up; refused and rejected
replies are given up at once (a refusal also gives up what is queued for that chat). Either
way the row is marked ``failed`` with the reason and an ``audit_log`` row ``reply_given_up``
records it (chat and reason, never content).

One worker per chat with pending rows takes them in id order; each row is marked sent — and,
for a reply marked ``remember``, the sent message's id handed to the flows (``remembered``) —
in one transaction after the platform confirmed it, shared with the marks of other chats'
replies confirmed in the same turn of the event loop (:class:`_SentMarks`). A crash between
the platform's answer and that commit sends the row again after the restart: delivery is at
least once, and a duplicate can only be the message that was in flight. A reply the
platform splits into several calls (a long text, a document with a long caption) records its
progress, so a retry or a restart does not repeat the parts already delivered. Pacing
(bot/pacing.py) is applied to every call.

**Handed rows.** A chat's worker reads its next row where it stands; the one read a sender
can skip is the first one after a pause, when it knows the answer already. A sole sender
(one process queues and sends this platform's replies: not several workers, bot/workers.py)
watches the outbox (``storage.outbox.watch``): a chat whose next-row read found nothing, in a
commit that nothing has been queued after (each commit that queues rows hands them over in
the same turn of the event loop), is *drained*; the first row committed for a drained chat
is handed to its worker as it was inserted, instead of being read back — one statement and
one turn of the write lock less per answer. An edit that supersedes a handed row takes the
handed row back (the worker reads the table), so the card still ends in its latest state.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal, Protocol

from bot.pacing import Clock, MonotonicClock, Pacer
from handlers import waypoints
from handlers.events import Button, Chat, ChatKind, Document, Photo, Reply
from handlers.failures import failure_place
from handlers.rendering import DocumentRenderer, EarlyRenders, is_deferred, supersedes
from handlers.replies import from_pending, to_messages, to_send
from storage.db import Database, Tx
from storage.outbox import Outbox, Pending, unwatch, watch

log = logging.getLogger(__name__)

Buttons = list[list[Button]]
Remembered = Callable[[Tx, str, str, str, str], Awaitable[object]]
MovedHook = Callable[[Chat, str], Awaitable[object]]


class SendError(Exception):
    """A platform call failed (see the module docstring for the kinds)."""


class TryAgain(SendError):
    """Transient: retry the same call, after ``after`` seconds when the platform said so."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.after = after


class Refused(SendError):
    """The chat refuses the bot (blocked it, removed it): this reply can never arrive."""


class Rejected(SendError):
    """The platform will never accept this message as it is."""


class NotOurs(SendError):
    """This sender no longer owns the chat (several workers: bot/workers.py): it stops, the
    reply stays pending for the chat's new sender."""


class ChatMoved(SendError):
    """The chat now has the id ``new_chat_id``."""

    def __init__(self, new_chat_id: str) -> None:
        super().__init__(f"chat moved to {new_chat_id}")
        self.new_chat_id = new_chat_id


class Transport(Protocol):
    """What a platform adapter implements for :class:`Delivery`; message ids are text."""

    platform: str

    def split_text(self, text: str) -> list[str]:
        """``text`` cut into messages the platform accepts ([] for blank text)."""
        ...

    def caption_fits(self, caption: str) -> bool: ...

    async def send_text(
        self, chat_id: str, text: str, buttons: Buttons, *, protect: bool = False
    ) -> str:
        """``protect``: the platform should keep it from being forwarded or saved
        (``Reply.protect``; edits keep the protection of the message they edit)."""
        ...

    async def edit_text(
        self, chat_id: str, message_id: str, text: str, buttons: Buttons | None
    ) -> str | None:
        """Edit in place; None if that message cannot be edited (a new one is sent)."""
        ...

    async def send_document(
        self,
        chat_id: str,
        document: Document,
        caption: str,
        buttons: Buttons,
        *,
        protect: bool = False,
    ) -> str: ...

    async def send_photo(
        self, chat_id: str, photo: Photo, caption: str, buttons: Buttons, *, protect: bool = False
    ) -> str: ...

    async def answer_callback(self, query_id: str, text: str) -> None:
        """Answer a button tap (stops the spinner); failures are the transport's to swallow."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff between attempts of a failing call, and when to give up (module docstring)."""

    first_delay: float = 0.5
    max_delay: float = 300.0
    give_up_after: float = 24 * 3600.0
    max_attempts: int | None = None  # a count limit as well (tests)

    def delay(self, attempts: int, after: float | None) -> float:
        if after is not None:
            return max(0.0, after)
        return float(min(self.max_delay, self.first_delay * 2.0 ** min(max(0, attempts - 1), 40)))


@dataclass(frozen=True, slots=True)
class Step:
    """One platform call of a reply."""

    kind: Literal["text", "edit", "document", "photo"]
    text: str = ""  # the text, or the caption
    buttons: Buttons = field(default_factory=list)
    edit_ref: str = ""
    document: Document | None = None
    photo: Photo | None = None
    protect: bool = False


def plan(reply: Reply, transport: Transport) -> list[Step]:
    """The calls that deliver ``reply``: its text (split; the first part edits ``edit_ref``
    when given), then its attachments, the buttons on the last message. A caption the
    platform does not accept goes out as text after its attachment."""
    chunks = transport.split_text(reply.text)
    attachments: list[Document | Photo] = [a for a in (reply.document, reply.photo) if a]
    steps: list[Step] = []
    for index, chunk in enumerate(chunks):
        final = index == len(chunks) - 1 and not attachments
        buttons = reply.buttons if final else []
        if index == 0 and reply.edit_ref:
            steps.append(Step("edit", chunk, buttons, edit_ref=reply.edit_ref))
        else:
            steps.append(Step("text", chunk, buttons))
    for position, attachment in enumerate(attachments):
        final = position == len(attachments) - 1
        caption = attachment.caption.strip()
        fits = transport.caption_fits(caption)
        buttons = reply.buttons if final and fits else []
        if isinstance(attachment, Document):
            steps.append(Step("document", caption if fits else "", buttons, document=attachment))
        else:
            steps.append(Step("photo", caption if fits else "", buttons, photo=attachment))
        if not fits:
            pieces = transport.split_text(caption)
            for index, piece in enumerate(pieces):
                tail = final and index == len(pieces) - 1
                steps.append(Step("text", piece, reply.buttons if tail else []))
    if not steps and reply.buttons:
        raise ValueError("a reply with buttons needs text or an attachment")
    if reply.protect:
        steps = [replace(step, protect=True) for step in steps]
    return steps


async def call_step(t: Transport, chat_id: str, step: Step) -> str:
    """One platform call of a reply's plan; the sent message's id."""
    protect = step.protect
    if step.kind == "edit":
        edited = await t.edit_text(chat_id, step.edit_ref, step.text, step.buttons or None)
        if edited is not None:
            return edited
        return await t.send_text(chat_id, step.text, step.buttons, protect=protect)
    if step.kind == "text":
        return await t.send_text(chat_id, step.text, step.buttons, protect=protect)
    if step.document is not None:  # an upload, timed for a bench (handlers/waypoints.py)
        waypoints.mark(chat_id, "paced")
        sent = await t.send_document(
            chat_id, step.document, step.text, step.buttons, protect=protect
        )
        waypoints.mark(chat_id, "uploaded")
        return sent
    assert step.photo is not None
    return await t.send_photo(chat_id, step.photo, step.text, step.buttons, protect=protect)


async def rendered(
    renderer: DocumentRenderer,
    chat_id: str,
    reply: Reply,
    early: Awaitable[Reply] | None = None,
) -> Reply:
    """``reply`` with its document rendered if it is a job (handlers/rendering.py), by
    ``early`` when it started rendering at its commit (``EarlyRenders``); the moments are
    noted for a bench (handlers/waypoints.py)."""
    if not is_deferred(reply):
        return reply
    waypoints.mark(chat_id, "picked")
    reply = await (early if early is not None else renderer.resolve(reply))
    waypoints.mark(chat_id, "rendered")
    return reply


@dataclass
class DeliveryStats:
    sent: int = 0
    calls: int = 0
    retries: int = 0
    given_up: int = 0
    superseded_skips: int = 0
    superseded: int = 0  # documents not rendered: a later one of the chat replaced them


class Delivery:
    """Sends the outbox (see the module docstring). One instance per platform."""

    #: this process alone queues and sends this platform's replies: rows it saw committed
    #: may be handed to a chat's worker (module docstring, "Handed rows")
    sole_sender = True
    #: how many drained chats are remembered (forgetting one only costs a read)
    drained_limit = 100_000

    def __init__(
        self,
        db: Database,
        transport: Transport,
        *,
        pacer: Pacer | None = None,
        retry: RetryPolicy | None = None,
        remembered: Remembered | None = None,
        chat_moved: MovedHook | None = None,
        clock: Clock | None = None,
        wall: Callable[[], datetime] | None = None,
        renderer: DocumentRenderer | None = None,
    ) -> None:
        self.db = db
        # renders a document queued as a job (handlers/rendering.py) when its turn comes
        self.renderer = renderer or DocumentRenderer()
        self.transport = transport
        self.platform = transport.platform
        self.clock: Clock = clock or (pacer.clock if pacer else MonotonicClock())
        self.pacer = pacer or Pacer(clock=self.clock)
        self.retry = retry or RetryPolicy()
        self.remembered = remembered
        self.chat_moved = chat_moved
        self.wall = wall or (lambda: datetime.now(UTC))
        self.moved: dict[str, str] = {}  # chat id -> its new id
        self.stats = DeliveryStats()
        self._workers: dict[str, asyncio.Task[None]] = {}
        # chat id -> how many times it was woken while its worker runs: a worker that read
        # "nothing pending" after the last wake may stop without reading again
        self._wakes: dict[str, int] = {}
        self._claims: dict[int, asyncio.Event] = {}  # rows being sent -> set when done
        # chat id -> resolved once the question reply being handed to the platform there is
        # recorded (sent) or failed: see :meth:`settled`
        self._landing: dict[str, asyncio.Future[None]] = {}
        self._stopping = False
        self._idle = asyncio.Event()
        self._idle.set()
        self._marks = _SentMarks(self)
        self._handover = _Handover(self.platform, self.drained_limit)
        self._early = EarlyRenders(self.renderer, self.platform)
        if self.sole_sender:
            watch(db, self._handover.queued)
            watch(db, self._early.queued)

    # -- feeding -----------------------------------------------------------------------------
    def wake(self, chat_id: str, chat_kind: str = "private", *, start: bool = True) -> None:
        """``chat_id`` may have new rows (call after their commit); ``start``: its worker too."""
        if self._stopping:
            return
        self._wakes[chat_id] = self._wakes.get(chat_id, 0) + 1
        if start and chat_id not in self._workers:
            self._idle.clear()
            self._workers[chat_id] = asyncio.create_task(
                self._work(chat_id, chat_kind), name=f"deliver-{chat_id}"
            )

    def serve_here(self, chat: Chat) -> Coroutine[object, object, None] | None:
        """The calling task as ``chat``'s worker unless it has one (an update's task after its
        commit, bot/intake.py: a task less per answer): the work to await. :meth:`wake` first."""
        task, busy = asyncio.current_task(), self._stopping or chat.id in self._workers
        if busy or task is None or chat.platform != self.platform:
            return None
        self._idle.clear()
        self._workers[chat.id] = task
        return self._work(chat.id, chat.kind)

    def heard(self, chat: Chat) -> None:
        """The person wrote in ``chat``: their reply may go out at once (bot/pacing.py)."""
        if chat.platform == self.platform and chat.kind == "private":
            self.pacer.credit((self.platform, self.moved.get(chat.id, chat.id)))

    async def settled(self, chat: Chat, timeout: float = 10.0) -> None:
        """Return once no question reply to ``chat`` is between the platform's hands and its
        mark: a person answering a question that just arrived is judged on the question's
        recorded state (the flows read ``Outbox.last_prompt``), not on a commit that is a
        few milliseconds late. Waits at most ``timeout`` (a hung call)."""
        landing = self._landing.get(chat.id) if chat.platform == self.platform else None
        if landing is not None and not landing.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(landing), timeout)

    def wake_for(self, replies: Iterable[Reply], default_chat: Chat, *, here: str = "") -> bool:
        """Wake the chats of ``replies`` (this platform's); ``here``: one the caller serves."""
        woken = False  # whether ``here`` was woken (returned: the caller then serves it)
        for reply in replies:
            chat = reply.chat or default_chat
            if chat.platform == self.platform:
                woken |= chat.id == here
                self.wake(chat.id, chat.kind, start=chat.id != here)
        return woken

    async def enqueue(self, replies: Iterable[Reply], default_chat: Chat) -> None:
        """Store replies produced outside an event (digests, notices) and deliver them."""
        replies = list(replies)
        messages = to_messages(replies, default_chat)
        if not messages:
            return
        async with self.db.transaction(self.wall()) as tx:
            await tx.repo(Outbox).add(messages)
        self.wake_for(replies, default_chat)

    async def resume(self) -> int:
        """Start delivering what a previous run left pending; returns the number of chats."""
        async with self.db.transaction(self.wall()) as tx:
            chats = await tx.repo(Outbox).pending_chats()
        for platform, chat_id, kind in chats:
            if platform == self.platform:
                self.wake(chat_id, kind)
        return len(chats)

    def note_moved(self, chat_id: str, new_chat_id: str) -> None:
        """The platform told us a chat's new id (the move's service message)."""
        self.moved[chat_id] = new_chat_id

    @property
    def busy(self) -> bool:
        """Whether some chat has replies being delivered."""
        return bool(self._workers)

    async def idle(self) -> None:
        """Wait until nothing is being delivered (everything sent, given up or waiting)."""
        while self._workers:
            await self._idle.wait()

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the calls in flight (up to ``timeout``), leave the rest for the next start."""
        self._stopping = True
        unwatch(self.db, self._handover.queued)
        unwatch(self.db, self._early.queued)
        workers = list(self._workers.values())
        if workers:
            _done, pending = await asyncio.wait(workers, timeout=timeout)
            for task in pending:
                task.cancel()
            for task in pending:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._early.stop()

    # -- the per-chat worker -----------------------------------------------------------------
    async def _work(self, chat_id: str, chat_kind: str) -> None:
        # the next row, read with the last one's mark, and the chat's wake count before that
        # read (-1: not read, read anew)
        following: Pending | None = None
        seen = -1
        try:
            while not self._stopping:
                row, following = following, None
                if seen < 0:
                    seen = self._wakes.get(chat_id, 0)
                    row = self._handover.take(chat_id)
                    if row is None:
                        row = await self._read_next(chat_id)
                if row is None:
                    if self._wakes.get(chat_id, 0) != seen:  # woken since: read again
                        seen = -1
                        continue
                    return
                claim = self._claims.get(row.id)
                if claim is not None:  # being sent by another chat's worker (a move)
                    await claim.wait()
                    seen = -1
                    continue
                following, seen = await self._deliver(row)
        except NotOurs as exc:  # another worker sends to this chat now
            log.warning(
                "stopped sending to a chat another worker took over: %s", failure_place(exc)
            )
        except Exception as exc:  # pragma: no cover - the database failed; rows stay pending
            log.error("delivery to one chat stopped; its rows stay pending: %s", failure_place(exc))
        finally:
            self._workers.pop(chat_id, None)
            self._wakes.pop(chat_id, None)
            self.pacer.release((self.platform, self.moved.get(chat_id, chat_id)))
            if not self._workers:
                self._idle.set()

    def _drain(self, chat_id: str) -> None:
        """``chat_id`` has nothing pending, as read in the last commit (or under its lock)."""
        if self.sole_sender:
            self._handover.drained(chat_id)

    async def _read_next(self, chat_id: str) -> Pending | None:
        async with self.db.latest() as s:  # a read: no transaction needed
            row = await s.repo(Outbox).next(self.platform, chat_id)
            # SQLite reads under the write lock: no commit can slip between it and this
            if row is None and not self.db.dialect.postgres:
                self._drain(chat_id)
        return row

    async def _deliver(self, row: Pending) -> tuple[Pending | None, int]:
        """Deliver ``row``; returns the chat's next pending row as read with the mark (None:
        none) and the chat's wake count before that read (-1: not read, read it anew)."""
        self._handover.sending(row)
        self._claims[row.id] = claim = asyncio.Event()
        try:
            return await self._deliver_claimed(row)
        finally:
            del self._claims[row.id]
            claim.set()
            self._landed(row)

    async def _deliver_claimed(self, row: Pending) -> tuple[Pending | None, int]:
        reply = to_send(row)
        if await self._superseded(row, reply):
            return None, -1
        reply = await rendered(self.renderer, row.chat_id, reply, self._early.take(row.id))
        target = self.moved.get(row.chat_id, row.chat_id)
        if target != row.chat_id:
            reply = replace(reply, edit_ref="")  # the old chat's message ids mean nothing there
        steps = plan(reply, self.transport)
        index, last, attempts = row.progress, "", row.attempts
        first_failed = row.first_failed_at
        moves = 0
        while index < len(steps):
            pace = (self.platform, target)
            try:
                await self.pacer.wait(pace, row.chat_kind, reply=row.reply)
                self.stats.calls += 1
                try:
                    last = await self._call_landing(row, target, steps[index])
                finally:
                    self.pacer.confirmed(pace)
            except TryAgain as exc:
                attempts += 1
                if self._exhausted(attempts, first_failed):
                    await self._give_up(row, f"gave up after {attempts} attempts: {exc}")
                    return None, -1
                first_failed = first_failed or self.wall().isoformat()
                await self._note_failure(row, exc)
                await self.clock.sleep(self.retry.delay(attempts, exc.after))
                if not await self._waiting(row):
                    return None, -1  # erased meanwhile (its dossier): nothing of it goes out
                continue
            except ChatMoved as exc:
                moves += 1
                if moves > 2:
                    await self._give_up(row, "the chat keeps moving")
                    return None, -1
                target = await self._moved(row, exc.new_chat_id)
                steps, index = plan(replace(reply, edit_ref=""), self.transport), 0
                continue
            except NotOurs:
                raise
            except Refused as exc:
                await self._refused(row, str(exc))
                return None, -1
            except Rejected as exc:
                await self._give_up(row, f"rejected: {exc}")
                return None, -1
            except Exception as exc:  # a bug of the transport: do not retry it for a day
                log.error("sending reply %s failed: %s", row.id, failure_place(exc))
                await self._give_up(row, f"error: {type(exc).__name__}")
                return None, -1
            index += 1
            if index < len(steps):
                async with self.db.transaction(self.wall()) as tx:
                    await tx.repo(Outbox).progressed(row.id, index)
        return await self._sent(row, reply, target, last)

    async def _superseded(self, row: Pending, reply: Reply) -> bool:
        """Whether ``row``, a document still to render, is made pointless by a later one queued
        in its chat (a draft asked for again before the first was sent: only the latest is
        rendered, handlers/rendering.py ``supersedes``); then it is marked so, not sent. The
        look is a read: no write transaction unless there is something to mark."""
        if not is_deferred(reply):
            return False
        async with self.db.read(self.wall()) as r:
            later = await r.repo(Outbox).pending_after(row.platform, row.chat_id, row.id)
        if not any(supersedes(from_pending(p), reply) for p in later):
            return False
        async with self.db.transaction(self.wall()) as tx:
            await tx.repo(Outbox).supersede(row.id)
        self._early.drop(row.id)
        self.stats.superseded += 1
        return True

    async def _waiting(self, row: Pending) -> bool:
        """Whether ``row`` is still to deliver: an erasure deletes a dossier's waiting replies
        (storage/erasure.py), and a retry must not send what is no longer stored."""
        async with self.db.transaction(self.wall()) as tx:
            return await tx.repo(Outbox).status(row.id) == "pending"

    async def _call_landing(self, row: Pending, target: str, step: Step) -> str:
        """:meth:`_call`; a question reply is *landing* from the call until its mark (see
        :meth:`settled`) — or until the call failed."""
        if not row.prompt:
            return await call_step(self.transport, target, step)
        landing = self._landing.get(row.chat_id)
        if landing is None or landing.done():
            self._landing[row.chat_id] = asyncio.get_running_loop().create_future()
        try:
            return await call_step(self.transport, target, step)
        except BaseException:
            self._landed(row)
            raise

    def _landed(self, row: Pending) -> None:
        landing = self._landing.pop(row.chat_id, None)
        if landing is not None and not landing.done():
            landing.set_result(None)

    def _exhausted(self, attempts: int, first_failed: str | None) -> bool:
        limit = self.retry.max_attempts
        if limit is not None and attempts >= limit:
            return True
        if first_failed is None:
            return False
        failing = self.wall() - datetime.fromisoformat(first_failed)
        return failing.total_seconds() >= self.retry.give_up_after

    async def _note_failure(self, row: Pending, exc: TryAgain) -> None:
        self.stats.retries += 1
        log.info("reply %s failed (%s); retrying", row.id, exc)
        async with self.db.transaction(self.wall()) as tx:
            await tx.repo(Outbox).failed_attempt(row.id, str(exc))

    async def _give_up(self, row: Pending, reason: str) -> None:
        self.stats.given_up += 1
        log.warning("reply %s given up: %s", row.id, reason)
        async with self.db.transaction(self.wall()) as tx:
            await tx.repo(Outbox).give_up(row.id, reason)
            detail = {"outbox": row.id, "chat": row.chat_id, "reason": reason[:200]}
            await tx.audit.append("reply_given_up", detail=detail)

    async def _refused(self, row: Pending, reason: str) -> None:
        """The chat refuses the bot: what is queued for it now will be refused as well, so
        it is given up without asking again (what is queued later is tried: people unblock)."""
        log.info("the chat of reply %s refuses the bot (%s); its queue is dropped", row.id, reason)
        async with self.db.transaction(self.wall()) as tx:
            ids = await tx.repo(Outbox).give_up_chat(
                self.platform, row.chat_id, f"refused: {reason}"
            )
            detail = {"outbox": ids, "chat": row.chat_id, "reason": f"refused: {reason[:200]}"}
            await tx.audit.append("reply_given_up", detail=detail)
        self.stats.given_up += len(ids)

    async def _moved(self, row: Pending, new_id: str) -> str:
        """Remember the chat's new id and let the flows follow it; what they queue for the
        chat meanwhile, at its old or new id (a notice of the move), goes out first, then the
        refused reply. A row is sent by one worker at a time (``_claims``)."""
        log.info("the chat of reply %s moved to a new id", row.id)
        self.moved[row.chat_id] = new_id
        if self.chat_moved is None:
            return new_id
        kind: ChatKind = "group" if row.chat_kind == "group" else "private"
        async with self.db.transaction(self.wall()) as tx:
            before = await tx.repo(Outbox).last_id()
        try:
            await self.chat_moved(Chat(self.platform, row.chat_id, kind), new_id)
        except Exception as exc:  # the reply itself must still go out
            log.error("could not record the move of a chat: %s", failure_place(exc))
        async with self.db.transaction(self.wall()) as tx:
            outbox = tx.repo(Outbox)
            notices = [
                notice
                for chat in (row.chat_id, new_id)
                for notice in await outbox.pending_after(self.platform, chat, before)
            ]
        for notice in sorted(notices, key=lambda n: n.id):
            if notice.id not in self._claims:
                await self._deliver(notice)
        return new_id

    async def _mark_sent(self, tx: Tx, row: Pending, message_id: str) -> None:
        """Record ``row`` sent in ``tx``. Several workers: only while the chat is ours (the
        mark is fenced by the chat's lease), else :class:`NotOurs`, rolling ``tx`` back."""
        await tx.repo(Outbox).sent(row.id, message_id)

    async def _sent(
        self, row: Pending, reply: Reply, target: str, message_id: str
    ) -> tuple[Pending | None, int]:
        seen = self._wakes.get(row.chat_id, 0)
        following = await self._marks.mark(_Mark(row, reply.remember, target, message_id))
        self._landed(row)
        self.stats.sent += 1
        if following is not None and following.id in self._claims:
            return None, -1
        return following, seen


class _Handover:
    """The rows a sole sender need not read back (module docstring, "Handed rows")."""

    def __init__(self, platform: str, limit: int) -> None:
        self.platform = platform
        self.limit = limit  # drained chats remembered (forgetting one only costs a read)
        self._drained: set[str] = set()  # chats known to have nothing pending
        self._handed: dict[str, Pending] = {}  # chat id -> its next row, not read back
        # chat id -> its handed row while nothing else was queued for the chat: once that
        # row is marked, the chat is drained without reading its next row
        self._alone: dict[str, int] = {}

    def queued(self, rows: Iterable[Pending]) -> None:
        """Rows just committed to the outbox."""
        for row in rows:
            if row.platform != self.platform:
                continue
            chat = row.chat_id
            if chat in self._drained:
                self._drained.discard(chat)
                self._handed[chat] = row
                if len(self._alone) >= self.limit:  # rows given up are never marked
                    self._alone.clear()
                self._alone[chat] = row.id
                continue
            self._alone.pop(chat, None)
            if row.edit_ref:
                handed = self._handed.get(chat)
                if handed is not None and handed.edit_ref == row.edit_ref:
                    del self._handed[chat]  # superseded in the table by this edit

    def drained(self, chat_id: str) -> None:
        if len(self._drained) >= self.limit:
            self._drained.clear()
        self._drained.add(chat_id)

    def last(self, row: Pending) -> bool:
        """Whether ``row`` was handed and nothing has been queued for its chat since: once
        it is marked, nothing of the chat is pending (asked once per row)."""
        return self._alone.pop(row.chat_id, None) == row.id

    def take(self, chat_id: str) -> Pending | None:
        """The chat's next row if it was handed over (then the worker reads no row)."""
        return self._handed.pop(chat_id, None)

    def sending(self, row: Pending) -> None:
        """``row`` is being sent (by its worker, or by another path: a moved chat's notice)."""
        handed = self._handed.get(row.chat_id)
        if handed is not None and handed.id == row.id:
            del self._handed[row.chat_id]


@dataclass(frozen=True, slots=True)
class _Mark:
    """A reply the platform confirmed: its row, its ``remember`` key, where it went and the
    platform's id of the message it became."""

    row: Pending
    remember: str
    target: str
    message_id: str


class _SentMarks:
    """Replies confirmed together (in one turn of the event loop, to different chats) are
    marked sent in ONE transaction, each with its chat's next row read in it — a commit per
    turn instead of one per reply. Each worker waits for the commit that holds its mark. If
    that commit fails (a ``remembered`` hook of one reply), every mark of it is tried again
    in a transaction of its own, so one reply's failure stays that reply's."""

    def __init__(self, delivery: Delivery) -> None:
        self.delivery = delivery
        self._waiting: list[tuple[_Mark, asyncio.Future[Pending | None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def mark(self, mark: _Mark) -> Pending | None:
        """Mark ``mark`` sent; returns its chat's next pending row, read in the same commit
        (an edit superseded after this read still goes out, just before its successor)."""
        done: asyncio.Future[Pending | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((mark, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name="delivery-marks")
        # a worker cancelled meanwhile cancels only its wait: the mark is in the batch and lands
        return await done

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                following = await self._commit([mark for mark, _ in batch])
            except Exception:
                for mark, done in batch:  # one by one: a failure is its own reply's
                    try:
                        (one,) = await self._commit([mark])
                    except Exception as exc:
                        _settle(done, exc=exc)
                    else:
                        _settle(done, one)
            else:
                for (_, done), one in zip(batch, following, strict=True):
                    _settle(done, one)

    async def _commit(self, marks: list[_Mark]) -> list[Pending | None]:
        d = self.delivery
        following: list[Pending | None] = []
        async with d.db.transaction(d.wall()) as tx:
            outbox = tx.repo(Outbox)
            for m in marks:
                # another worker's chat now: NotOurs, rolled back
                await d._mark_sent(tx, m.row, m.message_id)
                hook = d.remembered if m.remember and m.message_id else None
                if hook is not None:  # it may queue rows in this transaction: read below
                    await hook(tx, m.remember, d.platform, m.target, m.message_id)
                # a handed row that nothing was queued after, as of this transaction (which
                # holds the write lock): its chat is drained, no read
                last = hook is None and d._handover.last(m.row)
                after = None if last else await outbox.next(d.platform, m.row.chat_id)
                if after is None:  # drained once this commit lands (not if it rolls back)
                    tx.after_commit(functools.partial(d._drain, m.row.chat_id))
                following.append(after)
        return following


def _settle(
    done: asyncio.Future[Pending | None],
    result: Pending | None = None,
    exc: BaseException | None = None,
) -> None:
    if done.done():
        return
    if exc is not None:
        done.set_exception(exc)
    else:
        done.set_result(result)
