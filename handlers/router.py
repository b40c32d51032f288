"""The router: one platform-neutral event in, the replies out, with its effects committed.

For each event the router

1. takes the lock of its (platform, user): one person's updates run one after another in
   arrival order, different people run concurrently;
2. opens ONE write transaction and records the update key in ``processed_updates``: a key seen
   before means a redelivery, which returns ``[]`` and changes nothing;
3. offers the event to the flows in order (review, secretary, candidate…); the first one
   that returns a list (even empty) owns it, ``None`` means "not mine";
4. commits — the marker, the answer, the new revision, the conversation cursor together —
   and only then returns the replies for the adapter to send.

A flow is any object with ``name`` and ``async handle(tx, event) -> list[Reply] | None``
(:class:`Flow`); it may also implement ``message_sent(tx, ref_key, platform, chat_id,
message_id) -> bool`` to learn the id of a message it asked to ``remember``. Flows do their
reads and writes through ``tx`` (see :mod:`storage.db`); ``tx.now`` is the event's time from
the router's clock, and :func:`local_today` turns it into the users' calendar date.

If a flow raises, the transaction is rolled back, the update is still marked as processed
(in its own transaction, so a poisoned update is not retried forever) and the person gets a
short apology; nothing of the event's content is logged.

Expensive events. A flow may also implement ``is_heavy(event) -> bool`` for events that
cost far more than an answer — rendering a document takes ~10 ms of the single event loop,
an answer ~0.6 ms. Those pass through :class:`HeavyGate`: one at a time, and together no
more than half of the loop's time. Normally that delays nothing; when hundreds of people
ask for their draft at once, the drafts queue up (each person still gets theirs, in order)
instead of starving everybody's answers — measured with 500 candidates finishing together
(bench/bench_chat.py), unthrottled drafts pushed the answers' p99 from ~20 ms to ~290 ms.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from forms.texts import message
from handlers.events import Event, Reply
from storage.db import Database, Tx

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The real time, timezone-aware (UTC)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A settable clock for tests and the demo."""

    at: datetime

    def now(self) -> datetime:
        return self.at


def local_today(tx: Tx, zone: ZoneInfo = DEFAULT_ZONE) -> date:
    """The users' calendar date at the moment of the unit of work."""
    return datetime.fromisoformat(tx.now).astimezone(zone).date()


@runtime_checkable
class Flow(Protocol):
    """A conversation flow: returns replies for events it owns, ``None`` for the others."""

    name: str

    async def handle(self, tx: Tx, event: Event) -> list[Reply] | None: ...


