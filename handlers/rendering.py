"""Documents rendered in worker processes after the answer is committed: nobody waits for one.

A dossier's .docx takes tens of milliseconds of CPU; rendered inside a flow it held the event
loop and the database's single write transaction, so every other person's answer waited for
it (issue 17: drafts asked for under load waited p50 14 s, and answers behind them). The
composition root (bot/app.py) creates a process pool and hands the flows one
:class:`DocumentRenderer`; tests and the console use it without a pool (in place).

With a pool, a dossier document is a reply queued like any other, rendered later:

1. while the router handles an event that renders one (declared ``heavy`` in the routing
   table), the renderer is *deferred* (:meth:`DocumentRenderer.deferred`): asked for a
   document, it hands back a :class:`Deferred` — the bytes of what to render (the dossier as
   it is now, draft or final, the flags), not the rendering — and the flow puts it in its
   reply as it would the .docx;
2. the router commits the answer with that reply in the outbox (handlers/replies.py stores
   the job in place of the file) and answers at once;
3. the sender (bot/delivery.py), reaching that reply in the chat's order, has it rendered in
   the pool (:meth:`DocumentRenderer.resolve`) and sends the file. A caller that takes the
   replies directly, without the outbox, gets them resolved by the router after the
   person's lock is released.

So the answer path never waits for a rendering, the flow runs once, and a crash after the
commit loses nothing: the job is in the outbox. The end screen's draft is started even before it is
asked for (:class:`Ahead`). Without a pool nothing is deferred (documents
render in place, and the router's HeavyGate spaces them out). Spreadsheets and charts are one
call each, awaited through :meth:`DocumentRenderer.run` in the same pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor
from contextvars import ContextVar
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from forms.checks import Flag
from forms.dossier import Dossier
from forms.memo import forget_with_typed_text
from forms.texts import message
from handlers.events import Reply
from handlers.failures import failure_place
from handlers.render_jobs import Deferred, DossierJob, call, render_deferred, render_dossier_job

if TYPE_CHECKING:
    from storage.outbox import Pending

log = logging.getLogger(__name__)


def is_deferred(reply: Reply) -> bool:
    """Whether ``reply`` carries a document still to render."""
    return reply.document is not None and isinstance(reply.document.data, Deferred)


def supersedes(later: Reply, earlier: Reply) -> bool:
    """Whether ``later``, queued after ``earlier`` in the same chat, makes rendering
    ``earlier`` pointless: both documents still to render, of the same name and the same
    dossier (a draft asked for again before the first was sent: the later one shows the
    dossier as it is now). Documents of other dossiers (a reviewer's «Xem» of two
    candidates) or already rendered are never dropped."""
    if not (is_deferred(later) and is_deferred(earlier)):
        return False
    assert later.document is not None and earlier.document is not None
    new, old = later.document, earlier.document
    return old.web is not None and (new.filename, new.web) == (old.filename, old.web)


_DEFERRING: ContextVar[bool] = ContextVar("render_deferring", default=False)


def _job_key(data: bytes) -> bytes:
    """What a job is known by in :class:`Ahead`: a digest of its bytes (the whole dossier,
    draft or final, the flags), so that equal jobs, and only they, share a rendering."""
    return hashlib.blake2b(data, digest_size=20).digest()


class Ahead:
    """Drafts rendered before they are asked for, by job (issue 17).

    A person who has just answered the form's last question is shown the end screen, whose
    first button is «Xem bản nháp»; the draft they will ask for is the dossier as it is then.
    So its rendering starts there (:meth:`DocumentRenderer.ahead`), in the pool, while the
    person reads the screen, and the job the flow defers when they tap the button, being
    byte for byte the same, takes that rendering (:meth:`DocumentRenderer.resolve`) instead of
    queueing for the pool then. A dossier changed meanwhile is another job: rendered when
    asked, as before. Bounded: at most ``limit`` drafts, none kept longer than ``seconds``
    (beyond the limit none is started: the ones kept are those soonest asked for); emptied
    at an erasure (forms.memo) and taken out when used."""

    limit = 512
    seconds = 300.0

    def __init__(self) -> None:
        self._jobs: OrderedDict[bytes, tuple[float, asyncio.Future[bytes]]] = OrderedDict()
        self.started = self.taken = 0
        forget_with_typed_text(self)

    def start(self, data: bytes, render: Callable[[], asyncio.Future[bytes]]) -> None:
        key = _job_key(data)
        self._expire()
        if key in self._jobs or len(self._jobs) >= self.limit:
            return
        rendering = render()
        rendering.add_done_callback(_retrieved)
        self._jobs[key] = (time.monotonic(), rendering)
        self.started += 1

    def take(self, data: bytes) -> asyncio.Future[bytes] | None:
        """The rendering started for this job, if any (it is then no longer kept)."""
        if not self._jobs:
            return None
        found = self._jobs.pop(_job_key(data), None)
        if found is None or found[1].cancelled():
            return None
        self.taken += 1
        return found[1]

    def _expire(self) -> None:
        edge = time.monotonic() - self.seconds
        while self._jobs:
            key, (started, rendering) = next(iter(self._jobs.items()))
            if started > edge:
                break
            del self._jobs[key]
            rendering.cancel()

    def clear(self) -> None:
        for _, rendering in self._jobs.values():
            rendering.cancel()
        self._jobs.clear()


def _retrieved(rendering: asyncio.Future[bytes]) -> None:
    """A rendering started ahead that failed says nothing unless it is taken (the tap's
    resolve logs it then); never taken, asyncio would report it as never retrieved."""
    if not rendering.cancelled():
        rendering.exception()


class DocumentRenderer:
    """The flows' one way to render a document (see the module docstring)."""

    def __init__(self, pool: Executor | None = None) -> None:
        self.pool = pool
        self.prepared = Ahead()

    @property
    def pooled(self) -> bool:
        return self.pool is not None

    # -- what the flows call ------------------------------------------------------------------
    def dossier(
        self, dossier: Dossier, *, draft: bool, flags: Sequence[Flag] | None = None
    ) -> bytes:
        """The dossier's .docx (``draft``: watermarked, with ``flags`` as notes); while
        deferred, what to render instead (:class:`Deferred`)."""
        job = DossierJob(dossier, draft, tuple(flags) if flags is not None else None)
        if _DEFERRING.get():
            return job.encode()
        return render_dossier_job(job)

    def draft(self, dossier: Dossier, flags: list[Flag]) -> bytes:
        """The candidate's draft (the candidate flow's renderer)."""
        return self.dossier(dossier, draft=True, flags=flags)

    def ahead(self, dossier: Dossier, flags: list[Flag]) -> None:
        """Start rendering the draft of ``dossier`` with ``flags`` in the pool, before it is
        asked for (:class:`Ahead`); nothing without a pool (it would hold the loop)."""
        if self.pool is None:
            return
        data = bytes(DossierJob(dossier, True, tuple(flags)).encode())
        self.prepared.start(data, lambda: asyncio.ensure_future(self.run(render_deferred, data)))

    async def run(self, function: Callable[..., bytes], *args: Any, **kwargs: Any) -> bytes:
        """``function(*args, **kwargs)`` in the pool (a thread without one); it and its
        arguments must be picklable."""
        if self.pool is None:
            return await asyncio.to_thread(function, *args, **kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, call, function, args, kwargs)

    # -- what the router and the sender call --------------------------------------------------
    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        """Within (with a pool): documents asked for come back as :class:`Deferred`."""
        token = _DEFERRING.set(self.pooled)
        try:
            yield
        finally:
            _DEFERRING.reset(token)

    async def resolve(self, reply: Reply) -> Reply:
        """``reply`` with its deferred document rendered (in the pool); a rendering that
        fails becomes the short apology in its place (logged by type and place only)."""
        document = reply.document
        if document is None or not isinstance(document.data, Deferred):
            return reply
        job = bytes(document.data)
        try:
            ahead = self.prepared.take(job)
            data = await (ahead if ahead is not None else self.run(render_deferred, job))
        except Exception as exc:
            log.error("rendering a document failed: %s", failure_place(exc))
            return replace(reply, document=None, text=message("chat.errors.internal"))
        return replace(reply, document=replace(document, data=data))

    async def resolve_all(self, replies: list[Reply]) -> list[Reply]:
        """:meth:`resolve` for each reply, side by side."""
        if not any(is_deferred(r) for r in replies):
            return replies
        return list(await asyncio.gather(*(self.resolve(r) for r in replies)))