@dataclass
class RouterStats:
    handled: int = 0
    duplicates: int = 0
    unowned: int = 0
    errors: int = 0
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
        zone: ZoneInfo = DEFAULT_ZONE,
    ) -> None:
        self.db = db
        self.clock: Clock = clock or SystemClock()
        self.flows: list[Flow] = list(flows)
        self.zone = zone
        self.stats = RouterStats()
        self._locks: dict[tuple[str, str], _UserLock] = {}
        self.heavy = HeavyGate()

    def add_flow(self, flow: Flow, *, first: bool = False) -> None:
        """Register a flow; ``first`` puts it before the others (it sees events first)."""
        if first:
            self.flows.insert(0, flow)
        else:
            self.flows.append(flow)

    def flow(self, name: str) -> Flow | None:
        return next((f for f in self.flows if f.name == name), None)

    # -- events -------------------------------------------------------------------------------
    async def handle(self, event: Event) -> list[Reply]:
        """The replies to ``event``, after its effects are committed."""
        key = (event.user.platform, event.user.id)
        slot = self._locks.get(key)
        if slot is None:
            slot = self._locks[key] = _UserLock()
        slot.users += 1
        started = time.perf_counter()
        try:
            async with slot.lock:
                if self._is_heavy(event):
                    async with self.heavy:
                        return await self._handle_locked(event)
                return await self._handle_locked(event)
        finally:
            slot.users -= 1
            if slot.users == 0:
                self._locks.pop(key, None)
            self.stats.seconds += time.perf_counter() - started

    def _is_heavy(self, event: Event) -> bool:
        for flow in self.flows:
            check = getattr(flow, "is_heavy", None)
            if check is not None and check(event):
                return True
        return False

    async def _handle_locked(self, event: Event) -> list[Reply]:
        try:
            async with self.db.transaction(self.clock.now()) as tx:
                if event.update_key and not await tx.updates.mark(
                    event.chat.platform, event.update_key
                ):
                    self.stats.duplicates += 1
                    return []
                for flow in self.flows:
                    replies = await flow.handle(tx, event)
                    if replies is not None:
                        self.stats.handled += 1
                        return replies
                self.stats.unowned += 1
                return []
        except Exception as exc:
            self.stats.errors += 1
            # Type and place only: event texts are personal data and never logged.
            log.exception(
                "flow failed on a %s event in a %s chat: %s",
                event.kind,
                event.chat.kind,
                type(exc).__name__,
            )
            if event.update_key:
                try:
                    async with self.db.transaction(self.clock.now()) as tx:
                        await tx.updates.mark(event.chat.platform, event.update_key)
                except Exception:  # pragma: no cover - the database itself is failing
                    log.exception("could not mark a failed update as processed")
            return [Reply(text=message("chat.errors.internal"))]

    async def message_sent(
        self, ref_key: str, platform: str, chat_id: str, message_id: str
    ) -> None:
        """The adapter sent a reply marked ``remember=ref_key``: tell the flow that owns it."""
        async with self.db.transaction(self.clock.now()) as tx:
            for flow in self.flows:
                hook = getattr(flow, "message_sent", None)
                if hook is not None and await hook(tx, ref_key, platform, chat_id, message_id):
                    return


# ---------------------------------------------------------------------------------------------
# Production wiring


def build_flows(*, bot_username: str = "") -> list[Flow]:
    """The flows of a running bot, in dispatch order: chat moves, edits, review, secretary,
    candidate.

    The review and secretary flows are optional imports so the candidate conversation works
    on its own; the candidate's submission is handed to the review flow when it exists.
    """
    from handlers.candidate import CandidateFlow
    from handlers.chat_moves import ChatMoveFlow
    from handlers.edits import EditsFlow

    flows: list[Flow] = [ChatMoveFlow()]  # first: re-keys a moved chat before anyone reads it
    flows.append(EditsFlow())  # before any flow could take an edited message for an answer
    on_submitted = None
    on_start = None
    unit_for = None
    try:
        from handlers.review import ReviewFlow
    except ImportError:  # pragma: no cover - review flow not installed
        ReviewFlow = None  # type: ignore[assignment,misc]
    if ReviewFlow is not None:
        from handlers.org import OrgFlow

        review = ReviewFlow(bot_username=bot_username)
        org = OrgFlow(bot_username=bot_username)
        flows.extend([review, org])
        on_submitted = review.on_submitted
        on_start = org.on_start
        unit_for = org.unit_for
    try:
        from handlers.secretary import SecretaryFlow  # type: ignore[import-not-found]
    except ImportError:
        SecretaryFlow = None  # type: ignore[assignment,misc]
    if SecretaryFlow is not None:
        flows.append(SecretaryFlow())
    flows.append(CandidateFlow(on_submitted=on_submitted, on_start=on_start, unit_for=unit_for))
    return flows


def warm_up() -> None:
    """Load what the first candidates would otherwise wait for (the form, the gazetteer, the
    rules), then move every object alive so far out of the garbage collector's reach: the
    gazetteer alone is hundreds of thousands of objects that each full collection would
    otherwise traverse, which showed as tail latency under load."""
    import gc

    from forms import checks  # noqa: F401 - registers the rules
    from forms.addresses import preload
    from forms.definition import load_form

    load_form()
    preload()
    gc.collect()
    gc.freeze()


async def open_router(
    settings: Settings, *, clock: Clock | None = None
) -> tuple[Router, Callable[[], Awaitable[None]]]:
    """The router of a running bot on the configured database, and how to close it."""
    warm_up()
    db = await Database.open(settings.database_file())
    router = Router(db, clock, build_flows(bot_username=settings.bot_username), zone=settings.zone)
    return router, db.close