class EarlyRenders:
    """Document jobs rendering since their commit, by outbox row (issue 17).

    A job waits in its chat's order for the sender, and the sender's turn comes after the
    chat's earlier replies and behind every other chat's on a busy loop (a saturated N = 500
    bench: ≈ 0.2–0.7 s); meanwhile the pool could be rendering it. So a sole sender
    (bot/delivery.py) starts each job it sees committed (``queued``, an outbox watcher) and
    takes the rendering when the row's turn comes (``take``); nothing is sent earlier or out
    of order. A later job of the same chat and dossier (a draft asked for again) cancels an
    earlier one still waiting for the pool, as the sender would skip it (``supersedes``).
    Bounded: past ``limit`` rows, those done are forgotten (rows given up before their turn
    never take theirs); a row whose rendering was forgotten is rendered again when reached."""

    limit = 512

    def __init__(self, renderer: DocumentRenderer, platform: str) -> None:
        self.renderer, self.platform = renderer, platform
        self._jobs: dict[int, tuple[Reply, asyncio.Future[Reply]]] = {}  # row id -> job
        self._last: dict[str, int] = {}  # chat id -> its latest job's row id
        forget_with_typed_text(self)  # an erasure empties it (forms.memo)

    def queued(self, rows: Iterable[Pending]) -> None:
        """Rows just committed to the outbox: their document jobs start rendering."""
        if not self.renderer.pooled:
            return
        for row in rows:
            reply = row.source
            if row.platform != self.platform or not isinstance(reply, Reply):
                continue
            if not is_deferred(reply):
                continue
            earlier = self._jobs.get(self._last.get(row.chat_id, -1))
            if earlier is not None and supersedes(reply, earlier[0]):
                earlier[1].cancel()  # still waiting for the pool: never rendered
            if len(self._jobs) >= self.limit:
                self._forget()
            self._jobs[row.id] = (reply, asyncio.ensure_future(self.renderer.resolve(reply)))
            self._last[row.chat_id] = row.id

    def take(self, row_id: int) -> asyncio.Future[Reply] | None:
        """The rendering of row ``row_id``'s job, if started and not cancelled."""
        job = self._jobs.pop(row_id, None)
        if job is None or job[1].cancelled():
            return None
        return job[1]

    def drop(self, row_id: int) -> None:
        """Row ``row_id`` will not be sent (superseded): its rendering is not needed."""
        job = self._jobs.pop(row_id, None)
        if job is not None:
            job[1].cancel()

    def clear(self) -> None:
        """After an erasure no rendered document stays in memory: every job is dropped, and
        the others' are rendered again when their turn comes."""
        self.stop()

    def stop(self) -> None:
        for _, rendering in self._jobs.values():
            rendering.cancel()
        self._jobs.clear()
        self._last.clear()

    def _forget(self) -> None:
        for row_id in [r for r, (_, rendering) in self._jobs.items() if rendering.done()]:
            del self._jobs[row_id]
        self._last = {chat: r for chat, r in self._last.items() if r in self._jobs}
